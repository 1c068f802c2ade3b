/**
 * Time in Weft has units. Timestamps and durations are integer microseconds (WebCodecs' unit),
 * carried in the branded `Micros` type so that milliseconds and seconds cannot slip in unnoticed.
 */

declare const microsBrand: unique symbol;

/** An integer number of microseconds (timestamp or duration). */
export type Micros = number & { readonly [microsBrand]: true };

/** Microseconds in one millisecond. */
export const MICROS_PER_MS = 1_000;
/** Microseconds in one second. */
export const MICROS_PER_SECOND = 1_000_000;

/** Brands an integer count of microseconds, rounding a fractional value to the nearest integer. */
export function micros(value: number): Micros {
  if (!Number.isFinite(value)) throw new RangeError(`micros: ${value} is not a finite number`);
  return Math.round(value) as Micros;
}

/** Converts milliseconds to microseconds. */
export function fromMillis(ms: number): Micros {
  return micros(ms * MICROS_PER_MS);
}

/** Converts seconds to microseconds. */
export function fromSeconds(seconds: number): Micros {
  return micros(seconds * MICROS_PER_SECOND);
}

/** Converts microseconds to (fractional) milliseconds, for timers and display. */
export function toMillis(value: Micros): number {
  return value / MICROS_PER_MS;
}

/** Converts microseconds to (fractional) seconds, for display and rates. */
export function toSeconds(value: Micros): number {
  return value / MICROS_PER_SECOND;
}

/** A monotonic clock; injected so that pacing and rates can be tested without timing luck. */
export interface Clock {
  /** Current monotonic time. */
  now(): Micros;
  /** Resolves after `duration` has passed; rejects with the signal's reason when aborted. */
  sleep(duration: Micros, signal?: AbortSignal): Promise<void>;
  /** Calls `callback` once `duration` has passed on this clock; returns the cancel function. */
  after(duration: Micros, callback: () => void): () => void;
}

/** The real clock: `performance.now()` and timers. */
export const systemClock: Clock = {
  now: () => micros(performance.now() * MICROS_PER_MS),
  sleep(duration, signal) {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason as Error);
        return;
      }
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(signal?.reason as Error);
      };
      const timer = setTimeout(
        () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        Math.max(0, toMillis(duration)),
      );
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  },
  after(duration, callback) {
    const timer = setTimeout(callback, Math.max(0, toMillis(duration)));
    return () => clearTimeout(timer);
  },
};

interface Timer {
  due: number;
  seq: number;
  fire: () => void;
}

/** Timers of a clock whose time is moved by code (virtual and manual clocks). */
class TimerList {
  #timers: Timer[] = [];
  #seq = 0;

  add(due: number, fire: () => void): () => void {
    const timer = { due, seq: this.#seq++, fire };
    this.#timers.push(timer);
    return () => {
      this.#timers = this.#timers.filter((t) => t !== timer);
    };
  }

  /** Fires, in due order, every timer due at or before `now` (including ones they add). */
  fireDue(now: number, moveTo?: (due: number) => void): void {
    for (;;) {
      let next: Timer | undefined;
      for (const t of this.#timers) {
        if (t.due <= now && (!next || t.due < next.due || (t.due === next.due && t.seq < next.seq))) next = t;
      }
      if (!next) return;
      const fired = next;
      this.#timers = this.#timers.filter((t) => t !== fired);
      moveTo?.(fired.due);
      fired.fire();
    }
  }
}

/**
 * A clock that advances only when something sleeps on it: pacing logic runs instantly and
 * deterministically in tests, and `now()` still reports the time a real clock would.
 */
export class VirtualClock implements Clock {
  #now: number;

  constructor(start: Micros = micros(0)) {
    this.#now = start;
  }

  now(): Micros {
    return this.#now as Micros;
  }

  sleep(duration: Micros, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason as Error);
    this.#now += Math.max(0, duration);
    this.#timers.fireDue(this.#now);
    return Promise.resolve();
  }

  /** Timers fire when a `sleep` moves the time past them (never on their own). */
  after(duration: Micros, callback: () => void): () => void {
    return this.#timers.add(this.#now + Math.max(0, duration), callback);
  }

  readonly #timers = new TimerList();
}

/**
 * A clock that moves only when a test calls `advance`: sleeps and timers (the watchdog, abort
 * grace periods, the mixer's timeouts) wait for it, so time-dependent behaviour is tested without
 * real waiting or timing luck.
 */
export class ManualClock implements Clock {
  #now: number;
  readonly #timers = new TimerList();

  constructor(start: Micros = micros(0)) {
    this.#now = start;
  }

  now(): Micros {
    return this.#now as Micros;
  }

  sleep(duration: Micros, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason as Error);
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        cancel();
        reject(signal?.reason as Error);
      };
      const cancel = this.#timers.add(this.#now + Math.max(0, duration), () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      });
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  after(duration: Micros, callback: () => void): () => void {
    return this.#timers.add(this.#now + Math.max(0, duration), callback);
  }

  /** Moves time forward by `duration`, firing what falls due, step by step in due order. */
  advance(duration: Micros): void {
    const end = this.#now + Math.max(0, duration);
    this.#timers.fireDue(end, (due) => {
      this.#now = Math.max(this.#now, due);
    });
    this.#now = end;
  }
}
