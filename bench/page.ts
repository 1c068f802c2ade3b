// The bench page: runs a pipeline on a file fetched from the bench server, in this tab, and
// reports frames and wall time. Side effect: defines window.weftBench.
import fontUrl from '@fontsource/dejavu-sans/files/dejavu-sans-latin-400-normal.woff2?url';
import type { ByteSink } from '../src/engine';
import { BUNDLED_FONT_ASSETS, parsePipeline, Session } from '../src/engine';
import { browserGpu, createRegistry } from '../src/nodes';

interface BenchResult {
  state: string;
  error?: string;
  seconds: number;
  bytes: number;
}

class CountingSink implements ByteSink {
  bytes = 0;
  write(data: Uint8Array): Promise<void> {
    this.bytes += data.byteLength;
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
  abort(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * Runs `pipelineText` on media fetched from the bench server: one URL (every job input reads it)
 * or a map of job input name → URL. The bundled font is served as the server's asset service does.
 */
async function weftBench(pipelineText: string, media: string | Record<string, string> | null): Promise<BenchResult> {
  const urls = typeof media === 'string' ? { '*': media } : (media ?? {});
  const blobs = new Map<string, Blob>();
  for (const [name, url] of Object.entries(urls)) blobs.set(name, await (await fetch(url)).blob());
  const sink = new CountingSink();
  const { pipeline } = parsePipeline(pipelineText);
  const session = new Session(pipeline, {
    registry: createRegistry(),
    statsIntervalMs: 0,
    host: {
      openInput: (name) => Promise.resolve((blobs.get(name) ?? blobs.get('*') ?? new Blob([])).stream()),
      openOutput: () => Promise.resolve(sink),
      gpu: browserGpu,
      openAsset: async (path) => {
        const models = new URLSearchParams(location.search).get('models');
        if (models && path.startsWith('models/')) {
          const response = await fetch(`/@fs${models}/${path.slice('models/'.length)}`);
          if (!response.ok || response.headers.get('content-type')?.includes('text/html'))
            throw new Error(`no model file '${path}' in ${models}`);
          return response.blob();
        }
        if (path !== BUNDLED_FONT_ASSETS.regular) throw new Error(`the bench serves no asset '${path}'`);
        return (await fetch(fontUrl)).blob();
      },
    },
  });
  const started = performance.now();
  const result = await session.result();
  return {
    state: result.state,
    ...(result.error ? { error: result.error.message } : {}),
    seconds: (performance.now() - started) / 1000,
    bytes: sink.bytes,
  };
}

(window as unknown as { weftBench: typeof weftBench }).weftBench = weftBench;
