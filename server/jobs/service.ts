/**
 * The job service: accepts jobs into the store and the queue, follows them through queue events,
 * publishes state and progress to subscribers (SSE), calls webhooks, enforces retention, and on
 * start resumes what a previous run left queued or running.
 */
import type { OutputStorage } from './outputs';
import { DiskOutputs } from './outputs';
import { createHmac } from 'node:crypto';
import { clip } from '../../src/engine';
import { OutboundError, outboundRequest } from '../outbound';
import type { JobQueue, QueueEvent } from './queue';
import type { JobRecord } from './record';
import { FINAL_STATES, JOB_STATES } from './record';
import type { JobStore } from './store';

/** Webhook delivery attempts and the first delay between them (doubled each time). */
export const WEBHOOK_ATTEMPTS = 4;
export const WEBHOOK_FIRST_DELAY_MS = 1_000;
/** How often old finished jobs are removed. */
const RETENTION_SWEEP_MS = 60_000;
/** Time a webhook receiver gets to answer. */
const WEBHOOK_TIMEOUT_MS = 10_000;

/** What subscribers of a job see. */
/** Progress as handlers publish it (see `executeJob`). */
export interface JobProgressEvent {
  fraction: number | null;
  media_time_us: number;
  nodes?: unknown;
}

/** A node's telemetry during a job (`core::telemetry_tap`…), StreamKit's `nodetelemetry` fields. */
export interface JobTelemetryEvent {
  node_id: string;
  type_id: string;
  data: unknown;
}

export type JobEvent =
  | { event: 'state'; data: JobRecord }
  | { event: 'progress'; data: JobProgressEvent }
  | { event: 'telemetry'; data: JobTelemetryEvent };

export interface ServiceOptions {
  store: JobStore;
  queue: JobQueue;
  /** Finished jobs older than this are deleted with their files (0: keep forever). */
  retentionMs: number;
  /** Signs webhook bodies (HMAC-SHA256). */
  webhookSecret: string;
  /** Webhooks may reach private addresses (`--allow-private-urls`). */
  allowPrivateUrls?: boolean;
  /** First delay between webhook attempts (doubled each time). Default WEBHOOK_FIRST_DELAY_MS. */
  webhookRetryDelayMs?: number;
  /** Where outputs are kept (the data directory when absent). */
  outputs?: OutputStorage;
}

/** Running totals for `/metrics`. */
export interface JobMetrics {
  finished: Record<string, number>;
  durationSum: number;
  durationCount: number;
  webhookFailures: number;
}

/** `scheme://host` of a URL, for logs (paths and queries may hold secrets). */
function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '(invalid URL)';
  }
}

export class JobService {
  readonly #options: ServiceOptions;
  readonly #subscribers = new Map<string, Set<(event: JobEvent) => void>>();
  readonly metrics: JobMetrics = { finished: {}, durationSum: 0, durationCount: 0, webhookFailures: 0 };
  #sweep: ReturnType<typeof setInterval> | undefined;
  #unsubscribe: (() => void) | undefined;
  readonly #closeListeners = new Set<() => void>();
  #closed = false;

  /** Where this service's job outputs are kept. */
  get outputs(): OutputStorage {
    return (this.#outputs ??= this.#options.outputs ?? new DiskOutputs(this.store));
  }
  #outputs: OutputStorage | undefined;

  constructor(options: ServiceOptions) {
    this.#options = options;
  }

  get store(): JobStore {
    return this.#options.store;
  }

  /**
   * Loads the store and re-queues jobs a previous run left unfinished (oldest first). With a shared
   * queue (Redis), jobs still in the queue are not added twice.
   */
  async start(options: { requeue: boolean }): Promise<void> {
    const jobs = await this.store.load();
    this.#unsubscribe = this.#options.queue.onEvent((event) => void this.#onQueueEvent(event));
    if (options.requeue) {
      for (const job of jobs) {
        if (job.state === 'running') await this.store.update(job.id, { state: 'queued', progress: null });
        if (job.state === 'queued' || job.state === 'running') await this.#options.queue.add(job.id);
      }
    }
    if (this.#options.retentionMs > 0) {
      this.#sweep = setInterval(() => void this.sweep(), RETENTION_SWEEP_MS);
      this.#sweep.unref();
    }
  }

  /** Stores a prepared record and queues it. */
  async submit(record: JobRecord): Promise<JobRecord> {
    await this.store.save(record);
    await this.#options.queue.add(record.id);
    return record;
  }

  /** Cancels a job; returns its record, or undefined if unknown. */
  async cancel(id: string): Promise<JobRecord | undefined> {
    const job = this.store.get(id);
    if (!job) return undefined;
    if (FINAL_STATES.has(job.state)) return job;
    const result = await this.#options.queue.cancel(id);
    if (result === 'removed' || result === 'unknown') {
      const next = await this.store.update(id, {
        state: 'canceled',
        finished_at: new Date().toISOString(),
        error: { code: 'canceled', message: 'the job was canceled before it ran' },
      });
      this.#publish(id, { event: 'state', data: next });
      await this.#finished(next);
      return next;
    }
    return this.store.get(id);
  }

  /** Calls `listener` when the service closes (server shutdown), so open streams can end. */
  onClose(listener: () => void): () => void {
    if (this.#closed) {
      listener();
      return () => undefined;
    }
    this.#closeListeners.add(listener);
    return () => this.#closeListeners.delete(listener);
  }

  /** Follows a job's events; returns the unsubscribe function. */
  subscribe(id: string, listener: (event: JobEvent) => void): () => void {
    let set = this.#subscribers.get(id);
    if (!set) {
      set = new Set();
      this.#subscribers.set(id, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.#subscribers.delete(id);
    };
  }

  /** Jobs per state, for `/metrics`. */
  countsByState(): Record<string, number> {
    const counts: Record<string, number> = Object.fromEntries(JOB_STATES.map((s) => [s, 0]));
    for (const job of this.store.list()) counts[job.state] = (counts[job.state] ?? 0) + 1;
    return counts;
  }

  /** Deletes finished jobs older than the retention period. */
  async sweep(now = Date.now()): Promise<number> {
    let removed = 0;
    for (const job of this.store.list()) {
      if (!FINAL_STATES.has(job.state) || !job.finished_at) continue;
      if (now - Date.parse(job.finished_at) > this.#options.retentionMs) {
        await this.outputs.remove(
          job.id,
          job.outputs.map((o) => o.name),
        );
        await this.store.remove(job.id);
        removed++;
      }
    }
    return removed;
  }

  close(): void {
    this.#closed = true;
    clearInterval(this.#sweep);
    this.#unsubscribe?.();
    for (const listener of [...this.#closeListeners]) listener();
    this.#closeListeners.clear();
  }

  #publish(id: string, event: JobEvent): void {
    for (const listener of this.#subscribers.get(id) ?? []) listener(event);
  }

  async #onQueueEvent(event: QueueEvent): Promise<void> {
    if (event.type === 'progress') {
      const telemetry = (event.data as { telemetry?: JobTelemetryEvent } | null)?.telemetry;
      if (telemetry) this.#publish(event.id, { event: 'telemetry', data: telemetry });
      else this.#publish(event.id, { event: 'progress', data: event.data as JobProgressEvent });
      return;
    }
    // The record changed (possibly in another process): re-read it and tell subscribers.
    const job = await this.store.reload(event.id);
    if (!job) return;
    this.#publish(event.id, { event: 'state', data: job });
    if ((event.type === 'completed' || event.type === 'failed') && FINAL_STATES.has(job.state))
      await this.#finished(job);
  }

  async #finished(job: JobRecord): Promise<void> {
    this.metrics.finished[job.state] = (this.metrics.finished[job.state] ?? 0) + 1;
    if (job.started_at && job.finished_at) {
      this.metrics.durationSum += (Date.parse(job.finished_at) - Date.parse(job.started_at)) / 1000;
      this.metrics.durationCount++;
    }
    if (job.webhook) await this.#deliver(job.webhook, job);
  }

  /** Posts the job to its webhook, signed, retrying with backoff. */
  async #deliver(url: string, job: JobRecord): Promise<void> {
    const { pipeline: _p, webhook: _w, ...rest } = job;
    const body = JSON.stringify({ event: 'job.finished', job: rest });
    const signature = createHmac('sha256', this.#options.webhookSecret).update(body).digest('hex');
    let delay = this.#options.webhookRetryDelayMs ?? WEBHOOK_FIRST_DELAY_MS;
    let last = '';
    for (let attempt = 1; attempt <= WEBHOOK_ATTEMPTS; attempt++) {
      try {
        // Guarded like URL inputs: a name that resolves to a private address is refused at connect time.
        const response = await outboundRequest(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-weft-signature': `sha256=${signature}` },
          body,
          allowPrivate: this.#options.allowPrivateUrls ?? false,
          what: 'webhook',
          timeoutMs: WEBHOOK_TIMEOUT_MS,
        });
        response.resume();
        const status = response.statusCode ?? 0;
        if (status >= 200 && status < 300) return;
        last = `answered ${status}`;
      } catch (error) {
        last = error instanceof Error ? error.message : String(error);
        if (error instanceof OutboundError && error.status === 400) break; // refused, not failed: no retry
      }
      if (attempt < WEBHOOK_ATTEMPTS) await new Promise((resolve) => setTimeout(resolve, delay));
      delay *= 2;
    }
    this.metrics.webhookFailures++;
    // The URL may carry a secret of the receiver's: log its origin only.
    console.error(
      `weft: webhook for job ${job.id} to ${originOf(url)} failed after ${WEBHOOK_ATTEMPTS} attempts (${clip(last, 200)})`,
    );
  }
}
