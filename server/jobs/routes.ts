/**
 * The job API: `POST/GET /api/v1/jobs`, job status, SSE events, outputs, cancel, and StreamKit's
 * synchronous `POST /api/v1/process`.
 */
import { createReadStream } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { ReadableStream as NodeWebStream } from 'node:stream/web';
import { pipeline as pipe } from 'node:stream/promises';
import { createWriteStream } from 'node:fs';
import type { Context } from 'hono';
import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { z } from 'zod';
import type { NodeRegistry, Pipeline } from '../../src/engine';
import { compileGraph, overrideParams } from '../../src/engine';
import type { HeadlessPool } from '../../src/headless/driver';
import { JobError } from '../../src/headless/driver';
import { fileSink } from '../../src/headless/file-sink';
import { bindInputs, checkPipeline, issuesError, parseOverrides } from '../pipeline-check';
import type { JobRecord } from './record';
import { FINAL_STATES, publicJob } from './record';
import type { JobService } from './service';
import { SAFE_NAME } from './store';
import { checkUrl, fetchUrlInput, UrlInputError } from './url-input';

export interface JobRoutesOptions {
  registry: NodeRegistry;
  service: JobService;
  pool: HeadlessPool;
  /** Largest upload or URL input, in bytes. */
  maxUploadBytes: number;
  allowPrivateUrls: boolean;
  jobTimeoutMs: number;
  /** Scratch space for `/process`. */
  tmpDir: string;
}

type ErrorStatus = 400 | 404 | 409 | 413 | 500 | 502 | 503;

function apiError(c: Context, status: ErrorStatus, code: string, message: string, extra: object = {}) {
  return c.json({ error: { code, message, ...extra } }, status);
}

/** The JSON form of `POST /api/v1/jobs`. */
const JsonJobSchema = z.strictObject({
  config: z.union([z.string(), z.record(z.string(), z.unknown())]),
  inputs: z.record(z.string(), z.string()).default({}),
  webhook: z.string().optional(),
  set: z.array(z.string()).default([]),
});

/** Applies overrides to a pipeline and re-checks it, so a bad `--set` is refused before it runs. */
function withOverrides(pipeline: Pipeline, overrides: Record<string, Record<string, unknown>>, registry: NodeRegistry) {
  let next: Pipeline;
  try {
    next = overrideParams(pipeline, overrides);
  } catch (error) {
    return { error: (error as Error).message };
  }
  const issues = compileGraph(next, registry).issues;
  return issues.some((i) => i.severity === 'error') ? { issues } : {};
}

/** Writes an uploaded file to disk without holding more than a chunk of it in memory. */
async function saveFile(file: File, path: string): Promise<number> {
  await pipe(Readable.fromWeb(file.stream() as NodeWebStream), createWriteStream(path));
  return file.size;
}

function httpStatusFor(error: JobError): ErrorStatus {
  if (error.info.code === 'unavailable') return 503;
  if (error.info.code === 'worker_lost' || error.info.code === 'internal') return 500;
  return 400;
}

export function jobRoutes(options: JobRoutesOptions): Hono {
  const { registry, service } = options;
  const store = service.store;
  const app = new Hono();

  /** Parses and checks a submission; returns a response on failure. */
  async function accept(c: Context) {
    const type = c.req.header('content-type') ?? '';
    let text: string;
    const files: [string, File][] = [];
    let urls: [string, string][] = [];
    let webhook: string | undefined;
    let sets: string[] = [];
    if (type.startsWith('multipart/form-data')) {
      const form = await c.req.formData();
      const config = form.get('config');
      if (config === null)
        return {
          response: apiError(c, 400, 'bad_request', "the multipart body needs a 'config' field with the pipeline"),
        };
      text = typeof config === 'string' ? config : await config.text();
      for (const [name, value] of form.entries()) {
        if (name === 'config') continue;
        if (name === 'webhook' && typeof value === 'string') webhook = value;
        else if (name === 'set' && typeof value === 'string') sets.push(value);
        else if (typeof value === 'string') urls.push([name, value]);
        else files.push([name, value]);
      }
    } else if (type.startsWith('application/json')) {
      const parsed = JsonJobSchema.safeParse(await c.req.json().catch(() => undefined));
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        return {
          response: apiError(c, 400, 'bad_request', `invalid job request: ${issue?.message ?? 'not JSON'}`, {
            param: issue?.path.join('.') ?? '',
          }),
        };
      }
      text = typeof parsed.data.config === 'string' ? parsed.data.config : JSON.stringify(parsed.data.config);
      urls = Object.entries(parsed.data.inputs);
      webhook = parsed.data.webhook;
      sets = parsed.data.set;
    } else {
      return {
        response: apiError(
          c,
          400,
          'bad_request',
          'send multipart/form-data (config + files) or application/json (config + input URLs)',
        ),
      };
    }
    const check = checkPipeline(text, registry);
    if (!check.ok) return { response: c.json({ error: issuesError(check.issues) }, 400) };
    let overrides: Record<string, Record<string, unknown>>;
    try {
      overrides = parseOverrides(sets);
    } catch (error) {
      return { response: apiError(c, 400, 'bad_request', (error as Error).message, { param: 'set' }) };
    }
    const over = withOverrides(check.pipeline, overrides, registry);
    if (over.error) return { response: apiError(c, 400, 'bad_request', over.error, { param: 'set' }) };
    if (over.issues) return { response: c.json({ error: issuesError(over.issues) }, 400) };
    const names = [...files.map(([n]) => n), ...urls.map(([n]) => n)];
    const bad = names.find((n) => !SAFE_NAME.test(n));
    if (bad !== undefined)
      return {
        response: apiError(c, 400, 'bad_request', `input name '${bad}' is not allowed (letters, digits, _ . -)`),
      };
    const binding = bindInputs(check.pipeline, names);
    if (binding) return { response: apiError(c, 400, 'bad_input', binding) };
    try {
      for (const [, url] of urls) checkUrl(url, options.allowPrivateUrls);
      if (webhook) checkUrl(webhook, options.allowPrivateUrls);
    } catch (error) {
      if (error instanceof UrlInputError) return { response: apiError(c, 400, 'bad_url', error.message) };
      throw error;
    }
    return { text, files, urls, webhook, overrides };
  }

  app.post('/jobs', async (c) => {
    const accepted = await accept(c);
    if ('response' in accepted) return accepted.response;
    const id = store.newId();
    await store.prepare(id);
    const inputs: JobRecord['inputs'] = [];
    try {
      for (const [name, file] of accepted.files)
        inputs.push({ name, bytes: await saveFile(file, store.inputPath(id, name)) });
      for (const [name, url] of accepted.urls) {
        const bytes = await fetchUrlInput(url, store.inputPath(id, name), {
          allowPrivate: options.allowPrivateUrls,
          maxBytes: options.maxUploadBytes,
        });
        inputs.push({ name, bytes, url });
      }
    } catch (error) {
      await store.remove(id);
      if (error instanceof UrlInputError) return apiError(c, error.status, 'bad_url', error.message);
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
      worker: null,
      rev: 0,
      webhook: accepted.webhook ?? null,
      ...(Object.keys(accepted.overrides).length ? { overrides: accepted.overrides } : {}),
    };
    await service.submit(record);
    return c.json(
      { id, state: record.state, links: { self: `/api/v1/jobs/${id}`, events: `/api/v1/jobs/${id}/events` } },
      202,
    );
  });

  app.get('/jobs', (c) => c.json({ jobs: store.list().map(publicJob) }));

  app.get('/jobs/:id', async (c) => {
    const job = await store.reload(c.req.param('id'));
    if (!job) return apiError(c, 404, 'not_found', `no job '${c.req.param('id')}'`);
    return c.json(publicJob(job));
  });

  app.delete('/jobs/:id', async (c) => {
    const job = await service.cancel(c.req.param('id'));
    if (!job) return apiError(c, 404, 'not_found', `no job '${c.req.param('id')}'`);
    return c.json(publicJob(job));
  });

  app.get('/jobs/:id/events', async (c) => {
    const id = c.req.param('id');
    const job = await store.reload(id);
    if (!job) return apiError(c, 404, 'not_found', `no job '${id}'`);
    return streamSSE(c, async (stream) => {
      let done = false;
      let wake: () => void = () => undefined;
      const queue: { event: string; data: string }[] = [{ event: 'state', data: JSON.stringify(publicJob(job)) }];
      if (FINAL_STATES.has(job.state)) done = true;
      const unsubscribe = service.subscribe(id, (event) => {
        if (event.event === 'state') {
          queue.push({ event: 'state', data: JSON.stringify(publicJob(event.data)) });
          if (FINAL_STATES.has(event.data.state)) done = true;
        } else {
          queue.push({ event: 'progress', data: JSON.stringify(event.data) });
        }
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
      }
    });
  });

  app.get('/jobs/:id/outputs/:name', async (c) => {
    const job = await store.reload(c.req.param('id'));
    if (!job) return apiError(c, 404, 'not_found', `no job '${c.req.param('id')}'`);
    const output = job.outputs.find((o) => o.name === c.req.param('name'));
    if (!output) {
      if (job.state !== 'succeeded')
        return apiError(c, 409, 'not_ready', `job ${job.id} is ${job.state}; outputs exist once it succeeded`);
      return apiError(
        c,
        404,
        'not_found',
        `job ${job.id} has no output '${c.req.param('name')}' (it has ${job.outputs.map((o) => o.name).join(', ') || 'none'})`,
      );
    }
    const path = store.outputPath(job.id, output.name);
    const size = (await stat(path)).size;
    const body = Readable.toWeb(createReadStream(path)) as ReadableStream<Uint8Array>;
    return c.body(body, 200, { 'content-type': output.content_type, 'content-length': String(size) });
  });

  app.post('/process', async (c) => {
    if (!(c.req.header('content-type') ?? '').startsWith('multipart/form-data')) {
      return apiError(c, 400, 'bad_request', "send multipart/form-data: a 'config' field first, then the media fields");
    }
    const form = await c.req.formData();
    const first = [...form.keys()][0];
    if (first !== 'config') return apiError(c, 400, 'bad_request', "Multipart fields must be ordered: 'config' first");
    const accepted = await accept(c);
    if ('response' in accepted) return accepted.response;
    const dir = join(options.tmpDir, randomUUID());
    await mkdir(dir, { recursive: true });
    const cleanup = () => rm(dir, { recursive: true, force: true });
    try {
      const inputs: Record<string, string> = {};
      for (const [name, file] of accepted.files) {
        inputs[name] = join(dir, `in-${name}`);
        await saveFile(file, inputs[name]);
      }
      for (const [name, url] of accepted.urls) {
        inputs[name] = join(dir, `in-${name}`);
        await fetchUrlInput(url, inputs[name], {
          allowPrivate: options.allowPrivateUrls,
          maxBytes: options.maxUploadBytes,
        });
      }
      let output: { path: string; type: string } | undefined;
      const abort = new AbortController();
      c.req.raw.signal.addEventListener('abort', () => abort.abort(), { once: true });
      // Muxers in file mode patch earlier bytes as they finish, so the body is sent once the run is done.
      await options.pool.run({
        pipeline: accepted.text,
        inputs,
        openOutput: (_name, contentType) => {
          if (output) throw new Error('/api/v1/process returns one output; the pipeline has several http_output nodes');
          output = { path: join(dir, 'out'), type: contentType ?? 'application/octet-stream' };
          return fileSink(output.path);
        },
        ...(Object.keys(accepted.overrides).length ? { overrides: accepted.overrides } : {}),
        signal: abort.signal,
        timeoutMs: options.jobTimeoutMs,
      });
      if (!output) {
        await cleanup();
        return apiError(
          c,
          400,
          'no_output',
          "Pipeline must contain one 'streamkit::http_output' node for oneshot processing",
        );
      }
      const size = (await stat(output.path)).size;
      const file = createReadStream(output.path);
      file.on('close', () => void cleanup());
      return c.body(Readable.toWeb(file) as ReadableStream<Uint8Array>, 200, {
        'content-type': output.type,
        'content-length': String(size),
      });
    } catch (error) {
      await cleanup();
      if (error instanceof UrlInputError) return apiError(c, error.status, 'bad_url', error.message);
      if (error instanceof JobError)
        return apiError(c, httpStatusFor(error), error.info.code, error.info.message, { ...error.info });
      throw error;
    }
  });

  return app;
}
