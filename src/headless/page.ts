/**
 * The headless page: the same engine and nodes as the studio, driven by the Node-side driver.
 * Side effect (entry file): defines `window.weftHeadless` and reports `ready`.
 */
import type { ByteSink, NodeHost, SessionEvent } from '../engine';
import { overrideParams, parsePipeline, Session } from '../engine';
import { createRegistry } from '../nodes';
import { tagPipeline } from '../nodes/containers/pipeline-tag';
import { probeDuration, progressTime } from '../nodes/media/progress';
import { toErrorInfo } from './errors';
import type { NodeProgress, PageApi, PageEvent, PageJob } from './protocol';
import { OUTPUT_CHUNK_BYTES, PAGE_GLOBAL, PROGRESS_INTERVAL_MS, REPORT_BINDING } from './protocol';

type Reporter = (json: string) => Promise<void>;

const registry = createRegistry();
const running = new Map<string, AbortController>();

function report(event: PageEvent): void {
  const send = (window as unknown as Record<string, Reporter | undefined>)[REPORT_BINDING];
  if (!send) throw new Error(`the driver did not expose ${REPORT_BINDING}`);
  send(JSON.stringify(event)).catch((error: unknown) => console.error('weft headless: report failed', error));
}

async function post(url: string, body?: Uint8Array): Promise<void> {
  const response = await fetch(url, { method: 'POST', ...(body ? { body: body as Uint8Array<ArrayBuffer> } : {}) });
  if (!response.ok)
    throw new Error(`${url.replace(/\/io\/[^/]+/, '/io/…')}: ${response.status} ${await response.text()}`);
}

/**
 * An output on the driver's bridge. Writes are coalesced into chunks of at most OUTPUT_CHUNK_BYTES;
 * a write at another position (a muxer patching a header) sends what is pending first.
 */
class BridgeSink implements ByteSink {
  readonly #url: string;
  #pending: Uint8Array[] = [];
  #pendingBytes = 0;
  #start = 0;
  #end = 0;
  bytes = 0;
  constructor(url: string) {
    this.#url = url;
  }
  async write(data: Uint8Array, position?: number): Promise<void> {
    const at = position ?? this.#end;
    if (at !== this.#start + this.#pendingBytes) {
      await this.#flush();
      this.#start = at;
    }
    this.#pending.push(data.slice());
    this.#pendingBytes += data.byteLength;
    this.#end = Math.max(this.#end, at + data.byteLength);
    this.bytes = Math.max(this.bytes, this.#end);
    if (this.#pendingBytes >= OUTPUT_CHUNK_BYTES) await this.#flush();
  }
  async #flush(): Promise<void> {
    if (this.#pendingBytes === 0) return;
    const chunk = new Uint8Array(this.#pendingBytes);
    let offset = 0;
    for (const part of this.#pending) {
      chunk.set(part, offset);
      offset += part.byteLength;
    }
    const start = this.#start;
    this.#pending = [];
    this.#start += this.#pendingBytes;
    this.#pendingBytes = 0;
    await post(`${this.#url}/chunk?pos=${start}`, chunk);
  }
  async close(): Promise<void> {
    await this.#flush();
    await post(`${this.#url}/close`);
  }
  async abort(): Promise<void> {
    this.#pending = [];
    this.#pendingBytes = 0;
    await post(`${this.#url}/abort`);
  }
}

async function runJob(job: PageJob, abort: AbortController): Promise<void> {
  const inputs = new Map<string, Blob>();
  for (const name of job.inputs) {
    const response = await fetch(`${job.ioBase}/in/${encodeURIComponent(name)}`, { signal: abort.signal });
    if (!response.ok) throw new Error(`input '${name}' could not be read: ${response.status}`);
    inputs.set(name, await response.blob());
  }
  const durations = await Promise.all([...inputs.values()].map(probeDuration));
  const known = durations.filter((d): d is number => d !== null && d > 0);
  const duration = known.length > 0 ? Math.max(...known) : null;
  report({ type: 'started', id: job.id, duration_us: duration });

  const sinks = new Map<string, BridgeSink>();
  const host: NodeHost = {
    openInput: (name) => Promise.resolve(inputs.get(name)?.stream()),
    openOutput: async (name, contentType) => {
      const url = `${job.ioBase}/out/${encodeURIComponent(name)}`;
      await post(`${url}/open${contentType ? `?type=${encodeURIComponent(contentType)}` : ''}`);
      const sink = new BridgeSink(url);
      sinks.set(name, sink);
      return sink;
    },
  };
  const parsed = parsePipeline(job.pipeline).pipeline;
  const pipeline = await tagPipeline(job.overrides ? overrideParams(parsed, job.overrides) : parsed, job.pipeline);
  const session = new Session(pipeline, {
    registry,
    host,
    signal: abort.signal,
    statsIntervalMs: 0,
    // Frames garbage-collected while open are reported to the driver (server log, /metrics).
    onLeak: (origin) =>
      report({ type: 'warning', id: job.id, code: 'frame_leak', message: `a frame from ${origin} was never closed` }),
  });
  const states = new Map<string, string>();
  session.on((e: SessionEvent) => {
    if (e.event === 'nodestatechanged') states.set(e.node_id, e.state);
  });
  const kinds = new Map(Object.entries(pipeline.nodes).map(([id, n]) => [id, n.kind]));
  const tick = setInterval(() => {
    const nodes: Record<string, NodeProgress> = {};
    for (const [id, s] of Object.entries(session.stats())) {
      nodes[id] = {
        kind: kinds.get(id) ?? '',
        state: states.get(id) ?? 'initializing',
        packets_in: s.packets_in,
        packets_out: s.packets_out,
        bytes_out: s.bytes_out,
        queue_depth: s.queue_depth,
        media_time_in: s.media_time_in,
      };
    }
    const media = progressTime(Object.values(nodes));
    report({
      type: 'progress',
      id: job.id,
      fraction: duration ? Math.min(1, media / duration) : null,
      media_time_us: media,
      nodes,
    });
  }, PROGRESS_INTERVAL_MS);
  try {
    const result = await session.run();
    if (result.state === 'canceled') {
      report({ type: 'canceled', id: job.id });
      return;
    }
    if (result.state === 'failed') throw result.error ?? new Error('the run failed without an error');
    if (result.openFrames > 0) {
      report({
        type: 'warning',
        id: job.id,
        code: 'frame_leak',
        message: `${result.openFrames} frame(s) handed between nodes were still open when the run ended`,
      });
    }
    report({
      type: 'done',
      id: job.id,
      outputs: [...sinks].map(([name, sink]) => ({ name, bytes: sink.bytes, content_type: null })),
      open_frames: result.openFrames,
    });
  } finally {
    clearInterval(tick);
  }
}

const api: PageApi = {
  start(job) {
    const abort = new AbortController();
    running.set(job.id, abort);
    runJob(job, abort)
      .catch((error: unknown) => {
        report(
          abort.signal.aborted
            ? { type: 'canceled', id: job.id }
            : { type: 'failed', id: job.id, error: toErrorInfo(error) },
        );
      })
      .finally(() => running.delete(job.id));
  },
  cancel(id) {
    running.get(id)?.abort();
  },
};

(window as unknown as Record<string, PageApi>)[PAGE_GLOBAL] = api;
report({ type: 'ready' });
