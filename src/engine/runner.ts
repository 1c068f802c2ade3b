/**
 * The runner: the one unit of work that runs a pipeline on a host, used by every host alike (the
 * studio's engine Worker, the headless page's engine Worker). Like mediabunny's Conversion it is
 * a small state machine — `idle → running → succeeded | failed | canceled` — with `execute()`
 * (which never rejects: the outcome is the result), `cancel()` and progress. It owns everything a
 * run is besides its nodes: parsing, overrides, preparing the pipeline (tagging outputs), the
 * session, progress against the inputs' duration, output content types and sizes, and the final
 * state with the node at fault.
 *
 * What only nodes know (how to tag an output, how long a media file is, which node's time is the
 * run's progress) comes in as `RunHooks`, so the engine stays free of media code.
 */
import { CanceledError, NodeError, PipelineError } from './errors';
import type { Pipeline } from './format';
import { overrideParams } from './format';
import type { ByteSink, NodeHost } from './node';
import { parsePipeline } from './parse';
import type { NodeRegistry } from './registry';
import type { NodeStats } from './runtime-node';
import type { SessionEvent } from './session';
import { Session, StalledError } from './session';
import type { Clock } from './time';

/** States a run moves through. */
export type RunState = 'idle' | 'running' | 'succeeded' | 'failed' | 'canceled';

/** Why a run failed, in the API's error shape. */
export interface RunFailure {
  code: string;
  message: string;
  node?: string;
  pin?: string;
  param?: string;
}

/** One node's progress. */
export interface RunNodeProgress {
  kind: string;
  state: string;
  packets_in: number;
  packets_out: number;
  bytes_out: number;
  queue_depth: number;
  media_time_in: number;
}

/** How far a run is. */
export interface RunProgress {
  /** 0–1 when the inputs' duration is known, else null. */
  fraction: number | null;
  media_time_us: number;
  duration_us: number | null;
  nodes: Record<string, RunNodeProgress>;
}

/** An output the run wrote. */
export interface RunOutput {
  name: string;
  bytes: number;
  content_type: string;
}

/** How a run ended. */
export interface RunResult {
  state: 'succeeded' | 'failed' | 'canceled';
  /** Outputs written (complete only when succeeded). */
  outputs: RunOutput[];
  error?: RunFailure;
  /** Frames handed between nodes and never closed: 0 unless a node leaks. */
  openFrames: number;
  stats: Record<string, NodeStats>;
}

/** What only nodes know, handed to the runner by every host (see `RUN_HOOKS` in src/nodes). */
export interface RunHooks {
  /** Prepares the pipeline before it runs (e.g. tags muxed outputs with the pipeline text). */
  prepare?(pipeline: Pipeline, text: string): Promise<Pipeline>;
  /** The duration of a media input in µs, or null when it is not media. */
  duration?(input: Blob): Promise<number | null>;
  /** The media time a run has reached, from its nodes' progress. */
  mediaTime?(nodes: readonly { kind: string; media_time_in: number }[]): number;
}

/** Content type of an output whose pipeline declares none. */
export const DEFAULT_OUTPUT_TYPE = 'application/octet-stream';
/** How often a run reports progress by default, in ms. */
export const DEFAULT_PROGRESS_INTERVAL_MS = 250;

/** Options of one run. */
export interface RunOptions {
  registry: NodeRegistry;
  /** The pipeline document (YAML or JSON). */
  text: string;
  /** Job inputs by name; the runner serves them to `streamkit::http_input`. */
  inputs?: Record<string, Blob>;
  /** The host's other services (outputs, capture devices, files). */
  host?: NodeHost;
  /** Per-node param overrides (`--set node.param=value`). */
  overrides?: Record<string, Record<string, unknown>>;
  signal?: AbortSignal;
  clock?: Clock;
  hooks?: RunHooks;
  /** 0 turns periodic progress off (a final report is still made). */
  progressIntervalMs?: number;
  /** Stall watchdog of oneshot runs, ms (0: off). */
  stallTimeoutMs?: number;
  onProgress?: (progress: RunProgress) => void;
  onEvent?: (event: SessionEvent) => void;
  /** Frames collected while still open, and frames left open at the end. */
  onWarning?: (warning: { code: string; message: string }) => void;
  /** Called with the session once it exists (to add taps, or drive a dynamic run). */
  onSession?: (session: Session) => void;
}

/** The API's error shape for anything a run can end with. */
export function describeFailure(error: unknown): RunFailure {
  if (error instanceof PipelineError) {
    const first = error.issues.find((i) => i.severity === 'error') ?? error.issues[0];
    return {
      code: 'invalid_pipeline',
      message: error.message,
      ...(first?.node ? { node: first.node } : {}),
      ...(first?.pin ? { pin: first.pin } : {}),
      ...(first?.param ? { param: first.param } : {}),
    };
  }
  if (error instanceof NodeError) {
    return {
      code: 'node_failed',
      message: error.message,
      node: error.nodeId,
      ...(error.pin ? { pin: error.pin } : {}),
    };
  }
  if (error instanceof StalledError) {
    const first = error.nodes[0];
    return { code: 'stalled', message: error.message, ...(first ? { node: first.node } : {}) };
  }
  if (error instanceof CanceledError) return { code: 'canceled', message: error.message };
  if (error instanceof RangeError) return { code: 'bad_request', message: error.message, param: 'set' };
  return { code: 'internal', message: error instanceof Error ? error.message : String(error) };
}

/** A sink that counts what was written (its size is the furthest byte). */
function countingSink(sink: ByteSink, output: RunOutput): ByteSink {
  return {
    write: async (data, position) => {
      await sink.write(data, position);
      const at = position ?? output.bytes;
      output.bytes = Math.max(output.bytes, at + data.byteLength);
    },
    close: () => sink.close(),
    abort: (reason) => sink.abort(reason),
  };
}

/** One run of a pipeline on a host. */
export class PipelineRun {
  #state: RunState = 'idle';
  #session: Session | undefined;
  readonly #options: RunOptions;
  readonly #abort = new AbortController();
  readonly #outputs: RunOutput[] = [];

  constructor(options: RunOptions) {
    this.#options = options;
    const signal = options.signal;
    if (signal) {
      if (signal.aborted) this.cancel(signal.reason);
      else signal.addEventListener('abort', () => this.cancel(signal.reason), { once: true });
    }
  }

  /** Where the run is. */
  get state(): RunState {
    return this.#state;
  }

  /** The running session (for taps and live changes), once `execute()` has built it. */
  get session(): Session | undefined {
    return this.#session;
  }

  /** Stops the run; `execute()` then resolves as canceled. */
  cancel(reason: unknown = new CanceledError('the run was canceled')): void {
    if (!this.#abort.signal.aborted)
      this.#abort.abort(reason instanceof Error ? reason : new CanceledError(String(reason)));
  }

  /** Runs the pipeline to its end. Never rejects: failures are in the result. */
  async execute(): Promise<RunResult> {
    if (this.#state !== 'idle') throw new Error(`PipelineRun.execute: the run is already ${this.#state}`);
    this.#state = 'running';
    let session: Session | undefined;
    try {
      session = await this.#build();
      const duration = await this.#duration();
      const progress = this.#progress(session, duration);
      try {
        const result = await session.result();
        progress.report();
        const canceled = this.#abort.signal.aborted && result.state !== 'done';
        return this.#finish(
          canceled ? 'canceled' : result.state === 'done' ? 'succeeded' : 'failed',
          result.error,
          result.openFrames,
          result.stats,
        );
      } finally {
        progress.stop();
      }
    } catch (error) {
      const canceled = this.#abort.signal.aborted;
      return this.#finish(canceled ? 'canceled' : 'failed', error, session?.openFrames ?? 0, session?.stats() ?? {});
    }
  }

  async #build(): Promise<Session> {
    const o = this.#options;
    const parsed = parsePipeline(o.text);
    let pipeline =
      o.overrides && Object.keys(o.overrides).length > 0
        ? overrideParams(parsed.pipeline, o.overrides)
        : parsed.pipeline;
    if (o.hooks?.prepare) pipeline = await o.hooks.prepare(pipeline, o.text);
    this.#abort.signal.throwIfAborted();
    const inputs = o.inputs ?? {};
    const host: NodeHost = {
      ...o.host,
      ...(o.inputs ? { openInput: (name: string) => Promise.resolve(inputs[name]?.stream()) } : {}),
      ...(o.host?.openOutput
        ? { openOutput: (name: string, type: string | undefined) => this.#openOutput(name, type) }
        : {}),
    };
    const session = new Session(pipeline, {
      registry: o.registry,
      host,
      signal: this.#abort.signal,
      statsIntervalMs: 0,
      ...(parsed.source ? { source: parsed.source } : {}),
      ...(o.clock ? { clock: o.clock } : {}),
      ...(o.stallTimeoutMs !== undefined ? { stallTimeoutMs: o.stallTimeoutMs } : {}),
      ...(o.onWarning
        ? {
            onLeak: (origin: string) =>
              o.onWarning?.({ code: 'frame_leak', message: `a frame from ${origin} was never closed` }),
          }
        : {}),
    });
    this.#session = session;
    if (o.onEvent) session.on(o.onEvent);
    o.onSession?.(session);
    return session;
  }

  async #openOutput(name: string, contentType: string | undefined): Promise<ByteSink> {
    const open = this.#options.host?.openOutput;
    if (!open) throw new Error('this host has no job outputs');
    const output: RunOutput = { name, bytes: 0, content_type: contentType ?? DEFAULT_OUTPUT_TYPE };
    const sink = await open(name, contentType);
    this.#outputs.push(output);
    return countingSink(sink, output);
  }

  async #duration(): Promise<number | null> {
    const hooks = this.#options.hooks;
    if (!hooks?.duration) return null;
    const probe = (blob: Blob) => hooks.duration?.(blob) ?? Promise.resolve(null);
    const known = (await Promise.all(Object.values(this.#options.inputs ?? {}).map(probe))).filter(
      (d): d is number => d !== null && d > 0,
    );
    return known.length > 0 ? Math.max(...known) : null;
  }

  #progress(session: Session, duration: number | null): { report(): void; stop(): void } {
    const o = this.#options;
    const states = new Map<string, string>();
    session.on((e) => {
      if (e.event === 'nodestatechanged') states.set(e.node_id, e.state);
    });
    const kinds = new Map(Object.entries(session.pipeline().nodes).map(([id, n]) => [id, n.kind]));
    const report = (): void => {
      if (!o.onProgress) return;
      const nodes: Record<string, RunNodeProgress> = {};
      for (const [id, s] of Object.entries(session.stats())) {
        nodes[id] = {
          kind: kinds.get(id) ?? session.pipeline().nodes[id]?.kind ?? '',
          state: states.get(id) ?? 'initializing',
          packets_in: s.packets_in,
          packets_out: s.packets_out,
          bytes_out: s.bytes_out,
          queue_depth: s.queue_depth,
          media_time_in: s.media_time_in,
        };
      }
      const list = Object.values(nodes);
      const media = o.hooks?.mediaTime ? o.hooks.mediaTime(list) : Math.max(0, ...list.map((n) => n.media_time_in));
      o.onProgress({
        fraction: duration ? Math.min(1, media / duration) : null,
        media_time_us: media,
        duration_us: duration,
        nodes,
      });
    };
    const interval = o.progressIntervalMs ?? DEFAULT_PROGRESS_INTERVAL_MS;
    const timer = interval > 0 && o.onProgress ? setInterval(report, interval) : undefined;
    if (o.onProgress) report();
    return { report, stop: () => clearInterval(timer) };
  }

  #finish(state: RunResult['state'], error: unknown, openFrames: number, stats: Record<string, NodeStats>): RunResult {
    this.#state = state;
    if (openFrames > 0) {
      this.#options.onWarning?.({
        code: 'frame_leak',
        message: `${openFrames} frame(s) handed between nodes were still open when the run ended`,
      });
    }
    const failure =
      state === 'succeeded'
        ? undefined
        : state === 'canceled'
          ? { code: 'canceled', message: 'the run was stopped' }
          : describeFailure(error);
    return { state, outputs: [...this.#outputs], ...(failure ? { error: failure } : {}), openFrames, stats };
  }
}
