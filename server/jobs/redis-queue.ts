/**
 * The scale-out queue: BullMQ on Redis. Any number of processes (`weft serve`, `weft worker`) share
 * it; a worker that dies mid-job loses its lock and BullMQ hands the job to another worker.
 * Cancels reach the worker running a job through a Redis pub/sub channel.
 */
import type { Job } from 'bullmq';
import { Queue, QueueEvents, UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { JobQueue, QueueEvent, QueueHandler } from './queue';
import { DEFAULT_MAX_ATTEMPTS, RetryableError, ShutdownError } from './queue';
import { clip } from '../../src/engine';
import { assertJobId, isJobId } from './ids';

/** BullMQ queue name. */
export const QUEUE_NAME = 'weft-jobs';
/** Channel on which cancels are broadcast to every worker. */
const CANCEL_CHANNEL = 'weft:cancel';
/** A worker that stops renewing its lock for this long is considered lost and its job is retried. */
export const LOCK_DURATION_MS = 10_000;

interface Payload {
  id: string;
}

export class RedisQueue implements JobQueue {
  readonly #url: string;
  readonly #queue: Queue<Payload>;
  readonly #events: QueueEvents;
  readonly #publisher: Redis;
  readonly #listeners = new Set<(event: QueueEvent) => void>();
  readonly #maxAttempts: number;
  #worker: Worker<Payload> | undefined;
  readonly #closing = new AbortController();
  #subscriber: Redis | undefined;

  constructor(url: string, options: { maxAttempts?: number; prefix?: string } = {}) {
    this.#url = url;
    this.#maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    const prefix = options.prefix ?? 'weft';
    this.#queue = new Queue<Payload>(QUEUE_NAME, { connection: { url }, prefix });
    this.#events = new QueueEvents(QUEUE_NAME, { connection: { url }, prefix });
    this.#publisher = new Redis(url, { maxRetriesPerRequest: null });
    this.#events.on('active', ({ jobId }) => this.#emit({ type: 'active', id: jobId, attempt: 0 }));
    this.#events.on('progress', ({ jobId, data }) => this.#emit({ type: 'progress', id: jobId, data }));
    this.#events.on('completed', ({ jobId }) => this.#emit({ type: 'completed', id: jobId }));
    this.#events.on('failed', ({ jobId, failedReason }) =>
      this.#emit({ type: 'failed', id: jobId, error: failedReason }),
    );
    this.#events.on('removed', ({ jobId }) => this.#emit({ type: 'failed', id: jobId, error: 'removed' }));
  }

  /** Resolves once the event stream is connected (events before that are not seen). */
  async ready(): Promise<void> {
    await Promise.all([this.#queue.waitUntilReady(), this.#events.waitUntilReady()]);
  }

  async add(id: string): Promise<void> {
    assertJobId(id);
    // The job id doubles as BullMQ's id: adding a job twice (a restart) is a no-op.
    await this.#queue.add(
      'job',
      { id },
      {
        jobId: id,
        attempts: this.#maxAttempts,
        removeOnComplete: true,
        removeOnFail: true,
      },
    );
  }

  process(handler: QueueHandler, concurrency: number): void {
    if (this.#worker) throw new Error('process() was already called on this queue');
    const processor = async (job: Job<Payload>, _token?: string, signal?: AbortSignal): Promise<void> => {
      // Whatever is in Redis is checked before it names a job (and so a directory).
      if (!isJobId(job.data.id)) throw new UnrecoverableError(`'${clip(String(job.data.id))}' is not a job id`);
      const controller = new AbortController();
      signal?.addEventListener('abort', () => controller.abort(signal.reason), { once: true });
      const onClose = () => controller.abort(this.#closing.signal.reason);
      this.#closing.signal.addEventListener('abort', onClose, { once: true });
      try {
        await handler({
          id: job.data.id,
          attempt: job.attemptsStarted,
          signal: controller.signal,
          progress: (data) => void job.updateProgress(data as object).catch(() => undefined),
        });
      } catch (error) {
        if (error instanceof RetryableError || error instanceof ShutdownError) throw error; // BullMQ retries it
        throw new UnrecoverableError(error instanceof Error ? error.message : String(error));
      } finally {
        this.#closing.signal.removeEventListener('abort', onClose);
      }
    };
    this.#worker = new Worker<Payload>(QUEUE_NAME, processor, {
      connection: { url: this.#url },
      prefix: this.#queue.opts.prefix ?? 'weft',
      concurrency: Math.max(1, concurrency),
      lockDuration: LOCK_DURATION_MS,
      stalledInterval: LOCK_DURATION_MS / 2,
      maxStalledCount: this.#maxAttempts,
    });
    this.#worker.on('error', (error) => console.error(`weft: queue worker: ${error.message}`));
    this.#subscriber = new Redis(this.#url, { maxRetriesPerRequest: null });
    void this.#subscriber.subscribe(CANCEL_CHANNEL);
    this.#subscriber.on('message', (_channel: string, id: string) => this.#worker?.cancelJob(id, 'canceled'));
  }

  async cancel(id: string): Promise<'removed' | 'aborted' | 'unknown'> {
    const job = await this.#queue.getJob(id);
    if (!job) return 'unknown';
    const state = await job.getState();
    if (state === 'waiting' || state === 'delayed' || state === 'prioritized' || state === 'waiting-children') {
      await job.remove();
      return 'removed';
    }
    if (state === 'active') {
      await this.#publisher.publish(CANCEL_CHANNEL, id);
      return 'aborted';
    }
    return 'unknown';
  }

  onEvent(listener: (event: QueueEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async counts(): Promise<{ waiting: number; active: number }> {
    const c = await this.#queue.getJobCounts('waiting', 'delayed', 'prioritized', 'active');
    return { waiting: (c.waiting ?? 0) + (c.delayed ?? 0) + (c.prioritized ?? 0), active: c.active ?? 0 };
  }

  async close(): Promise<void> {
    // Running jobs are left to be taken again (by this process after a restart, or another worker).
    this.#closing.abort(new ShutdownError('the worker is shutting down'));
    await this.#worker?.close(true);
    this.#subscriber?.disconnect();
    this.#publisher.disconnect();
    await this.#events.close();
    await this.#queue.close();
  }

  #emit(event: QueueEvent): void {
    for (const listener of this.#listeners) listener(event);
  }
}
