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
  readonly #open = new Map<Closeable, string>();
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
    this.#open.set(frame, origin);
    const token = {};
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

  /** Frames handed out and not yet closed. */
  get openCount(): number {
    return this.#open.size;
  }
}
