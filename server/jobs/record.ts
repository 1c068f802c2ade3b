/**
 * A job as the server keeps it: a small state machine (`queued → running → succeeded | failed |
 * canceled`) persisted as JSON in the data directory next to its inputs and outputs.
 */
import { z } from 'zod';
import { MEDIA_TYPE } from '../../src/nodes';
import { JOB_ID, SAFE_NAME } from './ids';

/** States a job moves through. */
export const JOB_STATES = ['queued', 'running', 'succeeded', 'failed', 'canceled'] as const;
export type JobState = (typeof JOB_STATES)[number];
/** States a job never leaves. */
export const FINAL_STATES: ReadonlySet<JobState> = new Set(['succeeded', 'failed', 'canceled']);

export const JobErrorSchema = z.object({
  code: z.string(),
  message: z.string(),
  node: z.string().optional(),
  pin: z.string().optional(),
  param: z.string().optional(),
});

export const JobRecordSchema = z.object({
  id: z.string().regex(JOB_ID),
  state: z.enum(JOB_STATES),
  created_at: z.string(),
  started_at: z.string().nullable(),
  finished_at: z.string().nullable(),
  /** The pipeline document as submitted. */
  pipeline: z.string(),
  inputs: z.array(z.object({ name: z.string().regex(SAFE_NAME), bytes: z.number(), url: z.string().optional() })),
  outputs: z.array(
    z.object({ name: z.string().regex(SAFE_NAME), bytes: z.number(), content_type: z.string().regex(MEDIA_TYPE) }),
  ),
  progress: z.object({ fraction: z.number().nullable(), media_time_us: z.number() }).nullable(),
  error: JobErrorSchema.nullable(),
  attempts: z.number().int(),
  /** Attempts that ended with the headless page crashing (a job that crashes its page twice fails). */
  crashes: z.number().int().default(0),
  /** Most media the job may produce, µs (the job's `max_duration`, else the server's limit). */
  max_media_us: z.number().int().positive().nullable().default(null),
  /** The process running (or last running) the job: `host:pid`. */
  worker: z.string().nullable().default(null),
  webhook: z.string().nullable(),
  /** Incremented on every save, so a stale read never replaces a newer record. */
  rev: z.number().int().default(0),
  overrides: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
});
export type JobRecord = z.infer<typeof JobRecordSchema>;

/** The public view of a job (what `GET /api/v1/jobs/:id` returns). */
export function publicJob(job: JobRecord): Omit<JobRecord, 'pipeline' | 'webhook'> & { webhook: boolean } {
  const { pipeline: _pipeline, webhook, ...rest } = job;
  return { ...rest, webhook: webhook !== null };
}
