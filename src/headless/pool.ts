/**
 * A warm pool of headless Chromium pages that run pipelines with the same bundle as the studio.
 * Each page lives in its own browser context (its own renderer process), so a page that crashes
 * takes only its own run down; the pool replaces it, and relaunches the browser if it exits.
 * Closing the pool is bounded: no page is replaced once it closes, and a browser that does not
 * exit in time is killed.
 */
import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import type { Browser, Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, GPU_ARGS, hasGpu, headlessShellPath } from '../../scripts/chromium.js';
import type { Bridge } from './bridge';
import { startBridge } from './bridge';
import type { PageHandle, PageLoss, PipelineRunner, RunOutcome, RunRequest } from './driver';
import { driveJob, JobError } from './driver';
import type { PageApi, PageJob } from './protocol';
import { PAGE_GLOBAL, PAGE_PATH, REPORT_BINDING, parsePageEvent } from './protocol';
import type { SessionIo, SessionPage, SessionPageHandlers } from './session-page';
import { openSessionPage } from './session-page';

/** Time a page gets to load and report `ready`. */
export const WORKER_START_TIMEOUT_MS = 30_000;
/** Time the browser gets to exit on close before it is killed. */
const BROWSER_CLOSE_TIMEOUT_MS = 3_000;
/** Default time running jobs get to wind up when the pool closes. */
const DEFAULT_CLOSE_GRACE_MS = 3_000;

/** Default pool size: half the CPU cores (each page's codecs use several threads), at least 1. */
export function defaultPoolSize(): number {
  return Math.max(1, Math.ceil(availableParallelism() / 2));
}

/** Settings of a pool. */
export interface PoolOptions {
  /** The built bundle (`vite build` output) holding `headless.html`. */
  distDir: string;
  /** Assets (models, fonts, images) the pages may open by name. */
  assetsDir?: string;
  /** The models folder, served as assets `models/…` (`--models DIR`). */
  modelsDir?: string;
  /** Pages kept warm. Default: `defaultPoolSize()`. */
  size?: number;
  /** Chromium binary. Default: chromium-headless-shell when installed, else chromium. */
  executablePath?: string;
  /** Use a real GPU adapter: default when one is present. */
  gpu?: boolean;
  hangTimeoutMs?: number;
  /** Where the pool reports what it sees (page errors, warnings). Default: stderr. */
  log?: (line: string) => void;
}

/** One warm page and the run it is lent to. */
interface PageSlot {
  page: Page;
  handle: PageHandle;
  ready: Promise<void>;
  dead: boolean;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** Sends SIGKILL to every process whose command line holds `marker` (a browser that would not exit). */
async function killMarked(marker: string): Promise<number> {
  let killed = 0;
  for (const pid of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (!cmdline.includes(marker)) continue;
    try {
      process.kill(Number(pid), 'SIGKILL');
      killed++;
    } catch {
      // it exited meanwhile
    }
  }
  return killed;
}

/** A pool of warm headless pages. */
export class HeadlessPool implements PipelineRunner {
  readonly size: number;
  /** A marker in the browser's command line, so tests and operators can find its processes. */
  readonly processMarker = `weft-pool=${randomBytes(6).toString('hex')}`;
  /** Pages replaced after a crash or hang, and browser relaunches. */
  restarts = 0;
  /** Pages that crashed or hung under a run (what a bad input can cause), since start. */
  crashes = 0;
  /** Warnings pages reported (e.g. `frame_leak`), by code, since start. */
  readonly warnings: Record<string, number> = {};
  readonly #options: PoolOptions;
  readonly #bridge: Bridge;
  readonly #log: (line: string) => void;
  #browser: Browser | undefined;
  #launching: Promise<void> | undefined;
  readonly #slots = new Set<PageSlot>();
  readonly #idle: PageSlot[] = [];
  readonly #waiters: { take: (slot: PageSlot) => void; fail: (error: JobError) => void }[] = [];
  #closed = false;
  #busy = 0;
  /** Live sessions' pages, held apart from the job pages. */
  readonly #sessionPages = new Set<SessionPage>();

  private constructor(options: PoolOptions, bridge: Bridge) {
    this.#options = options;
    this.#bridge = bridge;
    this.#log = options.log ?? ((line) => console.error(line));
    this.size = options.size ?? defaultPoolSize();
  }

  /** Starts the bridge and the browser and loads `size` pages. */
  static async start(options: PoolOptions): Promise<HeadlessPool> {
    const pool = new HeadlessPool(options, await startBridge(options.distDir, options.assetsDir, options.modelsDir));
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
      if (this.#closed) {
        await browser.close().catch(() => undefined);
        return;
      }
      browser.on('disconnected', () => this.#browserLost(browser));
      this.#browser = browser;
      const created = Array.from({ length: this.size }, () => this.#addPage(browser));
      await Promise.all(created.map((w) => w.ready));
    })().finally(() => {
      this.#launching = undefined;
    });
    return this.#launching;
  }

  #browserLost(browser: Browser): void {
    if (this.#browser !== browser) return;
    this.#browser = undefined;
    for (const slot of [...this.#slots]) this.#retire(slot, 'the Chromium process exited', 'browser');
    if (this.#closed) return;
    this.restarts++;
    this.#launch().catch((error: unknown) => {
      this.#log(`weft: could not relaunch Chromium: ${error instanceof Error ? error.message : String(error)}`);
    });
  }

  #addPage(browser: Browser): PageSlot {
    const slot = { dead: false } as PageSlot;
    slot.handle = {
      start: async (job: PageJob) => {
        await slot.page.evaluate(([global, j]) => (window as unknown as Record<string, PageApi>)[global]?.start(j), [
          PAGE_GLOBAL,
          job,
        ] as const);
      },
      cancel: async (id: string) => {
        await slot.page.evaluate(([global, i]) => (window as unknown as Record<string, PageApi>)[global]?.cancel(i), [
          PAGE_GLOBAL,
          id,
        ] as const);
      },
      replace: (why, loss) => this.#replace(slot, why, loss),
      onEvent: undefined,
      onLost: undefined,
    };
    slot.ready = (async () => {
      const context = await browser.newContext();
      const page = await context.newPage();
      slot.page = page;
      let ready!: () => void;
      const isReady = new Promise<void>((resolve) => (ready = resolve));
      await page.exposeBinding(REPORT_BINDING, (_source, json: unknown) => {
        const event = parsePageEvent(json);
        if (!event) {
          this.#log(`weft: a headless page sent an event outside the protocol; ignored`);
          return;
        }
        if (event.type === 'ready') ready();
        else slot.handle.onEvent?.(event);
      });
      page.on('crash', () => this.#replace(slot, 'the headless page crashed', 'crash'));
      page.on('pageerror', (error) => this.#log(`weft: headless page error: ${error.message}`));
      await page.goto(`${this.#bridge.origin}${PAGE_PATH}`);
      const timeout = new Promise<never>((_, reject) =>
        setTimeout(
          () => reject(new Error(`the headless page did not start in ${WORKER_START_TIMEOUT_MS} ms`)),
          WORKER_START_TIMEOUT_MS,
        ).unref(),
      );
      await Promise.race([isReady, timeout]);
    })();
    this.#slots.add(slot);
    slot.ready.then(
      () => this.#release(slot),
      (error: unknown) => {
        this.#retire(slot, 'the headless page did not start', 'browser');
        if (!this.#closed && this.#browser === browser) {
          this.#log(`weft: a headless page failed to start: ${error instanceof Error ? error.message : String(error)}`);
        }
      },
    );
    return slot;
  }

  /** Marks a page dead and fails its run (retryable). */
  #retire(slot: PageSlot, why: string, loss: PageLoss): void {
    if (slot.dead) return;
    slot.dead = true;
    this.#slots.delete(slot);
    const index = this.#idle.indexOf(slot);
    if (index >= 0) this.#idle.splice(index, 1);
    slot.handle.onLost?.(why, loss);
    slot.page
      ?.context()
      .close()
      .catch(() => undefined); // the page may already be gone with its browser
  }

  /** Retires a page and, unless the pool is closing, starts a fresh one in its place. */
  #replace(slot: PageSlot, why: string, loss: PageLoss): void {
    if (slot.dead) return;
    this.#retire(slot, why, loss);
    if (this.#closed) return;
    this.restarts++;
    if (loss === 'crash' || loss === 'hang') this.crashes++;
    this.#log(`weft: replacing a headless page: ${why}`);
    if (this.#browser) this.#addPage(this.#browser);
  }

  #release(slot: PageSlot): void {
    if (slot.dead || this.#closed) return;
    const waiter = this.#waiters.shift();
    if (waiter) waiter.take(slot);
    else this.#idle.push(slot);
  }

  #acquire(signal?: AbortSignal): Promise<PageSlot> {
    const idle = this.#idle.shift();
    if (idle) return Promise.resolve(idle);
    return new Promise<PageSlot>((resolve, reject) => {
      const waiter = {
        take: (slot: PageSlot): void => {
          signal?.removeEventListener('abort', onAbort);
          resolve(slot);
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
    const slot = await this.#acquire(request.signal);
    this.#busy++;
    const secret = randomBytes(24).toString('hex');
    const ioBase = this.#bridge.register(secret, {
      inputs: new Map(Object.entries(request.inputs)),
      openOutput: (name, type) => request.openOutput(name, type),
      ...(request.files ? { files: request.files } : {}),
      ...(request.openObject ? { openObject: request.openObject } : {}),
      ...(request.scriptFetch ? { scriptFetch: request.scriptFetch } : {}),
    });
    const job: PageJob = {
      id: secret.slice(0, 12),
      pipeline: request.pipeline,
      ioBase,
      ...(this.relayUrl ? { moqRelay: this.relayUrl } : {}),
      inputs: Object.keys(request.inputs),
      ...(request.overrides ? { overrides: request.overrides } : {}),
      ...(request.files ? { files: true } : {}),
      ...(request.openObject ? { objects: true } : {}),
      ...(request.scriptFetch ? { fetch: true } : {}),
    };
    const onWarning = request.onWarning;
    try {
      return await driveJob(
        slot.handle,
        job,
        {
          ...request,
          onWarning: (warning) => {
            this.warnings[warning.code] = (this.warnings[warning.code] ?? 0) + 1;
            this.#log(`weft: headless run ${job.id}: ${warning.code}: ${warning.message}`);
            onWarning?.(warning);
          },
        },
        this.#options.hangTimeoutMs !== undefined ? { hangTimeoutMs: this.#options.hangTimeoutMs } : {},
      );
    } finally {
      this.#busy--;
      await this.#bridge.unregister(secret);
      this.#release(slot);
    }
  }

  /** Live sessions running on their own pages. */
  get sessions(): number {
    return this.#sessionPages.size;
  }

  /**
   * Starts live session `id` on a page of its own (not one of the job pages). Rejects with a
   * `SessionOpenError` when the page refuses the pipeline.
   */
  /** The MoQ relay of the server this pool works for (`http://host:port/moq`), once it listens. */
  relayUrl: string | undefined;

  async openSession(
    id: string,
    pipeline: string,
    handlers: SessionPageHandlers,
    io: SessionIo = {},
  ): Promise<SessionPage> {
    if (this.#closed) throw new JobError({ code: 'unavailable', message: 'the worker pool is shut down' }, true);
    if (!this.#browser) await this.#launch();
    const browser = this.#browser;
    if (!browser) throw new JobError({ code: 'unavailable', message: 'Chromium is not running' }, true);
    // The session's server files and streams ride on the bridge, under a secret of its own.
    const secret = randomBytes(24).toString('hex');
    const ioBase = this.#bridge.register(secret, {
      inputs: new Map(),
      openOutput: () => Promise.reject(new Error('live sessions have no job outputs')),
      ...(io.files ? { files: io.files } : {}),
      ...(io.openStream ? { openStream: io.openStream } : {}),
      ...(io.openObject ? { openObject: io.openObject } : {}),
      ...(io.scriptFetch ? { scriptFetch: io.scriptFetch } : {}),
    });
    const release = (): void => void this.#bridge.unregister(secret);
    const held: { page?: SessionPage } = {};
    let opened: SessionPage;
    try {
      opened = await openSessionPage(
        browser,
        this.#bridge.origin,
        id,
        pipeline,
        {
          onEvent: (event) => handlers.onEvent(event),
          onEnded: (reason) => {
            if (held.page) this.#sessionPages.delete(held.page);
            release();
            handlers.onEnded(reason);
          },
        },
        this.#log,
        this.relayUrl,
        {
          ioBase,
          files: io.files !== undefined,
          streams: io.openStream !== undefined,
          objects: io.openObject !== undefined,
          fetch: io.scriptFetch !== undefined,
        },
      );
    } catch (error) {
      release();
      throw error;
    }
    const page: SessionPage = {
      control: (request) => opened.control(request),
      crash: () => opened.crash(),
      close: async () => {
        this.#sessionPages.delete(page);
        await opened.close();
        await this.#bridge.unregister(secret);
      },
    };
    held.page = page;
    this.#sessionPages.add(page);
    return page;
  }

  /**
   * Closes every page, the browser and the bridge. Runs still going get `graceMs` to end (their
   * owners are expected to have canceled them); pages are not replaced from now on, and a browser
   * that does not exit is killed.
   */
  async close(options: { graceMs?: number } = {}): Promise<void> {
    this.#closed = true;
    for (const waiter of this.#waiters.splice(0)) {
      waiter.fail(
        new JobError({ code: 'unavailable', message: 'the worker pool shut down before the job started' }, true),
      );
    }
    await Promise.all([...this.#sessionPages].map((page) => page.close()));
    const until = Date.now() + (options.graceMs ?? DEFAULT_CLOSE_GRACE_MS);
    while (this.#busy > 0 && Date.now() < until) await sleep(50);
    const browser = this.#browser;
    this.#browser = undefined;
    for (const slot of [...this.#slots]) this.#retire(slot, 'the worker pool is shutting down', 'shutdown');
    await Promise.race([this.#launching?.catch(() => undefined), sleep(BROWSER_CLOSE_TIMEOUT_MS)]);
    const closed = await Promise.race([
      (browser?.close() ?? Promise.resolve()).then(
        () => true,
        () => false,
      ),
      sleep(BROWSER_CLOSE_TIMEOUT_MS).then(() => false),
    ]);
    // A browser that would not close (or a launch still under way) is killed, never left behind.
    const killed = await killMarked(this.processMarker);
    if (!closed && killed > 0) this.#log(`weft: killed ${killed} Chromium process(es) that did not exit on close`);
    await this.#bridge.close();
  }
}
