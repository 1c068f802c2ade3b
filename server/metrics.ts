/**
 * `/metrics` in Prometheus' text format: jobs by state, job durations, queue depth, worker
 * restarts. A handful of gauges and counters needs no client library.
 */
import type { PipelineRunner } from '../src/headless/driver';
import type { JobQueue } from './jobs/queue';
import type { JobService } from './jobs/service';

function line(name: string, value: number, labels: Record<string, string> = {}): string {
  const l = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(',');
  return `${name}${l ? `{${l}}` : ''} ${Number.isFinite(value) ? value : 0}`;
}

/** Renders the current metrics. */
export async function renderMetrics(
  service: JobService,
  queue: JobQueue,
  pool: PipelineRunner | undefined,
): Promise<string> {
  const counts = await queue.counts();
  const out: string[] = [
    '# HELP weft_jobs Jobs known to this server, by state.',
    '# TYPE weft_jobs gauge',
    ...Object.entries(service.countsByState()).map(([state, n]) => line('weft_jobs', n, { state })),
    '# HELP weft_jobs_finished_total Jobs that reached a final state since start, by state.',
    '# TYPE weft_jobs_finished_total counter',
    ...Object.entries(service.metrics.finished).map(([state, n]) => line('weft_jobs_finished_total', n, { state })),
    '# HELP weft_job_duration_seconds Run time of finished jobs.',
    '# TYPE weft_job_duration_seconds summary',
    line('weft_job_duration_seconds_sum', service.metrics.durationSum),
    line('weft_job_duration_seconds_count', service.metrics.durationCount),
    '# HELP weft_queue_depth Jobs waiting in the queue.',
    '# TYPE weft_queue_depth gauge',
    line('weft_queue_depth', counts.waiting),
    '# HELP weft_jobs_active Jobs running now.',
    '# TYPE weft_jobs_active gauge',
    line('weft_jobs_active', counts.active),
    '# HELP weft_worker_restarts_total Headless workers replaced after a crash or hang.',
    '# TYPE weft_worker_restarts_total counter',
    line('weft_worker_restarts_total', pool?.restarts ?? 0),
    '# HELP weft_page_crashes_total Headless pages that crashed or hung under a job.',
    '# TYPE weft_page_crashes_total counter',
    line('weft_page_crashes_total', pool?.crashes ?? 0),
    '# HELP weft_sessions Live sessions running now (each on a headless page of its own).',
    '# TYPE weft_sessions gauge',
    line('weft_sessions', pool && 'sessions' in pool ? Number(pool.sessions) : 0),
    '# HELP weft_workers Headless pages in the pool.',
    '# TYPE weft_workers gauge',
    line('weft_workers', pool?.size ?? 0),
    '# HELP weft_page_warnings_total Warnings headless pages reported (frame_leak: a frame never closed), by code.',
    '# TYPE weft_page_warnings_total counter',
    line('weft_page_warnings_total', pool?.warnings?.frame_leak ?? 0, { code: 'frame_leak' }),
    ...Object.entries(pool?.warnings ?? {})
      .filter(([code]) => code !== 'frame_leak')
      .map(([code, n]) => line('weft_page_warnings_total', n, { code })),
    '# HELP weft_webhook_failures_total Webhooks that failed after every retry.',
    '# TYPE weft_webhook_failures_total counter',
    line('weft_webhook_failures_total', service.metrics.webhookFailures),
  ];
  return `${out.join('\n')}\n`;
}
