/**
 * The job API: `POST/GET /api/v1/jobs`, job status, SSE events, outputs, cancel, and StreamKit's
 * synchronous `POST /api/v1/process`.
 *
 * Every request body is read with a byte count (`upload.ts`); every job id in a path is checked
 * against the server's id format before it is looked up; outputs are served so that they can never
 * run as pages in the API's origin (`../guards.ts`).
 */
import { createReadStream } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Context, TypedResponse } from 'hono';
import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { z } from 'zod';
import type { NodeRegistry, Pipeline } from '../../src/engine';
import { clip, compileGraph, MAX_PIPELINE_BYTES, overrideParams } from '../../src/engine';
import type { PipelineRunner } from '../../src/headless/driver';
import { JobError } from '../../src/headless/driver';
import { HEADLESS_HOST } from '../../src/headless/protocol';
import { fileSink } from '../../src/headless/file-sink';
import { outputHeaders } from '../guards';
import { responseSink, streamsForward } from './process-stream';
import { checkOutboundUrl } from '../outbound';
import {
  bindInputs,
  checkJobPipeline,
  filePathIssue,
  issuesError,
  nodeRefs,
  objectStoreIssue,
  parseOverrides,
  scriptSecretIssue,
} from '../pipeline-check';
import type { ScriptFetch } from '../script-fetch';
import type { ObjectStore } from '../object-store';
import { FileAccess } from '../../src/headless/file-access';
import { inside, isJobId, isSafeName } from './ids';
import type { JobRecord } from './record';
import { FINAL_STATES, publicJob } from './record';
import type { JobService } from './service';
import { BodyError, MAX_FIELD_BYTES, readText, readUpload } from './upload';
import type { UploadedFile } from './upload';
import { fetchUrlInput, OutboundError } from './url-input';
import type { RelayTargetPolicy } from '../relay-targets';
import { relayTargetProblem } from '../relay-targets';

export interface JobRoutesOptions {
  registry: NodeRegistry;
  service: JobService;
  pool: PipelineRunner;
  /** Largest upload or URL input, in bytes. */
  maxUploadBytes: number;
  allowPrivateUrls: boolean;
  jobTimeoutMs: number;
  /** Most media a job may produce, in seconds (a job may ask for less with `max_duration`). */
  maxMediaSeconds: number;
  /** Scratch space for uploads in flight and `/process`. */
  tmpDir: string;
  /** Which relays MoQ nodes may reach (the server's own always). */
  relayTargets?: RelayTargetPolicy;
  /** The server files file_reader / file_writer may use (StreamKit's `[security]` defaults when absent). */
  files?: FileAccess;
  /** Object storage for `core::object_store_writer` (none when absent). */
  objects?: ObjectStore;
  /** `core::script` fetches (none when absent: every fetch is refused). */
  scriptFetch?: ScriptFetch;
}

type ErrorStatus = 400 | 403 | 404 | 409 | 413 | 500 | 502 | 503;

/** A refused request's response, typed so that the client sees the error shape. */
type ApiErrorResponse = Response & TypedResponse<{ error: { code: string; message: string } }, ErrorStatus, 'json'>;

function apiError(
  c: Context,
  status: ErrorStatus,
  code: string,
  message: string,
  extra: object = {},
): ApiErrorResponse {
  return c.json({ error: { code, message, ...extra } }, status);
}

/** Multipart fields that are options of the job, not inputs. */
const OPTION_FIELDS = new Set(['config', 'webhook', 'set', 'max_duration']);

/** The JSON form of `POST /api/v1/jobs`. */
const JsonJobSchema = z.strictObject({
  config: z.union([z.string(), z.record(z.string(), z.unknown())]),
  inputs: z.record(z.string(), z.string().max(MAX_FIELD_BYTES)).default({}),
  webhook: z.string().max(MAX_FIELD_BYTES).optional(),
  set: z.array(z.string().max(MAX_FIELD_BYTES)).max(64).default([]),
  max_duration: z.number().positive().optional(),
});

/** A submission that passed every check, with its uploaded files still in the scratch directory. */
interface Accepted {
  text: string;
  /** The pipeline as it will run (overrides applied). */
  pipeline: Pipeline;
  files: UploadedFile[];
  urls: [string, string][];
  webhook: string | undefined;
  overrides: Record<string, Record<string, unknown>>;
  /** Media-duration bound, µs. */
  maxMediaUs: number;
}

class Refusal extends Error {
  readonly response: ApiErrorResponse;
  constructor(response: ApiErrorResponse) {
    super('refused');
    this.response = response;
  }
}

/** Applies overrides to a pipeline and re-checks it, so a bad `--set` is refused before it runs. */
function withOverrides(pipeline: Pipeline, overrides: Record<string, Record<string, unknown>>, registry: NodeRegistry) {
  let next: Pipeline;
  try {
    next = overrideParams(pipeline, overrides);
  } catch (error) {
    return { error: (error as Error).message };
  }
  const issues = compileGraph(next, registry, { host: HEADLESS_HOST }).issues;
  return issues.some((i) => i.severity === 'error') ? { issues } : {};
}

function httpStatusFor(error: JobError): ErrorStatus {
  if (error.info.code === 'unavailable') return 503;
  if (error.info.code === 'worker_lost' || error.info.code === 'internal') return 500;
  return 400;
}

export function jobRoutes(options: JobRoutesOptions) {
  const { registry, service } = options;
  const store = service.store;
  const maxMediaUs = options.maxMediaSeconds * 1_000_000;
  const fileAccess = options.files ?? new FileAccess();

  /** A fresh scratch directory under the data dir. */
  const scratch = () => inside(options.tmpDir, randomUUID());

  /** Reads the body (multipart into `dir`, or JSON) and checks everything; throws a `Refusal`. */
  async function accept(c: Context, dir: string, rules: { configFirst?: boolean }): Promise<Accepted> {
    const type = c.req.header('content-type') ?? '';
    const refuse = (status: ErrorStatus, code: string, message: string, extra: object = {}): never => {
      throw new Refusal(apiError(c, status, code, message, extra));
    };
    let text: string | undefined;
    let files: UploadedFile[] = [];
    let urls: [string, string][] = [];
    let webhook: string | undefined;
    let sets: string[] = [];
    let maxDuration: number | undefined;
    if (type.startsWith('multipart/form-data')) {
      const upload = await readUpload(c.req.raw, dir, {
        maxBytes: options.maxUploadBytes,
        maxConfigBytes: MAX_PIPELINE_BYTES,
      });
      // StreamKit's /process reads the pipeline first, to bind the media fields that follow.
      if (rules.configFirst && upload.order[0] !== 'config')
        refuse(400, 'bad_request', "Multipart fields must be ordered: 'config' first");
      files = upload.files.filter((f) => !OPTION_FIELDS.has(f.name));
      for (const [name, value] of upload.fields) {
        if (name === 'config') text = value;
        else if (name === 'webhook') webhook = value;
        else if (name === 'set') sets.push(value);
        else if (name === 'max_duration') {
          maxDuration = Number(value);
          if (!Number.isFinite(maxDuration) || maxDuration <= 0)
            refuse(400, 'bad_request', `max_duration must be a number of seconds, not '${clip(value)}'`, {
              param: 'max_duration',
            });
        } else urls.push([name, value]);
      }
      if (text === undefined) refuse(400, 'bad_request', "the multipart body needs a 'config' field with the pipeline");
    } else if (type.startsWith('application/json')) {
      const body = await readText(c.req.raw, MAX_PIPELINE_BYTES + 64 * 1024, 'a JSON job request');
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        refuse(400, 'bad_request', 'the body is not valid JSON');
      }
      const parsed = JsonJobSchema.safeParse(json);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        refuse(400, 'bad_request', `invalid job request: ${clip(issue?.message ?? 'not JSON', 200)}`, {
          param: issue?.path.join('.') ?? '',
        });
        throw new Error('unreachable');
      }
      text = typeof parsed.data.config === 'string' ? parsed.data.config : JSON.stringify(parsed.data.config);
      urls = Object.entries(parsed.data.inputs);
      webhook = parsed.data.webhook;
      sets = parsed.data.set;
      maxDuration = parsed.data.max_duration;
    } else {
      refuse(400, 'bad_request', 'send multipart/form-data (config + files) or application/json (config + input URLs)');
    }
    const pipelineText = text ?? '';
    const check = checkJobPipeline(pipelineText, registry);
    if (!check.ok) {
      const tooLarge = check.issues.some((i) => i.code === 'too_large');
      throw new Refusal(c.json({ error: issuesError(check.issues) }, tooLarge ? 413 : 400));
    }
    let overrides: Record<string, Record<string, unknown>> = {};
    try {
      overrides = parseOverrides(sets);
    } catch (error) {
      refuse(400, 'bad_request', clip((error as Error).message, 200), { param: 'set' });
    }
    const over = withOverrides(check.pipeline, overrides, registry);
    if (over.error) refuse(400, 'bad_request', clip(over.error, 200), { param: 'set' });
    if (over.issues) throw new Refusal(c.json({ error: issuesError(over.issues) }, 400));
    // A path outside the allowed ones is forbidden (403), as StreamKit answers.
    const pathIssue = filePathIssue(overrideParams(check.pipeline, overrides), fileAccess);
    if (pathIssue) throw new Refusal(c.json({ error: { ...issuesError([pathIssue]), code: 'forbidden_path' } }, 403));
    const storeIssue = objectStoreIssue(nodeRefs(overrideParams(check.pipeline, overrides)), options.objects);
    if (storeIssue) throw new Refusal(c.json({ error: { ...issuesError([storeIssue]), code: storeIssue.code } }, 403));
    const secretIssue = scriptSecretIssue(nodeRefs(overrideParams(check.pipeline, overrides)), options.scriptFetch);
    if (secretIssue)
      throw new Refusal(c.json({ error: { ...issuesError([secretIssue]), code: secretIssue.code } }, 403));
    const relayProblem = await relayTargetProblem(
      Object.entries(overrideParams(check.pipeline, overrides).nodes).map(([id, n]) => ({ id, ...n })),
      options.relayTargets ?? { allowPrivate: options.allowPrivateUrls },
    );
    if (relayProblem) refuse(400, 'forbidden_url', relayProblem, { param: 'url' });
    const names = [...files.map((f) => f.name), ...urls.map(([n]) => n)];
    const bad = names.find((n) => !isSafeName(n));
    if (bad !== undefined)
      refuse(400, 'bad_request', `input name '${clip(bad)}' is not allowed (letters, digits, _ . -)`);
    const binding = bindInputs(check.pipeline, names);
    if (binding) refuse(400, 'bad_input', binding);
    for (const [, url] of urls) checkOutboundUrl(url, options.allowPrivateUrls, 'URL input');
    if (webhook) checkOutboundUrl(webhook, options.allowPrivateUrls, 'webhook');
    if (maxDuration !== undefined && maxDuration * 1_000_000 > maxMediaUs) {
      refuse(
        400,
        'bad_request',
        `max_duration ${maxDuration} s is over this server's limit of ${options.maxMediaSeconds} s`,
        { param: 'max_duration' },
      );
    }
    return {
      text: pipelineText,
      pipeline: overrideParams(check.pipeline, overrides),
      files,
      urls,
      webhook,
      overrides,
      maxMediaUs: maxDuration !== undefined ? Math.round(maxDuration * 1_000_000) : maxMediaUs,
    };
  }

  /** Runs `accept`, turning refusals and body errors into responses. */
  async function acceptOrRespond(
    c: Context,
    dir: string,
    rules: { configFirst?: boolean } = {},
  ): Promise<Accepted | ApiErrorResponse> {
    try {
      return await accept(c, dir, rules);
    } catch (error) {
      if (error instanceof Refusal) return error.response;
      if (error instanceof BodyError) return apiError(c, error.status, error.code, error.message);
      if (error instanceof OutboundError) return apiError(c, error.status, 'bad_url', error.message);
      throw error;
    }
  }

  /** The job of a path's `:id`, or a 404 (an id not in the server's format is never looked up). */
  async function jobOf(c: Context): Promise<JobRecord | ApiErrorResponse> {
    const id = c.req.param('id') ?? '';
    const job = isJobId(id) ? await store.reload(id) : undefined;
    return job ?? apiError(c, 404, 'not_found', `no job '${clip(id)}'`);
  }

  return new Hono()
    .post('/jobs', async (c) => {
      const dir = scratch();
      try {
        const accepted = await acceptOrRespond(c, dir);
        if (accepted instanceof Response) return accepted;
        const id = store.newId();
        await store.prepare(id);
        const inputs: JobRecord['inputs'] = [];
        try {
          for (const file of accepted.files) {
            await rename(file.path, store.inputPath(id, file.name));
            inputs.push({ name: file.name, bytes: file.bytes });
          }
          for (const [name, url] of accepted.urls) {
            const bytes = await fetchUrlInput(url, store.inputPath(id, name), {
              allowPrivate: options.allowPrivateUrls,
              maxBytes: options.maxUploadBytes,
            });
            inputs.push({ name, bytes, url });
          }
        } catch (error) {
          await store.remove(id);
          if (error instanceof OutboundError) return apiError(c, error.status, 'bad_url', error.message);
          throw error;
        }
        const record: JobRecord = {
          id,
          state: 'queued',
          created_at: new Date().toISOString(),
          started_at: null,
          finished_at: null,
          pipeline: accepted.text,
          inputs,
          outputs: [],
          progress: null,
          error: null,
          attempts: 0,
          crashes: 0,
          worker: null,
          rev: 0,
          webhook: accepted.webhook ?? null,
          max_media_us: accepted.maxMediaUs,
          ...(Object.keys(accepted.overrides).length ? { overrides: accepted.overrides } : {}),
        };
        await service.submit(record);
        return c.json(
          { id, state: record.state, links: { self: `/api/v1/jobs/${id}`, events: `/api/v1/jobs/${id}/events` } },
          202,
        );
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    })

    .get('/jobs', (c) => c.json({ jobs: store.list().map(publicJob) }))

    .get('/jobs/:id', async (c) => {
      const job = await jobOf(c);
      return job instanceof Response ? job : c.json(publicJob(job));
    })

    .delete('/jobs/:id', async (c) => {
      const found = await jobOf(c);
      if (found instanceof Response) return found;
      const job = await service.cancel(found.id);
      if (!job) return apiError(c, 404, 'not_found', `no job '${found.id}'`);
      return c.json(publicJob(job));
    })

    .get('/jobs/:id/events', async (c) => {
      const job = await jobOf(c);
      if (job instanceof Response) return job;
      const id = job.id;
      return streamSSE(c, async (stream) => {
        let done = false;
        let wake: () => void = () => undefined;
        const queue: { event: string; data: string }[] = [{ event: 'state', data: JSON.stringify(publicJob(job)) }];
        if (FINAL_STATES.has(job.state)) done = true;
        const unsubscribe = service.subscribe(id, (event) => {
          if (event.event === 'state') {
            queue.push({ event: 'state', data: JSON.stringify(publicJob(event.data)) });
            if (FINAL_STATES.has(event.data.state)) done = true;
          } else if (event.event === 'telemetry') {
            // StreamKit's event name and fields.
            queue.push({
              event: 'nodetelemetry',
              data: JSON.stringify({ job_id: id, ...event.data, timestamp: new Date().toISOString() }),
            });
          } else {
            queue.push({ event: 'progress', data: JSON.stringify(event.data) });
          }
          wake();
        });
        const closing = service.onClose(() => {
          done = true;
          wake();
        });
        stream.onAbort(() => {
          done = true;
          wake();
        });
        try {
          for (;;) {
            while (queue.length > 0) {
              const next = queue.shift();
              if (next) await stream.writeSSE(next);
            }
            if (done || stream.aborted) break;
            await new Promise<void>((resolve) => (wake = resolve));
          }
        } finally {
          unsubscribe();
          closing();
        }
      });
    })

    .get('/jobs/:id/outputs/:name', async (c) => {
      const job = await jobOf(c);
      if (job instanceof Response) return job;
      const name = c.req.param('name');
      // The name is matched against the record, and the path is built from the checked id and name.
      const output = isSafeName(name) ? job.outputs.find((o) => o.name === name) : undefined;
      if (!output) {
        if (job.state !== 'succeeded')
          return apiError(c, 409, 'not_ready', `job ${job.id} is ${job.state}; outputs exist once it succeeded`);
        return apiError(
          c,
          404,
          'not_found',
          `job ${job.id} has no output '${clip(name)}' (it has ${job.outputs.map((o) => o.name).join(', ') || 'none'})`,
        );
      }
      const { body, size } = await service.outputs.read(job.id, output.name);
      return c.body(body, 200, outputHeaders(output.name, output.content_type, size));
    })

    .post('/process', async (c) => {
      if (!(c.req.header('content-type') ?? '').startsWith('multipart/form-data')) {
        return apiError(
          c,
          400,
          'bad_request',
          "send multipart/form-data: a 'config' field first, then the media fields",
        );
      }
      const dir = scratch();
      let keep = false;
      const cleanup = () => rm(dir, { recursive: true, force: true });
      try {
        const accepted = await acceptOrRespond(c, dir, { configFirst: true });
        if (accepted instanceof Response) return accepted;
        const inputs: Record<string, string> = {};
        for (const file of accepted.files) inputs[file.name] = file.path;
        for (const [name, url] of accepted.urls) {
          inputs[name] = inside(dir, `in-${name}`);
          await fetchUrlInput(url, inputs[name], {
            allowPrivate: options.allowPrivateUrls,
            maxBytes: options.maxUploadBytes,
          });
        }
        let output: { path: string; type: string; name: string } | undefined;
        const abort = new AbortController();
        c.req.raw.signal.addEventListener('abort', () => abort.abort(), { once: true });
        // A forward-only muxer's bytes are sent as they come; a file-mode muxer patches earlier
        // bytes as it finishes, so its body is sent once the run is done.
        const streaming = streamsForward(accepted.pipeline);
        let streamed: (ReturnType<typeof responseSink> & { type: string; name: string }) | undefined;
        let opened!: () => void;
        const firstOutput = new Promise<void>((resolve) => (opened = resolve));
        const run = options.pool.run({
          pipeline: accepted.text,
          inputs,
          files: fileAccess,
          ...(options.objects ? { openObject: options.objects.open.bind(options.objects) } : {}),
          ...(options.scriptFetch ? { scriptFetch: options.scriptFetch.fetch.bind(options.scriptFetch) } : {}),
          openOutput: (name, contentType) => {
            if (output || streamed)
              throw new Error('/api/v1/process returns one output; the pipeline has several http_output nodes');
            const type = contentType ?? 'application/octet-stream';
            if (streaming) {
              streamed = { ...responseSink(() => abort.abort()), type, name };
              opened();
              return Promise.resolve(streamed.sink);
            }
            output = { path: inside(dir, 'out'), type, name };
            return fileSink(output.path);
          },
          ...(Object.keys(accepted.overrides).length ? { overrides: accepted.overrides } : {}),
          signal: abort.signal,
          timeoutMs: options.jobTimeoutMs,
          maxMediaUs: accepted.maxMediaUs,
        });
        if (streaming) {
          await Promise.race([firstOutput, run]);
          const live = streamed;
          if (live) {
            // Answered now; a failure from here on ends the body with an error (the client sees it cut).
            keep = true;
            run
              .then(
                () => undefined,
                (error: unknown) =>
                  live.fail(new Error(error instanceof JobError ? error.info.message : (error as Error).message)),
              )
              .finally(() => void cleanup());
            return c.body(live.body, 200, outputHeaders(live.name, live.type));
          }
        }
        await run;
        if (!output) {
          return apiError(
            c,
            400,
            'no_output',
            "Pipeline must contain one 'streamkit::http_output' node for oneshot processing",
          );
        }
        const size = (await stat(output.path)).size;
        const file = createReadStream(output.path);
        keep = true; // removed once the response has been sent
        file.on('close', () => void cleanup());
        return c.body(
          Readable.toWeb(file) as ReadableStream<Uint8Array>,
          200,
          outputHeaders(output.name, output.type, size),
        );
      } catch (error) {
        if (error instanceof OutboundError) return apiError(c, error.status, 'bad_url', error.message);
        if (error instanceof JobError)
          return apiError(c, httpStatusFor(error), error.info.code, error.info.message, { ...error.info });
        throw error;
      } finally {
        if (!keep) await cleanup();
      }
    });
}

/** The job routes' type, for `hc` (the CLI and the studio read the shapes from here). */
export type JobRoutes = ReturnType<typeof jobRoutes>;
