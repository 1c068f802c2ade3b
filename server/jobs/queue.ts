/**
 * The job queue contract. Two backends implement it — the embedded in-process queue (default) and
 * BullMQ on Redis (scale-out) — and both pass one shared test suite.
 *
 * The queue decides *when* and *where* a job runs; what a job is lives in the job store.
 */

/** What a handler gets for one attempt at a job. */
export interface QueueTask {
  id: string;
  /** 1 for the first attempt. */
  attempt: number;
  /** Aborted when the job is canceled (or the queue closes). */
  signal: AbortSignal;
  /** Publishes progress to `onEvent` listeners (on every process sharing the queue). */
  progress(data: unknown): void;
}

/** Runs one attempt. Throw a `RetryableError` to have the job tried again (up to `maxAttempts`). */
export type QueueHandler = (task: QueueTask) => Promise<void>;

/** What a queue reports about its jobs. */
export type QueueEvent =
  | { type: 'active'; id: string; attempt: number }
  | { type: 'progress'; id: string; data: unknown }
  | { type: 'completed'; id: string }
  | { type: 'failed'; id: string; error: string }
  | { type: 'retrying'; id: string; attempt: number; error: string };

/** The contract both backends meet. */
export interface JobQueue {
  /** Adds a job at the back. */
  add(id: string): Promise<void>;
  /** Starts taking jobs with at most `concurrency` running at once in this process. */
  process(handler: QueueHandler, concurrency: number): void;
  /** Cancels a queued job (removed) or a running one (its signal aborts). */
  cancel(id: string): Promise<'removed' | 'aborted' | 'unknown'>;
  onEvent(listener: (event: QueueEvent) => void): () => void;
  /** Jobs waiting and running. */
  counts(): Promise<{ waiting: number; active: number }>;
  /** Stops taking jobs; running attempts are aborted. */
  close(): Promise<void>;
}

/** An attempt failed for a reason that is not the job's fault (a lost worker): try again. */
export class RetryableError extends Error {
  override readonly name = 'RetryableError';
}

/** The abort reason when a queue closes (server shutdown): the job is left queued, not canceled. */
export class ShutdownError extends Error {
  override readonly name = 'ShutdownError';
}

/** Attempts a job gets before it fails for good. */
export const DEFAULT_MAX_ATTEMPTS = 3;
