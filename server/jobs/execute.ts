/**
 * One attempt at a job, wherever it runs (the server's embedded workers or `weft worker`): read the
 * record, run the pipeline on the headless pool with outputs written into the job's directory,
 * and record the outcome. A job already finished is not run again (exactly once across workers).
 */
import type { ObjectStore } from '../object-store';
import type { OutputStorage } from './outputs';
import type { ScriptFetch } from '../script-fetch';
import { DiskOutputs } from './outputs';
import { hostname } from 'node:os';
import type { JobProgress, PipelineRunner } from '../../src/headless/driver';
import { JobError } from '../../src/headless/driver';
import { FileAccess } from '../../src/headless/file-access';
import type { JobRecord } from './record';
import { FINAL_STATES } from './record';
import type { QueueTask } from './queue';
import { DEFAULT_MAX_ATTEMPTS, RetryableError, ShutdownError } from './queue';
import type { JobStore } from './store';
import { isSafeName } from './ids';
import { MEDIA_TYPE } from '../../src/nodes';

/** A job that crashed (or hung) its headless page this many times fails instead of being retried. */
export const MAX_CRASHES = 2;

/** How often a running job's progress is written to its record. */
const PROGRESS_SAVE_MS = 1_000;

/** Content type of an output whose pipeline declares none. */
const FALLBACK_TYPE = 'application/octet-stream';

export interface ExecuteOptions {
  store: JobStore;
  pool: PipelineRunner;
  /** Whole-job limit in ms (0: none). */
  jobTimeoutMs: number;
  maxAttempts?: number;
  /** Server files file_reader / file_writer may use (StreamKit's `[security]` defaults when absent). */
  files?: FileAccess;
  /** Object storage for `core::object_store_writer` (none when absent). */
  objects?: ObjectStore;
  /** Where outputs are kept (the data directory when absent). */
  outputs?: OutputStorage;
  /** `core::script` fetches (none when absent). */
  scriptFetch?: ScriptFetch;
}

/** Runs one attempt of `task`. Throws `RetryableError` when the worker was lost and attempts remain. */
export async function executeJob(options: ExecuteOptions, task: QueueTask): Promise<void> {
  const { store, pool } = options;
  const storage = options.outputs ?? new DiskOutputs(store);
  const record = await store.reload(task.id);
  if (!record || FINAL_STATES.has(record.state)) return;
  await store.update(task.id, {
    state: 'running',
    attempts: task.attempt,
    worker: `${hostname()}:${process.pid}`,
    started_at: new Date().toISOString(),
    error: null,
  });
  const types = new Map<string, string>();
  let lastSave = 0;
  let mediaTime = 0;
  const onProgress = (p: JobProgress): void => {
    mediaTime = p.media_time_us;
    task.progress({ fraction: p.fraction, media_time_us: p.media_time_us, nodes: p.nodes });
    const now = Date.now();
    if (now - lastSave >= PROGRESS_SAVE_MS) {
      lastSave = now;
      store
        .update(task.id, { progress: { fraction: p.fraction, media_time_us: p.media_time_us } })
        .catch((error: unknown) => console.error(`weft: saving progress of ${task.id}: ${String(error)}`));
    }
  };
  try {
    const outcome = await pool.run({
      pipeline: record.pipeline,
      files: options.files ?? new FileAccess(),
      ...(options.objects ? { openObject: options.objects.open.bind(options.objects) } : {}),
      ...(options.scriptFetch ? { scriptFetch: options.scriptFetch.fetch.bind(options.scriptFetch) } : {}),
      inputs: Object.fromEntries(record.inputs.map((i) => [i.name, store.inputPath(task.id, i.name)])),
      openOutput: (name, contentType) => {
        if (!isSafeName(name)) throw new Error(`output name '${name}' is not allowed (letters, digits, _ . -)`);
        const type = contentType && MEDIA_TYPE.test(contentType) ? contentType : FALLBACK_TYPE;
        types.set(name, type);
        return storage.open(task.id, name, type);
      },
      ...(record.overrides ? { overrides: record.overrides } : {}),
      ...(record.max_media_us !== null ? { maxMediaUs: record.max_media_us } : {}),
      signal: task.signal,
      timeoutMs: options.jobTimeoutMs,
      onProgress,
      // Telemetry rides the queue's progress channel, marked so it is not taken for progress.
      onTelemetry: (t) => task.progress({ telemetry: t }),
    });
    const outputs: JobRecord['outputs'] = outcome.outputs.map((o) => ({
      name: o.name,
      bytes: o.bytes,
      content_type: types.get(o.name) ?? FALLBACK_TYPE,
    }));
    await store.update(task.id, {
      state: 'succeeded',
      outputs,
      finished_at: new Date().toISOString(),
      progress: { fraction: 1, media_time_us: mediaTime },
    });
  } catch (error) {
    if (task.signal.reason instanceof ShutdownError) {
      // Not the job's fault: it runs again when a worker takes it next (after a restart).
      await store.update(task.id, { state: 'queued', progress: null });
      throw task.signal.reason;
    }
    const info =
      error instanceof JobError
        ? error.info
        : { code: 'internal', message: error instanceof Error ? error.message : String(error) };
    const canceled = task.signal.aborted || info.code === 'canceled';
    const crashes =
      (store.get(task.id)?.crashes ?? record.crashes) + (error instanceof JobError && error.crashed ? 1 : 0);
    // A page that crashed twice on this job will crash again: the input is at fault, not the page.
    const crashedOut = crashes >= MAX_CRASHES && error instanceof JobError && error.crashed;
    const retry =
      error instanceof JobError &&
      error.retryable &&
      !canceled &&
      !crashedOut &&
      task.attempt < (options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS);
    const failure = crashedOut
      ? {
          ...info,
          code: 'worker_crashed',
          message: `the job crashed the headless page ${crashes} times, so it is not retried again (last: ${info.message}); the input may use a format or size this browser cannot handle`,
        }
      : info;
    await store.update(task.id, {
      state: canceled ? 'canceled' : retry ? 'queued' : 'failed',
      error: canceled ? { code: 'canceled', message: 'the job was canceled' } : failure,
      crashes,
      ...(retry ? {} : { finished_at: new Date().toISOString() }),
    });
    if (retry) throw new RetryableError(info.message);
    throw error;
  }
}
