// The bench page: runs a pipeline on a file fetched from the bench server, in this tab, and
// reports frames and wall time. Side effect: defines window.weftBench.
import type { ByteSink } from '../src/engine';
import { parsePipeline, Session } from '../src/engine';
import { createRegistry } from '../src/nodes';

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

async function weftBench(pipelineText: string, mediaUrl: string | null): Promise<BenchResult> {
  const blob = mediaUrl ? await (await fetch(mediaUrl)).blob() : new Blob([]);
  const sink = new CountingSink();
  const { pipeline } = parsePipeline(pipelineText);
  const session = new Session(pipeline, {
    registry: createRegistry(),
    statsIntervalMs: 0,
    host: { openInput: () => Promise.resolve(blob.stream()), openOutput: () => Promise.resolve(sink) },
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
