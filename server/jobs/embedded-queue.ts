/**
 * The embedded queue: in-process, FIFO, bounded concurrency, retry at the front of the line.
 * It keeps no state of its own across restarts: the job service re-adds queued jobs from the store.
 */
import type { JobQueue, QueueEvent, QueueHandler } from './queue';
import { DEFAULT_MAX_ATTEMPTS, RetryableError, ShutdownError } from './queue';
import { clip } from '../../src/engine';
import { isJobId, UnsafePathError } from './ids';

export class EmbeddedQueue implements JobQueue {
  readonly #waiting: { id: string; attempt: number }[] = [];
  readonly #active = new Map<string, AbortController>();
  readonly #running = new Set<Promise<void>>();
  readonly #listeners = new Set<(event: QueueEvent) => void>();
  readonly #maxAttempts: number;
  #handler: QueueHandler | undefined;
  #concurrency = 0;
  #closed = false;

  constructor(options: { maxAttempts?: number } = {}) {
    this.#maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  }

  add(id: string): Promise<void> {
    if (this.#closed) return Promise.reject(new Error('the queue is closed'));
    if (!isJobId(id)) return Promise.reject(new UnsafePathError(`'${clip(id)}' is not a job id`));
    this.#waiting.push({ id, attempt: 1 });
    this.#pump();
    return Promise.resolve();
  }

  process(handler: QueueHandler, concurrency: number): void {
    if (this.#handler) throw new Error('process() was already called on this queue');
    this.#handler = handler;
    this.#concurrency = Math.max(1, concurrency);
    this.#pump();
  }

  cancel(id: string): Promise<'removed' | 'aborted' | 'unknown'> {
    const index = this.#waiting.findIndex((w) => w.id === id);
    if (index >= 0) {
      this.#waiting.splice(index, 1);
      return Promise.resolve('removed');
    }
    const running = this.#active.get(id);
    if (running) {
      running.abort(new Error('the job was canceled'));
      return Promise.resolve('aborted');
    }
    return Promise.resolve('unknown');
  }

  onEvent(listener: (event: QueueEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  counts(): Promise<{ waiting: number; active: number }> {
    return Promise.resolve({ waiting: this.#waiting.length, active: this.#active.size });
  }

  /** Aborts running attempts (they leave their jobs queued) and waits for them to wind up. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#waiting.length = 0;
    for (const controller of this.#active.values()) controller.abort(new ShutdownError('the server is shutting down'));
    await Promise.allSettled([...this.#running]);
  }

  #emit(event: QueueEvent): void {
    for (const listener of this.#listeners) listener(event);
  }

  #pump(): void {
    const handler = this.#handler;
    if (!handler || this.#closed) return;
    while (this.#active.size < this.#concurrency) {
      const next = this.#waiting.shift();
      if (!next) return;
      const controller = new AbortController();
      this.#active.set(next.id, controller);
      this.#emit({ type: 'active', id: next.id, attempt: next.attempt });
      const task = {
        id: next.id,
        attempt: next.attempt,
        signal: controller.signal,
        progress: (data: unknown) => this.#emit({ type: 'progress', id: next.id, data }),
      };
      const run = handler(task)
        .then(
          () => this.#emit({ type: 'completed', id: next.id }),
          (error: unknown) => {
            const message = error instanceof Error ? error.message : String(error);
            if (
              error instanceof RetryableError &&
              !controller.signal.aborted &&
              !this.#closed &&
              next.attempt < this.#maxAttempts
            ) {
              this.#waiting.unshift({ id: next.id, attempt: next.attempt + 1 });
              this.#emit({ type: 'retrying', id: next.id, attempt: next.attempt + 1, error: message });
            } else {
              this.#emit({ type: 'failed', id: next.id, error: message });
            }
          },
        )
        .finally(() => {
          this.#active.delete(next.id);
          this.#running.delete(run);
          this.#pump();
        });
      this.#running.add(run);
    }
  }
}
