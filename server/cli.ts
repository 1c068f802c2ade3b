/**
 * The `weft` command line: run a pipeline locally in headless Chromium, serve the studio and the
 * job API, validate, list nodes, submit to a server, and take jobs from Redis as a worker.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, openAsBlob } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { formatIssue } from '../src/engine';
import { HeadlessPool, JobError } from '../src/headless/driver';
import { fileSink } from '../src/headless/file-sink';
import { createRegistry, jobIo } from '../src/nodes';
import { DEFAULT_PORT, DEFAULT_HOST, isLoopback } from './config';
import { DEFAULT_MAX_UPLOAD_BYTES } from './app';
import { executeJob } from './jobs/execute';
import { JobStore } from './jobs/store';
import { fetchUrlInput } from './jobs/url-input';
import {
  bindInputs,
  checkPipeline,
  filePathIssue,
  nodeRefs,
  objectStoreIssue,
  parseOverrides,
  scriptSecretIssue,
} from './pipeline-check';
import { ObjectStore, secretsOf } from './object-store';
import { ScriptFetch } from './script-fetch';
import { DiskOutputs, parseS3Url, S3Outputs } from './jobs/outputs';
import { DEFAULT_READ_PATTERNS, FileAccess } from '../src/headless/file-access';
import { ProgressBar } from './progress';
import { createQueue, DEFAULT_JOB_TIMEOUT_MS, DEFAULT_RETENTION_MS, SHUTDOWN_TIMEOUT_MS, startServer } from './serve';
import { EventSourceParserStream } from 'eventsource-parser/stream';
import { hc } from 'hono/client';
import type { JobRoutes } from './jobs/routes';
import type { publicJob } from './jobs/record';
import { cmdSession, SESSION_USAGE } from './cli-session';
import { VERSION } from './version';
import { mintToken } from './relay/tokens';
import { loadOrCreateSecret } from './token';

/** Exit codes: a failed job, and bad usage or an invalid pipeline. */
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

const PROJECT_ROOT = resolve(import.meta.dirname, '..');
const DEFAULT_DIST = join(PROJECT_ROOT, 'dist');

const USAGE = `weft ${VERSION} — media pipelines in headless Chromium

  weft run PIPELINE [-i NAME=PATH|URL]... [-o NAME=PATH]... [--set NODE.PARAM=VALUE]...
                    [--allow-read PATTERN]... [--allow-write PATTERN]... [--files-root DIR] [--secret NAME]...
                    [--script-fetch-allow URL-PATTERN]... [--models DIR]
                    (-i PATH / -o PATH bind the pipeline's default input / output)
  weft serve [--host H] [--port P] [--data DIR] [--workers N] [--redis URL] [--allow-private-urls]
             [--allowed-hosts NAME,…] [--max-upload-mb N] [--max-duration SECONDS] [--job-timeout SECONDS]
             [--max-sessions N] [--assets DIR] [--models DIR]
             [--allow-read PATTERN]... [--allow-write PATTERN]... [--files-root DIR]
             (core::file_reader / file_writer paths: read 'samples/**' and write nothing by default,
              relative to --files-root, the working directory unless given)
             (--models: model folders nodes name as models/<name>, e.g. a Silero VAD for plugin::native::vad)
             [--secret NAME]... [--script-fetch-allow URL-PATTERN]...
             [--outputs s3://BUCKET/PREFIX [--s3-endpoint URL] [--s3-region R]]
             (job outputs in S3-compatible storage, signed with AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY;
              --secret: an environment variable pipelines may name, e.g. core::object_store_writer's
              access_key_id_env / secret_key_env or core::script's headers; no other is ever shared;
              --script-fetch-allow: URLs core::script may fetch, '*' a wildcard, e.g. 'https://api.example.com/*';
              none by default)
  weft validate PIPELINE
  weft token [--publish PATTERN]... [--subscribe PATTERN]... [--root PATH] [--ttl 1h] [--data DIR]
             (a MoQ relay token, signed with the key in the data directory, for ?jwt=)
  weft nodes [--json]
  weft submit PIPELINE [-i ...] [-o ...] [--set ...] --server URL [--token T]
  weft worker --redis URL --data DIR [--workers N] [--outputs s3://… [--s3-endpoint URL] [--s3-region R]]
${SESSION_USAGE}
`;

/** Commands that run until stopped; their process exits when they return. */
export const LONG_RUNNING: ReadonlySet<string> = new Set(['serve', 'worker']);

/** The flags that say which server files file_reader / file_writer may use. */
const FILE_FLAGS = {
  'allow-read': { type: 'string' as const, multiple: true as const },
  'allow-write': { type: 'string' as const, multiple: true as const },
  'files-root': { type: 'string' as const },
};

function fileAccessOptions(values: { 'allow-read'?: string[]; 'allow-write'?: string[]; 'files-root'?: string }) {
  return {
    // --allow-read adds to StreamKit's default, as a user adding one folder expects.
    read: [...DEFAULT_READ_PATTERNS, ...(values['allow-read'] ?? [])],
    write: values['allow-write'] ?? [],
    ...(values['files-root'] ? { root: values['files-root'] } : {}),
  };
}

function fileAccessOf(values: Parameters<typeof fileAccessOptions>[0]): FileAccess {
  return new FileAccess(fileAccessOptions(values));
}

/** The flags that put job outputs in S3-compatible storage. */
const OUTPUT_FLAGS = {
  outputs: { type: 'string' as const, default: process.env.WEFT_OUTPUTS },
  's3-endpoint': { type: 'string' as const, default: process.env.WEFT_S3_ENDPOINT },
  's3-region': { type: 'string' as const, default: process.env.AWS_REGION ?? 'us-east-1' },
};

/** `--outputs s3://…` as settings, with the credentials from AWS's usual environment variables. */
function outputSettings(values: { outputs?: string; 's3-endpoint'?: string; 's3-region'?: string }) {
  if (!values.outputs) return undefined;
  const accessKeyId = process.env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = process.env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey)
    fail('--outputs s3://… signs with AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY: set both in the environment');
  const region = values['s3-region'] ?? 'us-east-1';
  parseS3Url(values.outputs); // a malformed URL is a usage error now, not a failed job later
  return {
    url: values.outputs,
    endpoint: values['s3-endpoint'] ?? `https://s3.${region}.amazonaws.com`,
    region,
    accessKeyId,
    secretAccessKey,
  };
}

/** A usage error: printed with the usage text, exit code 2. */
class UsageError extends Error {}

function fail(message: string): never {
  throw new UsageError(message);
}

/** Splits `NAME=VALUE` bindings; a bare value binds `fallback`. */
function bindings(list: readonly string[], fallback: string | undefined, what: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const item of list) {
    const match = /^([A-Za-z0-9_.-]+)=(.+)$/.exec(item);
    const isUrl = /^[a-z]+:\/\//i.test(item);
    if (match && !isUrl && match[1] && match[2]) out.set(match[1], match[2]);
    else {
      if (!fallback) fail(`${what} '${item}' needs a NAME=… form: the pipeline has no single default ${what}`);
      out.set(fallback, item);
    }
  }
  return out;
}

/** Builds the bundle the headless pages load, when it is missing. */
function ensureBuilt(distDir: string): void {
  if (existsSync(join(distDir, 'headless.html'))) return;
  process.stderr.write('weft: building the browser bundle (first run)…\n');
  const vite = join(PROJECT_ROOT, 'node_modules', '.bin', 'vite');
  const result = spawnSync(vite, ['build', '--logLevel', 'warn', '--outDir', distDir], {
    cwd: PROJECT_ROOT,
    stdio: 'inherit',
  });
  if (result.status !== 0) throw new Error('building the browser bundle failed (see above)');
}

async function readPipeline(path: string | undefined): Promise<string> {
  if (!path) fail('give a pipeline file (YAML or JSON)');
  try {
    return await readFile(path, 'utf8');
  } catch {
    fail(`cannot read pipeline file '${path}'`);
  }
}

function printIssues(path: string, issues: Parameters<typeof formatIssue>[0][]): void {
  for (const issue of issues) process.stderr.write(`${basename(path)}:${formatIssue(issue)}\n`);
}

/**
 * Reads and checks a pipeline file and binds `-i` / `-o` to its job inputs and outputs. Prints the
 * problems and returns undefined when the pipeline is invalid; an input that does not fit is a usage error.
 */
async function loadJob(
  file: string | undefined,
  inputList: string[],
  outputList: string[],
  files?: FileAccess,
  objects?: ObjectStore,
  scriptFetch?: ScriptFetch,
) {
  const text = await readPipeline(file);
  const check = checkPipeline(text, createRegistry());
  if (!check.ok) {
    printIssues(file ?? '', check.issues);
    return undefined;
  }
  const pathIssue =
    (files && filePathIssue(check.pipeline, files)) ??
    (objects && objectStoreIssue(nodeRefs(check.pipeline), objects)) ??
    (scriptFetch && scriptSecretIssue(nodeRefs(check.pipeline), scriptFetch));
  if (pathIssue) {
    printIssues(file ?? '', [pathIssue]);
    return undefined;
  }
  const io = jobIo(check.pipeline);
  const inputs = bindings(inputList, io.inputs.length === 1 ? io.inputs[0]?.name : undefined, 'input');
  const outputs = bindings(outputList, io.outputs.length === 1 ? io.outputs[0]?.name : undefined, 'output');
  const problem = bindInputs(check.pipeline, [...inputs.keys()]);
  if (problem) fail(`${problem}; bind inputs with -i NAME=PATH`);
  return { text, io, inputs, outputs };
}

async function cmdRun(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      input: { type: 'string', short: 'i', multiple: true, default: [] },
      output: { type: 'string', short: 'o', multiple: true, default: [] },
      set: { type: 'string', multiple: true, default: [] },
      'allow-private-urls': { type: 'boolean', default: false },
      ...FILE_FLAGS,
      secret: { type: 'string', multiple: true, default: [] },
      'script-fetch-allow': { type: 'string', multiple: true, default: [] },
      models: { type: 'string', default: process.env.WEFT_MODELS },
      timeout: { type: 'string' },
      quiet: { type: 'boolean', short: 'q', default: false },
    },
  });
  const files = fileAccessOf(values);
  const secrets = secretsOf(values.secret, process.env, (line) => process.stderr.write(`${line}\n`));
  const objects = new ObjectStore({ secrets, allowPrivate: values['allow-private-urls'] });
  const scriptFetch = new ScriptFetch({
    allow: values['script-fetch-allow'],
    secrets,
    allowPrivate: values['allow-private-urls'],
  });
  const job = await loadJob(positionals[0], values.input, values.output, files, objects, scriptFetch);
  if (!job) return EXIT_USAGE;
  const { text, inputs, outputs } = job;
  for (const o of job.io.outputs)
    if (!outputs.has(o.name)) fail(`the pipeline writes output '${o.name}': add -o ${o.name}=PATH`);
  const overrides = parseOverrides(values.set);
  const temp = await mkdtemp(join(tmpdir(), 'weft-run-'));
  const bar = values.quiet ? undefined : new ProgressBar('weft run');
  let pool: HeadlessPool | undefined;
  try {
    const paths: Record<string, string> = {};
    for (const [name, source] of inputs) {
      if (/^https?:\/\//i.test(source)) {
        paths[name] = join(temp, `in-${name}`);
        await fetchUrlInput(source, paths[name], {
          allowPrivate: values['allow-private-urls'],
          maxBytes: DEFAULT_MAX_UPLOAD_BYTES * 100,
        });
      } else {
        if (!existsSync(source)) fail(`input '${name}': no such file '${source}'`);
        paths[name] = resolve(source);
      }
    }
    ensureBuilt(DEFAULT_DIST);
    pool = await HeadlessPool.start({
      distDir: DEFAULT_DIST,
      size: 1,
      ...(values.models ? { modelsDir: resolve(values.models) } : {}),
    });
    const abort = new AbortController();
    process.once('SIGINT', () => abort.abort());
    const outcome = await pool.run({
      pipeline: text,
      inputs: paths,
      files,
      openObject: (target) => objects.open(target),
      scriptFetch: (request) => scriptFetch.fetch(request),
      openOutput: (name) => {
        const path = outputs.get(name);
        if (!path) throw new Error(`no -o for output '${name}'`);
        return fileSink(resolve(path));
      },
      overrides,
      signal: abort.signal,
      timeoutMs: values.timeout ? Number(values.timeout) * 1000 : 0,
      onProgress: (p) => bar?.update(p.fraction, p.media_time_us / 1e6),
    });
    bar?.done(
      `weft: done in ${(outcome.ms / 1000).toFixed(2)} s: ${outcome.outputs.map((o) => `${outputs.get(o.name)} (${o.bytes} bytes)`).join(', ')}`,
    );
    return 0;
  } catch (error) {
    if (error instanceof JobError) {
      if (bar) bar.done(`weft: error: ${error.info.message}`);
      else process.stderr.write(`weft: error: ${error.info.message}\n`);
      return EXIT_FAILED;
    }
    throw error;
  } finally {
    await pool?.close();
    await rm(temp, { recursive: true, force: true });
  }
}

async function cmdServe(args: string[]): Promise<number> {
  // @moq/net narrates every announce and subscribe on console.debug; a server log keeps to what matters.
  if (!process.env.WEFT_DEBUG) console.debug = () => undefined;
  const { values } = parseArgs({
    args,
    options: {
      host: { type: 'string', default: process.env.WEFT_HOST ?? DEFAULT_HOST },
      port: { type: 'string', default: process.env.WEFT_PORT ?? String(DEFAULT_PORT) },
      data: { type: 'string', default: process.env.WEFT_DATA ?? '.weft/data' },
      studio: { type: 'string', default: DEFAULT_DIST },
      workers: { type: 'string' },
      redis: { type: 'string', default: process.env.WEFT_REDIS_URL },
      'allow-private-urls': { type: 'boolean', default: false },
      'max-upload-mb': { type: 'string' },
      'max-duration': { type: 'string' },
      'max-sessions': { type: 'string' },
      assets: { type: 'string' },
      models: { type: 'string', default: process.env.WEFT_MODELS },
      'job-timeout': { type: 'string' },
      'retention-hours': { type: 'string' },
      'allowed-hosts': { type: 'string', default: process.env.WEFT_ALLOWED_HOSTS },
      ...FILE_FLAGS,
      ...OUTPUT_FLAGS,
      secret: { type: 'string', multiple: true, default: [] },
      'script-fetch-allow': { type: 'string', multiple: true, default: [] },
    },
  });
  const outputs = outputSettings(values);
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    fail(`--port must be an integer 0–65535, got '${values.port}'`);
  const positive = (flag: string, value: string | undefined): number | undefined => {
    if (value === undefined) return undefined;
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0) fail(`--${flag} must be a positive number, got '${value}'`);
    return n;
  };
  const maxUploadMb = positive('max-upload-mb', values['max-upload-mb']);
  const maxDuration = positive('max-duration', values['max-duration']);
  const maxSessions = positive('max-sessions', values['max-sessions']);
  const jobTimeout = positive('job-timeout', values['job-timeout']);
  const retentionHours = positive('retention-hours', values['retention-hours']);
  ensureBuilt(values.studio);
  const server = await startServer({
    host: values.host,
    port,
    dataDir: values.data,
    studioDir: values.studio,
    ...(values.workers ? { workers: Number(values.workers) } : {}),
    ...(values.redis ? { redisUrl: values.redis } : {}),
    allowPrivateUrls: values['allow-private-urls'],
    files: fileAccessOptions(values),
    secrets: values.secret,
    scriptFetchAllow: values['script-fetch-allow'],
    ...(outputs ? { outputs } : {}),
    ...(maxUploadMb ? { maxUploadBytes: Math.round(maxUploadMb * 1024 * 1024) } : {}),
    ...(maxDuration ? { maxMediaSeconds: maxDuration } : {}),
    ...(maxSessions ? { maxSessions } : {}),
    ...(values.assets ? { assetsDir: values.assets } : {}),
    ...(values.models ? { modelsDir: values.models } : {}),
    ...(values['allowed-hosts'] ? { allowedHosts: values['allowed-hosts'].split(',').map((h) => h.trim()) } : {}),
    jobTimeoutMs: jobTimeout ? jobTimeout * 1000 : DEFAULT_JOB_TIMEOUT_MS,
    retentionMs: retentionHours ? retentionHours * 3_600_000 : DEFAULT_RETENTION_MS,
  });
  console.log(
    `weft: studio and API on ${server.url}/ (${server.pool.size} headless page${server.pool.size > 1 ? 's' : ''}, ${values.redis ? 'Redis queue' : 'embedded queue'}, data in ${resolve(values.data)}, browser tagged --${server.pool.processMarker})${isLoopback(values.host) ? '' : ' — token required'}`,
  );
  await new Promise<void>((done) => {
    const stop = (signal: string) => {
      console.log(`weft: ${signal}: shutting down (running jobs stay queued for the next start)`);
      // A shutdown that hangs anyway must not keep the process: exit when its time is up.
      setTimeout(() => {
        console.error('weft: shutdown took too long; exiting');
        process.exit(EXIT_FAILED);
      }, SHUTDOWN_TIMEOUT_MS + 1_000).unref();
      void server.close().finally(done);
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  return 0;
}

/** `1h`, `30m`, `45s`, `7d` or plain seconds, as seconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+)\s*([smhd]?)$/.exec(text.trim());
  if (!m) fail(`'${text}' is not a duration (use e.g. 90s, 30m, 1h, 7d)`);
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[m[2] as '' | 's' | 'm' | 'h' | 'd'];
  return Number(m[1]) * unit;
}

async function cmdToken(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      publish: { type: 'string', multiple: true, default: [] },
      subscribe: { type: 'string', multiple: true, default: [] },
      root: { type: 'string', default: '' },
      ttl: { type: 'string', default: '1h' },
      data: { type: 'string', default: process.env.WEFT_DATA ?? '.weft/data' },
    },
  });
  const { mkdir } = await import('node:fs/promises');
  await mkdir(resolve(values.data), { recursive: true, mode: 0o700 });
  const secret = await loadOrCreateSecret(resolve(values.data), 'moq-secret');
  let token: string;
  try {
    token = await mintToken(secret, {
      root: values.root,
      publish: values.publish,
      subscribe: values.subscribe,
      ttlSeconds: parseDuration(values.ttl),
    });
  } catch (error) {
    if (error instanceof UsageError) throw error;
    fail(error instanceof Error ? error.message : String(error));
  }
  process.stdout.write(`${token}\n`);
  return 0;
}

async function cmdValidate(args: string[]): Promise<number> {
  const file = args[0];
  const text = await readPipeline(file);
  const check = checkPipeline(text, createRegistry());
  printIssues(file ?? '', check.issues);
  if (!check.ok) return EXIT_USAGE;
  const io = jobIo(check.pipeline);
  console.log(
    `${file}: valid (${Object.keys(check.pipeline.nodes).length} nodes; inputs: ${io.inputs.map((i) => i.name).join(', ') || 'none'}; outputs: ${io.outputs.map((o) => o.name).join(', ') || 'none'})`,
  );
  return 0;
}

function cmdNodes(args: string[]): number {
  const all = createRegistry().describeAll();
  if (args.includes('--json')) {
    console.log(JSON.stringify(all, null, 2));
    return 0;
  }
  const width = Math.max(...all.map((d) => d.kind.length));
  for (const d of all) console.log(`${d.kind.padEnd(width)}  ${d.description}`);
  return 0;
}

/** Reads server-sent events from a response body, calling `on` per event. */
/** Reads a server-sent event stream until `on` returns true or it ends (eventsource-parser does the framing). */
async function readSse(
  body: ReadableStream<Uint8Array>,
  on: (event: string, data: string) => boolean | void,
): Promise<void> {
  const events = body
    .pipeThrough(new TextDecoderStream() as unknown as TransformStream<Uint8Array, string>)
    .pipeThrough(new EventSourceParserStream());
  for await (const message of events) {
    if (on(message.event ?? 'message', message.data) === true) return;
  }
}

async function cmdSubmit(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      input: { type: 'string', short: 'i', multiple: true, default: [] },
      output: { type: 'string', short: 'o', multiple: true, default: [] },
      set: { type: 'string', multiple: true, default: [] },
      server: { type: 'string', default: process.env.WEFT_SERVER ?? `http://${DEFAULT_HOST}:${DEFAULT_PORT}` },
      token: { type: 'string', default: process.env.WEFT_TOKEN },
      quiet: { type: 'boolean', short: 'q', default: false },
    },
  });
  const job = await loadJob(positionals[0], values.input, values.output);
  if (!job) return EXIT_USAGE;
  const { text, inputs, outputs } = job;
  const base = values.server.replace(/\/$/, '');
  const headers: Record<string, string> = values.token ? { authorization: `Bearer ${values.token}` } : {};
  const form = new FormData();
  form.append('config', text);
  for (const [name, source] of inputs) {
    if (/^https?:\/\//i.test(source)) form.append(name, source);
    else form.append(name, await openAsBlob(source), basename(source));
  }
  for (const s of values.set) form.append('set', s);
  // The job shapes come from the routes themselves (Hono's typed client); the multipart body is
  // streamed to disk by the server, so it is sent as is rather than through a validator.
  const client = hc<JobRoutes>(`${base}/api/v1`, { headers });
  const submitted = await client.jobs.$post(undefined, { init: { body: form } });
  const body = await submitted.json();
  if (!('id' in body)) {
    const reason = 'error' in body ? body.error.message : 'no reason given';
    process.stderr.write(`weft: the server refused the job (${submitted.status}): ${reason}\n`);
    return submitted.status === 400 || submitted.status === 413 ? EXIT_USAGE : EXIT_FAILED;
  }
  const id = body.id;
  const bar = values.quiet ? undefined : new ProgressBar(`weft job ${id.slice(0, 8)}`);
  type Job = ReturnType<typeof publicJob>;
  let final: Job | undefined;
  const events = await client.jobs[':id'].events.$get({ param: { id } });
  if (!events.ok || !events.body) throw new Error(`cannot follow job ${id}: ${events.status}`);
  await readSse(events.body as ReadableStream<Uint8Array>, (event, data) => {
    if (event === 'progress') {
      const p = JSON.parse(data) as NonNullable<Job['progress']>;
      bar?.update(p.fraction, p.media_time_us / 1e6);
    } else if (event === 'state') {
      const job = JSON.parse(data) as Job;
      if (['succeeded', 'failed', 'canceled'].includes(job.state)) {
        final = job;
        return true;
      }
    }
    return false;
  });
  if (final?.state !== 'succeeded') {
    bar?.done(`weft: job ${id} ${final?.state ?? 'ended'}: ${final?.error?.message ?? 'no reason given'}`);
    return EXIT_FAILED;
  }
  const saved: string[] = [];
  for (const output of final.outputs) {
    const dest = outputs.get(output.name);
    if (!dest) continue;
    const response = await client.jobs[':id'].outputs[':name'].$get({ param: { id, name: output.name } });
    if (!response.ok) throw new Error(`downloading output '${output.name}' failed: ${response.status}`);
    await writeFile(dest, new Uint8Array(await response.arrayBuffer()));
    saved.push(dest);
  }
  bar?.done(`weft: job ${id} succeeded: ${saved.join(', ') || 'no outputs downloaded'}`);
  return 0;
}

async function cmdWorker(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      redis: { type: 'string', default: process.env.WEFT_REDIS_URL },
      data: { type: 'string', default: process.env.WEFT_DATA ?? '.weft/data' },
      workers: { type: 'string' },
      'job-timeout': { type: 'string' },
      ...OUTPUT_FLAGS,
    },
  });
  const outputs = outputSettings(values);
  if (!values.redis) fail('weft worker needs --redis URL (or WEFT_REDIS_URL): it takes jobs from the shared queue');
  ensureBuilt(DEFAULT_DIST);
  const store = new JobStore(resolve(values.data));
  await store.load();
  const queue = await createQueue(values.redis);
  const pool = await HeadlessPool.start({
    distDir: DEFAULT_DIST,
    ...(values.workers ? { size: Number(values.workers) } : {}),
  });
  const jobTimeoutMs = values['job-timeout'] ? Number(values['job-timeout']) * 1000 : DEFAULT_JOB_TIMEOUT_MS;
  const storage = outputs ? new S3Outputs(store, outputs) : new DiskOutputs(store);
  queue.process((task) => executeJob({ store, pool, jobTimeoutMs, outputs: storage }, task), pool.size);
  console.log(
    `weft worker: taking jobs from ${values.redis.replace(/\/\/[^@]*@/, '//…@')} with ${pool.size} page(s); data in ${resolve(values.data)}`,
  );
  await new Promise<void>((done) => {
    const stop = () => {
      void queue
        .close()
        .then(() => pool.close())
        .finally(done);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return 0;
}

/** Runs the CLI with `argv` (without node and script); returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'run':
        return await cmdRun(rest);
      case 'serve':
        return await cmdServe(rest);
      case 'validate':
        return await cmdValidate(rest);
      case 'token':
        return await cmdToken(rest);
      case 'nodes':
        return cmdNodes(rest);
      case 'submit':
        return await cmdSubmit(rest);
      case 'worker':
        return await cmdWorker(rest);
      case 'session':
        return await cmdSession(rest, fail);
      case '--version':
        console.log(VERSION);
        return 0;
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(USAGE);
        return command === undefined ? EXIT_USAGE : 0;
      default:
        fail(`unknown command '${command}'`);
    }
  } catch (error) {
    if (
      error instanceof UsageError ||
      (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'))
    ) {
      process.stderr.write(`weft: ${error.message}\n\n${USAGE}`);
      return EXIT_USAGE;
    }
    process.stderr.write(`weft: ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT_FAILED;
  }
}
