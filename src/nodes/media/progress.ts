/**
 * How far a oneshot run is: the input's duration (probed with mediabunny) against the media time
 * the run's muxers have reached. Shared by the headless page and the studio's engine worker.
 */
import { ALL_FORMATS, BlobSource, Input } from 'mediabunny';

/** The duration of a media Blob in µs, or null when it is not media mediabunny reads. */
export async function probeDuration(blob: Blob): Promise<number | null> {
  const input = new Input({ source: new BlobSource(blob), formats: ALL_FORMATS });
  try {
    return Math.round((await input.computeDuration()) * 1_000_000);
  } catch {
    return null; // not a media file: the pipeline reports its own error when it reads it
  } finally {
    input.dispose();
  }
}

/** The media time (µs) a run has reached: the slowest muxer's input, else the furthest node. */
export function progressTime(nodes: Iterable<{ kind: string; media_time_in: number }>): number {
  const all = [...nodes];
  const muxers = all.filter((n) => n.kind.includes('muxer'));
  if (muxers.length > 0) return Math.min(...muxers.map((n) => n.media_time_in));
  return Math.max(0, ...all.map((n) => n.media_time_in));
}
