/**
 * The Node-side driver of one run on a headless page: hands the page its job, follows the page's
 * events (checked against the protocol's schema), relays progress and warnings, enforces the
 * run's limits (whole-run time, media duration, a page that goes silent), and cancels. A page that
 * crashes or hangs under a run fails it with a retryable `JobError` that says so; the pool
 * (`pool.ts`) replaces the page.
 */
import type { FileAccess } from './file-access';
import type { JobErrorInfo, NodeProgress, PageJob, ParsedPageEvent } from './protocol';

export { HeadlessPool, defaultPoolSize, WORKER_START_TIMEOUT_MS } from './pool';
export type { PoolOptions } from './pool';

/** A page that sends nothing for this long while running a job is considered hung. */
export const DEFAULT_HANG_TIMEOUT_MS = 30_000;
/** Time a canceled job gets to stop before its page is replaced. */
export const CANCEL_GRACE_MS = 5_000;
/** How often the watchdog looks at running jobs. */
const WATCHDOG_INTERVAL_MS = 500;

/** Progress of a running job. */
export interface JobProgress {
  /** 0–1 when the input duration is known, else null. */
  fraction: number | null;
  media_time_us: number;
  duration_us: number | null;
  nodes: Record<string, NodeProgress>;
}

/** Where a run's output bytes go (see `bridge.ts`). */
export type { OutputSink } from './bridge';
import type { OutputSink } from './bridge';
import type { ObjectTarget, ScriptFetchRequest } from '../engine';

/** One pipeline run. */
export interface RunRequest {
  pipeline: string;
  /** Input name → file path. */
  inputs: Record<string, string>;
  openOutput(name: string, contentType: string | undefined): Promise<OutputSink>;
  /** Server files `core::file_reader` / `core::file_writer` may use (none when absent). */
  files?: FileAccess;
  /** Opens an object for `core::object_store_writer` (none when absent); throws `OutputRefused`. */
  openObject?: (target: ObjectTarget) => OutputSink;
  /** Makes `core::script` fetches (none when absent: every fetch is refused). */
  scriptFetch?: (request: ScriptFetchRequest) => Promise<{ status: number; body: string }>;
  overrides?: PageJob['overrides'];
  signal?: AbortSignal;
  /** Whole-job limit in ms (0 or absent: none). */
  timeoutMs?: number;
  /** Most media the run may produce, µs (absent: no bound). */
  maxMediaUs?: number;
  onProgress?: (progress: JobProgress) => void;
  /** Something that did not fail the run but should be seen (a leaked frame). */
  onWarning?: (warning: { code: string; message: string }) => void;
  /** A node's telemetry event (best effort). */
  onTelemetry?: (event: { node_id: string; type_id: string; data: unknown }) => void;
}

/** How a successful run ended. */
export interface RunOutcome {
  outputs: { name: string; bytes: number; content_type: string | null }[];
  ms: number;
  /** Frames handed between nodes and never closed (0 unless a node leaks). */
  openFrames: number;
}

/** What the pool needs of the server: run a pipeline, and say how busy it is. `HeadlessPool` is one. */
export interface PipelineRunner {
  /** Runs one pipeline. Rejects with a `JobError`. */
  run(request: RunRequest): Promise<RunOutcome>;
  /** Runs it can do at once. */
  readonly size: number;
  readonly busy: number;
  readonly waiting: number;
  /** Pages replaced after a crash or hang, and browser relaunches. */
  readonly restarts: number;
  /** Pages that crashed or hung under a run. */
  readonly crashes?: number;
  /** Warnings pages reported (`frame_leak`…), by code. */
  readonly warnings?: Readonly<Record<string, number>>;
}

/** Why a page went away under a run. `crash` and `hang` may be the input's doing; the others are not. */
export type PageLoss = 'crash' | 'hang' | 'browser' | 'stuck' | 'shutdown';

/**
 * A failed run. `retryable` is true when the page was lost, not the pipeline at fault; `crashed`
 * when the page crashed or hung under this run (which a bad input can cause, so a job that does it
 * twice is not retried again).
 */
export class JobError extends Error {
  override readonly name = 'JobError';
  readonly info: JobErrorInfo;
  readonly retryable: boolean;
  readonly crashed: boolean;
  constructor(info: JobErrorInfo, retryable = false, crashed = false) {
    super(info.message);
    this.info = info;
    this.retryable = retryable;
    this.crashed = crashed;
  }
}

/** The page a run is driven on, as the pool lends it. */
export interface PageHandle {
  /** Hands the page its job (resolves once the page took it). */
  start(job: PageJob): Promise<void>;
  /** Asks the page to cancel the job. */
  cancel(id: string): Promise<void>;
  /** Gives up on the page (it is replaced); its run then ends through `onLost`. */
  replace(why: string, loss: PageLoss): void;
  /** Set while a run is driven: the page's parsed events. */
  onEvent: ((event: ParsedPageEvent) => void) | undefined;
  /** Set while a run is driven: the page went away. */
  onLost: ((why: string, loss: PageLoss) => void) | undefined;
}

/** Names the nodes that were running when the page was lost, from the last progress seen. */
function runningNodes(nodes: Record<string, NodeProgress>): string {
  const running = Object.entries(nodes).filter(([, n]) => n.state === 'running');
  if (running.length === 0) return '';
  const shown = running.slice(0, 6).map(([id, n]) => `${id} (${n.kind})`);
  return `; nodes running: ${shown.join(', ')}${running.length > shown.length ? ', …' : ''}`;
}

/** Drives one run on `page` to its end. Rejects with a `JobError`. */
export function driveJob(
  page: PageHandle,
  job: PageJob,
  request: RunRequest,
  options: { hangTimeoutMs?: number } = {},
): Promise<RunOutcome> {
  const hangMs = options.hangTimeoutMs ?? DEFAULT_HANG_TIMEOUT_MS;
  const started = Date.now();
  return new Promise<RunOutcome>((resolve, reject) => {
    let lastSeen = Date.now();
    let duration: number | null = null;
    let lastNodes: Record<string, NodeProgress> = {};
    let settled = false;
    let cancelTimer: ReturnType<typeof setTimeout> | undefined;
    let pendingError: JobError | undefined;
    const settle = (action: () => void): void => {
      if (settled) return;
      settled = true;
      clearInterval(watchdog);
      clearTimeout(deadline);
      clearTimeout(cancelTimer);
      request.signal?.removeEventListener('abort', onAbort);
      page.onEvent = undefined;
      page.onLost = undefined;
      action();
    };
    const stopPage = (error: JobError): void => {
      pendingError ??= error;
      // Ask the page to stop; a page that does not within the grace period is replaced.
      cancelTimer ??= setTimeout(() => {
        page.replace('the page did not stop after cancel', 'stuck');
        settle(() => reject(pendingError ?? error));
      }, CANCEL_GRACE_MS);
      page.cancel(job.id).catch(() => undefined); // a dead page is handled by onLost
    };
    const onAbort = (): void => stopPage(new JobError({ code: 'canceled', message: 'the job was canceled' }));
    const watchdog = setInterval(() => {
      if (Date.now() - lastSeen > hangMs) page.replace(`the page sent nothing for ${hangMs} ms (hung)`, 'hang');
    }, WATCHDOG_INTERVAL_MS);
    const deadline = request.timeoutMs
      ? setTimeout(
          () =>
            stopPage(
              new JobError({
                code: 'timeout',
                message: `the job ran longer than its limit of ${request.timeoutMs} ms`,
              }),
            ),
          request.timeoutMs,
        )
      : undefined;
    const overMedia = (us: number): boolean => request.maxMediaUs !== undefined && us > request.maxMediaUs;
    const mediaLimit = (us: number): JobError =>
      new JobError({
        code: 'media_limit',
        message: `the job ${duration !== null && us === duration ? 'has inputs of' : 'produced'} ${(us / 1e6).toFixed(1)} s of media, over its limit of ${((request.maxMediaUs ?? 0) / 1e6).toFixed(1)} s (ask for more with max_duration, up to the server's limit)`,
      });
    page.onLost = (why, loss) => {
      const crashed = loss === 'crash' || loss === 'hang';
      const info: JobErrorInfo = {
        code: crashed ? 'worker_crashed' : 'worker_lost',
        message: `${why}; the job did not finish${runningNodes(lastNodes)}`,
      };
      settle(() => reject(pendingError && loss === 'stuck' ? pendingError : new JobError(info, true, crashed)));
    };
    page.onEvent = (event) => {
      lastSeen = Date.now();
      switch (event.type) {
        case 'started':
          duration = event.duration_us;
          if (duration !== null && overMedia(duration)) stopPage(mediaLimit(duration));
          request.onProgress?.({ fraction: 0, media_time_us: 0, duration_us: duration, nodes: {} });
          break;
        case 'progress':
          lastNodes = event.nodes;
          if (overMedia(event.media_time_us)) stopPage(mediaLimit(event.media_time_us));
          request.onProgress?.({
            fraction: event.fraction,
            media_time_us: event.media_time_us,
            duration_us: duration,
            nodes: event.nodes,
          });
          break;
        case 'warning':
          request.onWarning?.({ code: event.code, message: event.message });
          break;
        case 'telemetry':
          request.onTelemetry?.({ node_id: event.node_id, type_id: event.type_id, data: event.data });
          break;
        case 'done':
          if (pendingError) {
            const error = pendingError;
            settle(() => reject(error));
          } else
            settle(() => resolve({ outputs: event.outputs, ms: Date.now() - started, openFrames: event.open_frames }));
          break;
        case 'failed':
          settle(() => reject(pendingError ?? new JobError(event.error)));
          break;
        case 'canceled':
          settle(() => reject(pendingError ?? new JobError({ code: 'canceled', message: 'the job was canceled' })));
          break;
        default:
          break;
      }
    };
    if (request.signal?.aborted) {
      settle(() => reject(new JobError({ code: 'canceled', message: 'the job was canceled' })));
      return;
    }
    request.signal?.addEventListener('abort', onAbort, { once: true });
    page.start(job).catch((error: unknown) => {
      page.replace(`the page could not start the job (${String(error)})`, 'crash');
    });
  });
}
