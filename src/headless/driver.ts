/**
 * The Node-side driver: a warm pool of headless Chromium pages that run pipelines with the same
 * bundle as the studio. It feeds inputs and takes outputs through the loopback bridge, relays
 * progress, cancels, and notices a crashed or hung page: the job then fails with a retryable
 * `JobError` and the pool replaces the worker (or relaunches the browser).
 */
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import type { Browser, Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, GPU_ARGS, hasGpu, headlessShellPath } from '../../scripts/chromium.js';
import type { Bridge, OutputSink } from './bridge';
import { startBridge } from './bridge';
import type { JobErrorInfo, NodeProgress, PageApi, PageEvent, PageJob } from './protocol';
import { PAGE_GLOBAL, PAGE_PATH, REPORT_BINDING } from './protocol';

/** A page that sends nothing for this long while running a job is considered hung. */
export const DEFAULT_HANG_TIMEOUT_MS = 30_000;
/** Time a page gets to load and report `ready`. */
export const WORKER_START_TIMEOUT_MS = 30_000;
/** Time a canceled job gets to stop before its page is replaced. */
export const CANCEL_GRACE_MS = 2_000;
/** How often the watchdog looks at running jobs. */
const WATCHDOG_INTERVAL_MS = 500;

/** Default pool size: half the CPU cores (each page's codecs use several threads), at least 1. */
export function defaultPoolSize(): number {
  return Math.max(1, Math.ceil(availableParallelism() / 2));
}

/** Settings of a pool. */
export interface PoolOptions {
  /** The built bundle (`vite build` output) holding `headless.html`. */
  distDir: string;
  /** Pages kept warm. Default: `defaultPoolSize()`. */
  size?: number;
  /** Chromium binary. Default: chromium-headless-shell when installed, else chromium. */
  executablePath?: string;
  /** Use a real GPU adapter: default when one is present. */
  gpu?: boolean;
  hangTimeoutMs?: number;
}

/** Progress of a running job. */
export interface JobProgress {
  /** 0–1 when the input duration is known, else null. */
  fraction: number | null;
  media_time_us: number;
  duration_us: number | null;
  nodes: Record<string, NodeProgress>;
}

/** One pipeline run. */
export interface RunRequest {
  pipeline: string;
  /** Input name → file path. */
  inputs: Record<string, string>;
  openOutput(name: string, contentType: string | undefined): Promise<OutputSink>;
  overrides?: PageJob['overrides'];
  signal?: AbortSignal;
  /** Whole-job limit in ms (0 or absent: none). */
  timeoutMs?: number;
  onProgress?: (progress: JobProgress) => void;
}

/** How a successful run ended. */
export interface RunOutcome {
  outputs: { name: string; bytes: number }[];
  ms: number;
}

/** A failed run. `retryable` is true when the worker was lost, not the pipeline at fault. */
export class JobError extends Error {
  override readonly name = 'JobError';
  readonly info: JobErrorInfo;
  readonly retryable: boolean;
  constructor(info: JobErrorInfo, retryable = false) {
    super(info.message);
    this.info = info;
    this.retryable = retryable;
  }
}

interface Worker {
  page: Page;
  /** Set while a job runs: receives the page's events. */
  onEvent?: (event: PageEvent) => void;
  /** Set while a job runs: the worker died under it. */
  onLost?: (why: string) => void;
  ready: Promise<void>;
  dead: boolean;
}

/** A pool of warm headless pages. */
export class HeadlessPool {
  readonly size: number;
  /** A marker in the browser's command line, so tests and operators can find its process. */
  readonly processMarker = `weft-pool=${randomBytes(6).toString('hex')}`;
  /** Workers replaced after a crash or hang, and browser relaunches. */
  restarts = 0;
  readonly #options: PoolOptions;
  readonly #bridge: Bridge;
  #browser: Browser | undefined;
  #launching: Promise<void> | undefined;
  readonly #workers = new Set<Worker>();
  readonly #idle: Worker[] = [];
  readonly #waiters: { take: (worker: Worker) => void; fail: (error: JobError) => void }[] = [];
  #closed = false;
  #busy = 0;

  private constructor(options: PoolOptions, bridge: Bridge) {
    this.#options = options;
    this.#bridge = bridge;
    this.size = options.size ?? defaultPoolSize();
  }

  /** Starts the bridge and the browser and loads `size` pages. */
  static async start(options: PoolOptions): Promise<HeadlessPool> {
    const pool = new HeadlessPool(options, await startBridge(options.distDir));
    try {
      await pool.#launch();
    } catch (error) {
      await pool.close();
      throw error;
    }
    return pool;
  }

  /** Jobs running now. */
  get busy(): number {
    return this.#busy;
  }

  /** Jobs waiting for a free page. */
  get waiting(): number {
    return this.#waiters.length;
  }

  async #launch(): Promise<void> {
    this.#launching ??= (async () => {
      const gpu = this.#options.gpu ?? hasGpu();
      const browser = await chromium.launch({
        executablePath: this.#options.executablePath ?? headlessShellPath(),
        args: [...CHROMIUM_ARGS, ...(gpu ? GPU_ARGS : []), `--${this.processMarker}`],
      });
      browser.on('disconnected', () => this.#browserLost(browser));
      this.#browser = browser;
      const created = Array.from({ length: this.size }, () => this.#addWorker(browser));
      await Promise.all(created.map((w) => w.ready));
    })().finally(() => {
      this.#launching = undefined;
    });
    return this.#launching;
  }

  #browserLost(browser: Browser): void {
    if (this.#browser !== browser) return;
    this.#browser = undefined;
    for (const worker of [...this.#workers]) this.#retire(worker, 'the Chromium process exited');
    if (this.#closed) return;
    this.restarts++;
    this.#launch().catch((error: unknown) => {
      console.error(`weft: could not relaunch Chromium: ${error instanceof Error ? error.message : String(error)}`);
    });
  }

  #addWorker(browser: Browser): Worker {
    const worker = { dead: false } as Worker;
    worker.ready = (async () => {
      const context = await browser.newContext();
      const page = await context.newPage();
      worker.page = page;
      let ready!: () => void;
      const isReady = new Promise<void>((resolve) => (ready = resolve));
      await page.exposeBinding(REPORT_BINDING, (_source, json: string) => {
        const event = JSON.parse(json) as PageEvent;
        if (event.type === 'ready') ready();
        else worker.onEvent?.(event);
      });
      page.on('crash', () => this.#replace(worker, 'the worker page crashed'));
      page.on('pageerror', (error) => console.error(`weft: headless page error: ${error.message}`));
      await page.goto(`${this.#bridge.origin}${PAGE_PATH}`);
      const timeout = new Promise<never>((_, reject) =>
        setTimeout(
          () => reject(new Error(`the headless page did not start in ${WORKER_START_TIMEOUT_MS} ms`)),
          WORKER_START_TIMEOUT_MS,
        ).unref(),
      );
      await Promise.race([isReady, timeout]);
    })();
    this.#workers.add(worker);
    worker.ready.then(
      () => this.#release(worker),
      (error: unknown) => {
        this.#retire(worker, 'the worker page did not start');
        if (!this.#closed && this.#browser === browser) {
          console.error(
            `weft: a headless worker failed to start: ${error instanceof Error ? error.message : String(error)}`,
          );
        }
      },
    );
    return worker;
  }

  /** Marks a worker dead and fails its job (retryable). */
  #retire(worker: Worker, why: string): void {
    if (worker.dead) return;
    worker.dead = true;
    this.#workers.delete(worker);
    const index = this.#idle.indexOf(worker);
    if (index >= 0) this.#idle.splice(index, 1);
    worker.onLost?.(why);
    worker.page
      ?.context()
      .close()
      .catch(() => undefined); // the page may already be gone with its browser
  }

  /** Retires a worker and starts a fresh one in its place. */
  #replace(worker: Worker, why: string): void {
    if (worker.dead) return;
    this.#retire(worker, why);
    this.restarts++;
    if (!this.#closed && this.#browser) this.#addWorker(this.#browser);
  }

  #release(worker: Worker): void {
    if (worker.dead || this.#closed) return;
    const waiter = this.#waiters.shift();
    if (waiter) waiter.take(worker);
    else this.#idle.push(worker);
  }

  #acquire(signal?: AbortSignal): Promise<Worker> {
    const idle = this.#idle.shift();
    if (idle) return Promise.resolve(idle);
    return new Promise<Worker>((resolve, reject) => {
      const waiter = {
        take: (worker: Worker): void => {
          signal?.removeEventListener('abort', onAbort);
          resolve(worker);
        },
        fail: reject,
      };
      const onAbort = (): void => {
        const i = this.#waiters.indexOf(waiter);
        if (i >= 0) this.#waiters.splice(i, 1);
        reject(new JobError({ code: 'canceled', message: 'the job was canceled before it started' }));
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.push(waiter);
    });
  }

  /** Runs one pipeline on a warm page. Rejects with a `JobError`. */
  async run(request: RunRequest): Promise<RunOutcome> {
    if (this.#closed) throw new JobError({ code: 'unavailable', message: 'the worker pool is shut down' }, true);
    const worker = await this.#acquire(request.signal);
    this.#busy++;
    const started = Date.now();
    const secret = randomBytes(24).toString('hex');
    const ioBase = this.#bridge.register(secret, {
      inputs: new Map(Object.entries(request.inputs)),
      openOutput: (name, type) => request.openOutput(name, type),
    });
    const job: PageJob = {
      id: secret.slice(0, 12),
      pipeline: request.pipeline,
      ioBase,
      inputs: Object.keys(request.inputs),
      ...(request.overrides ? { overrides: request.overrides } : {}),
    };
    try {
      return await this.#drive(worker, job, request, started);
    } finally {
      this.#busy--;
      worker.onEvent = undefined;
      worker.onLost = undefined;
      await this.#bridge.unregister(secret);
      this.#release(worker);
    }
  }

  #drive(worker: Worker, job: PageJob, request: RunRequest, started: number): Promise<RunOutcome> {
    const hangMs = this.#options.hangTimeoutMs ?? DEFAULT_HANG_TIMEOUT_MS;
    return new Promise<RunOutcome>((resolve, reject) => {
      let lastSeen = Date.now();
      let duration: number | null = null;
      let settled = false;
      let cancelTimer: ReturnType<typeof setTimeout> | undefined;
      const settle = (action: () => void): void => {
        if (settled) return;
        settled = true;
        clearInterval(watchdog);
        clearTimeout(deadline);
        clearTimeout(cancelTimer);
        request.signal?.removeEventListener('abort', onAbort);
        action();
      };
      const stopPage = (error: JobError): void => {
        // Ask the page to stop; a page that does not within the grace period is replaced.
        cancelTimer ??= setTimeout(() => {
          this.#replace(worker, 'the worker did not stop after cancel');
          settle(() => reject(error));
        }, CANCEL_GRACE_MS);
        worker.page
          .evaluate(([global, id]) => (window as unknown as Record<string, PageApi>)[global]?.cancel(id), [
            PAGE_GLOBAL,
            job.id,
          ] as const)
          .catch(() => undefined); // a dead page is handled by onLost
        pendingError = error;
      };
      let pendingError: JobError | undefined;
      const onAbort = (): void => stopPage(new JobError({ code: 'canceled', message: 'the job was canceled' }));
      const watchdog = setInterval(() => {
        if (Date.now() - lastSeen > hangMs) {
          this.#replace(worker, `the worker sent nothing for ${hangMs} ms (hung)`);
        }
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
      worker.onLost = (why) =>
        settle(() => reject(new JobError({ code: 'worker_lost', message: `${why}; the job did not finish` }, true)));
      worker.onEvent = (event) => {
        lastSeen = Date.now();
        switch (event.type) {
          case 'started':
            duration = event.duration_us;
            request.onProgress?.({ fraction: 0, media_time_us: 0, duration_us: duration, nodes: {} });
            break;
          case 'progress':
            request.onProgress?.({
              fraction: event.fraction,
              media_time_us: event.media_time_us,
              duration_us: duration,
              nodes: event.nodes,
            });
            break;
          case 'done':
            settle(() => resolve({ outputs: event.outputs, ms: Date.now() - started }));
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
      worker.page
        .evaluate(([global, j]) => (window as unknown as Record<string, PageApi>)[global]?.start(j), [
          PAGE_GLOBAL,
          job,
        ] as const)
        .catch((error: unknown) => {
          if (!worker.dead) this.#replace(worker, `the worker could not start the job (${String(error)})`);
        });
    });
  }

  /** Closes every page, the browser and the bridge. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const waiter of this.#waiters.splice(0)) {
      waiter.fail(
        new JobError({ code: 'unavailable', message: 'the worker pool shut down before the job started' }, true),
      );
    }
    const browser = this.#browser;
    this.#browser = undefined;
    for (const worker of [...this.#workers]) this.#retire(worker, 'the worker pool is shutting down');
    await this.#launching?.catch(() => undefined);
    await browser?.close().catch(() => undefined);
    await this.#bridge.close();
  }
}
