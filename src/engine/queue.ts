/**
 * A bounded packet queue: the edge between two pins. `push()` returns a promise that resolves
 * when there is room (reliable edges: backpressure) or drops the oldest packet (best-effort edges).
 */
import type { Packet } from './packets';
import { closePacket } from './packets';

/** Packets an edge holds before the producer waits (reliable) or the oldest is dropped (best effort). */
export const DEFAULT_EDGE_CAPACITY = 16;

/** How an edge behaves when full, in StreamKit's names. */
export type EdgeMode = 'reliable' | 'best_effort';

/** Returned by `pull()` once the producer has ended and the queue is drained. */
export const END_OF_STREAM: unique symbol = Symbol('weft.endOfStream');
/** The end-of-stream marker's type. */
export type EndOfStream = typeof END_OF_STREAM;

interface Waiter<T> {
  resolve: (value: T) => void;
  reject: (reason: unknown) => void;
}

/** A single-consumer bounded queue of packets. */
export class PacketQueue {
  readonly capacity: number;
  mode: EdgeMode;
  readonly #items: Packet[] = [];
  #ended = false;
  #failure: Error | undefined = undefined;
  #dropped = 0;
  #pullWaiter: Waiter<Packet | EndOfStream> | undefined;
  readonly #pushWaiters: Waiter<void>[] = [];

  constructor(mode: EdgeMode = 'reliable', capacity = DEFAULT_EDGE_CAPACITY) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`queue capacity ${capacity} must be ≥ 1`);
    this.mode = mode;
    this.capacity = capacity;
  }

  /** Packets waiting. */
  get size(): number {
    return this.#items.length;
  }

  /** Packets dropped because a best-effort edge was full. */
  get dropped(): number {
    return this.#dropped;
  }

  /** True once `end()` or `fail()` was called. */
  get ended(): boolean {
    return this.#ended;
  }

  /**
   * Adds a packet; ownership passes to the queue. Resolves when the packet is accepted.
   * Once the queue is closed, the packet is closed and the promise resolves at once.
   */
  push(packet: Packet): Promise<void> {
    if (this.#ended) {
      closePacket(packet);
      return Promise.resolve();
    }
    if (this.#pullWaiter) {
      const waiter = this.#pullWaiter;
      this.#pullWaiter = undefined;
      waiter.resolve(packet);
      return Promise.resolve();
    }
    if (this.#items.length < this.capacity) {
      this.#items.push(packet);
      return Promise.resolve();
    }
    if (this.mode === 'best_effort') {
      const oldest = this.#items.shift();
      if (oldest) closePacket(oldest);
      this.#dropped++;
      this.#items.push(packet);
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      this.#pushWaiters.push({
        resolve: () => {
          if (this.#ended) closePacket(packet);
          else this.#items.push(packet);
          resolve();
        },
        reject,
      });
    });
  }

  /** The next packet, or `END_OF_STREAM` once ended and drained. Rejects if the queue failed. */
  pull(): Promise<Packet | EndOfStream> {
    const item = this.#items.shift();
    if (item) {
      this.#pushWaiters.shift()?.resolve();
      return Promise.resolve(item);
    }
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    if (this.#ended) return Promise.resolve(END_OF_STREAM);
    if (this.#pullWaiter)
      return Promise.reject(new Error('PacketQueue.pull: a pull is already pending (one consumer per queue)'));
    return new Promise((resolve, reject) => {
      this.#pullWaiter = { resolve, reject };
    });
  }

  /**
   * Without waiting: the newest queued packet (the older ones are closed and counted as dropped),
   * `null` when the queue is empty, or `END_OF_STREAM` once ended and drained. Rejects nothing:
   * a failed queue reads as ended.
   */
  takeLatest(): Packet | EndOfStream | null {
    const newest = this.#items.pop();
    for (const older of this.#items.splice(0)) {
      closePacket(older);
      this.#dropped++;
    }
    for (const waiter of this.#pushWaiters.splice(0)) waiter.resolve();
    if (newest) return newest;
    return this.#ended ? END_OF_STREAM : null;
  }

  /** Marks the end of the stream: the consumer drains what is queued, then sees `END_OF_STREAM`. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    // Producers blocked on a full queue are released; their packets are closed (nobody will read them).
    for (const waiter of this.#pushWaiters.splice(0)) waiter.resolve();
    if (this.#pullWaiter && this.#items.length === 0) {
      const waiter = this.#pullWaiter;
      this.#pullWaiter = undefined;
      waiter.resolve(END_OF_STREAM);
    }
  }

  /** Closes the queue for good: every queued packet is closed and a pending pull rejects with `reason`. */
  fail(reason: unknown): void {
    this.#ended = true;
    this.#failure = reason instanceof Error ? reason : new Error(String(reason));
    for (const packet of this.#items.splice(0)) closePacket(packet);
    for (const waiter of this.#pushWaiters.splice(0)) waiter.resolve();
    if (this.#pullWaiter) {
      const waiter = this.#pullWaiter;
      this.#pullWaiter = undefined;
      waiter.reject(this.#failure);
    }
  }

  /** Closes every queued packet and empties the queue without ending it (used when an edge is removed). */
  drain(): void {
    for (const packet of this.#items.splice(0)) closePacket(packet);
    for (const waiter of this.#pushWaiters.splice(0)) waiter.resolve();
  }
}
