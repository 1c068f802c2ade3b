/**
 * The studio's documents outside the editor: bundled samples, the pipeline a share link carries,
 * saving as YAML, and file names for outputs.
 */
import { decodeShare, encodeShare } from './model';

/** Samples shipped with the studio, by path. */
export const SAMPLES = import.meta.glob<string>('../../samples/**/*.yaml', {
  query: '?raw',
  import: 'default',
  eager: true,
});

/** A sample's display name (`oneshot/colorbars-tone-webm`). */
export const sampleName = (path: string) => path.replace('../../samples/', '').replace(/\.yaml$/, '');

/** What a new tab opens when its link carries no pipeline. */
export const DEFAULT_SAMPLE =
  SAMPLES['../../samples/oneshot/colorbars-tone-webm.yaml'] ??
  Object.values(SAMPLES)[0] ??
  'mode: oneshot\nnodes: {}\n';

/** A file extension for an output's media type. */
export function extensionFor(type: string): string {
  if (type.includes('webm')) return 'webm';
  if (type.includes('mp4')) return 'mp4';
  if (type.includes('ogg')) return 'ogg';
  if (type.includes('wav')) return 'wav';
  if (type.includes('mpeg')) return 'mp3';
  if (type.includes('json')) return 'json';
  return 'bin';
}

/** The pipeline of the page's link (`#p=…`), else the default sample. */
export async function initialText(): Promise<string> {
  const match = /[#&]p=([^&]+)/.exec(location.hash);
  if (match?.[1]) {
    try {
      return await decodeShare(match[1]);
    } catch {
      console.warn('weft: the link’s pipeline could not be read; opening the default sample');
    }
  }
  return DEFAULT_SAMPLE;
}

/** Offers `yaml` as a download named after the pipeline. */
export function downloadYaml(yaml: string, name: string | undefined): void {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([yaml], { type: 'text/yaml' }));
  a.download = `${(name ?? 'pipeline').replace(/[^\w.-]+/g, '-').toLowerCase()}.yaml`;
  a.click();
}

/** A link to this page that carries `yaml` in its fragment (never sent to a server). */
export async function shareLink(yaml: string): Promise<string> {
  return `${location.origin}${location.pathname}#p=${await encodeShare(yaml)}`;
}
