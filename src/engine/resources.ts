/**
 * Whoever holds a frame closes it. The tracker counts every frame that crosses an edge and
 * forgets it when it is closed, so a run can assert that nothing was left open; in development
 * a `FinalizationRegistry` warns about frames collected without being closed.
 */
import type { Closeable } from './packets';

const trackedClose = Symbol('weft.trackedClose');

type Tracked = Closeable & { [trackedClose]?: true };

/** Counts open frames handed between nodes. One tracker per session. */
export class FrameTracker {
  readonly #open = new Map<Closeable, { origin: string; token: object }>();
  readonly #registry: FinalizationRegistry<string> | undefined;

  /** `warnOnLeak` installs a finalizer that reports frames garbage-collected while open. */
  constructor(options: { warnOnLeak?: (origin: string) => void } = {}) {
    const warn = options.warnOnLeak;
    this.#registry =
      warn && typeof FinalizationRegistry === 'function' ? new FinalizationRegistry<string>(warn) : undefined;
  }

  /** Starts tracking `frame`; `origin` says who made it (for leak reports). Idempotent. */
  track(frame: Closeable, origin: string): void {
    const tracked = frame as Tracked;
    if (tracked[trackedClose] || this.#open.has(frame)) return;
    const token = {};
    this.#open.set(frame, { origin, token });
    this.#registry?.register(frame, origin, token);
    const close = frame.close.bind(frame);
    Object.defineProperty(frame, 'close', {
      configurable: true,
      value: () => {
        this.#open.delete(frame);
        this.#registry?.unregister(token);
        close();
      },
    });
    tracked[trackedClose] = true;
  }

  /**
   * Stops counting `frame`: its ownership left this session (it was transferred to another
   * Worker, which counts it there). Closing it later is still harmless.
   */
  forget(frame: Closeable): void {
    const entry = this.#open.get(frame);
    if (!entry) return;
    this.#open.delete(frame);
    this.#registry?.unregister(entry.token);
  }

  /** Frames handed out and not yet closed. */
  get openCount(): number {
    return this.#open.size;
  }
}
