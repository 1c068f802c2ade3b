/**
 * A job server in-process for Node tests: the real app, store, embedded queue, service and
 * executor, with a scripted runner instead of headless Chromium, so the HTTP layer and the job
 * lifecycle can be attacked through `app.request()` in milliseconds.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../../server/app';
import { EmbeddedQueue } from '../../server/jobs/embedded-queue';
import { executeJob } from '../../server/jobs/execute';
import { JobService } from '../../server/jobs/service';
import { JobStore } from '../../server/jobs/store';
import type { PipelineRunner, RunOutcome, RunRequest } from '../../src/headless/driver';
import { createRegistry } from '../../src/nodes';

/** What a scripted run does: write outputs (name → [content type, bytes]) or throw. */
export type Script = (request: RunRequest) => Promise<Record<string, [string, string | Uint8Array]>>;

/** A runner that plays a script instead of running pipelines. */
export class ScriptedRunner implements PipelineRunner {
  readonly size = 1;
  busy = 0;
  readonly waiting = 0;
  readonly restarts = 0;
  readonly crashes = 0;
  readonly warnings: Record<string, number> = {};
  runs = 0;
  script: Script = () => Promise.resolve({ output: ['video/webm', 'webm bytes'] });

  async run(request: RunRequest): Promise<RunOutcome> {
    this.runs++;
    this.busy++;
    try {
      const outputs = await this.script(request);
      const written: RunOutcome['outputs'] = [];
      for (const [name, [type, body]] of Object.entries(outputs)) {
        const sink = await request.openOutput(name, type);
        const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
        await sink.write(bytes, 0);
        await sink.close();
        written.push({ name, bytes: bytes.byteLength, content_type: type });
      }
      return { outputs: written, ms: 1, openFrames: 0 };
    } finally {
      this.busy--;
    }
  }
}

export interface Harness {
  app: ReturnType<typeof createApp>;
  runner: ScriptedRunner;
  store: JobStore;
  service: JobService;
  dataDir: string;
  close(): Promise<void>;
}

/** Starts a server without a socket; `options` go to `createApp` and the job routes. */
export async function startHarness(
  options: { token?: string; allowedHosts?: string[]; maxUploadBytes?: number; dataDir?: string } = {},
): Promise<Harness> {
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'weft-harness-')));
  const registry = createRegistry();
  const store = new JobStore(dataDir);
  const queue = new EmbeddedQueue();
  const service = new JobService({
    store,
    queue,
    retentionMs: 0,
    webhookSecret: 'test-secret',
    webhookRetryDelayMs: 10,
  });
  const runner = new ScriptedRunner();
  await service.start({ requeue: true });
  queue.process((task) => executeJob({ store, pool: runner, jobTimeoutMs: 0 }, task), 1);
  const app = createApp({
    registry,
    ...(options.token ? { token: options.token } : {}),
    ...(options.allowedHosts ? { allowedHosts: options.allowedHosts } : {}),
    jobs: {
      registry,
      service,
      pool: runner,
      queue,
      maxUploadBytes: options.maxUploadBytes ?? 4 * 1024 * 1024,
      allowPrivateUrls: false,
      jobTimeoutMs: 0,
      maxMediaSeconds: 3600,
      tmpDir: join(dataDir, 'tmp'),
    },
  });
  return {
    app,
    runner,
    store,
    service,
    dataDir,
    async close() {
      service.close();
      await queue.close();
    },
  };
}

/** A oneshot job pipeline: one upload in (`media`), decoded and encoded to Ogg/Opus, one output out. */
export const JOB_PIPELINE = `mode: oneshot
nodes:
  input: { kind: streamkit::http_input }
  demux: { kind: containers::demuxer, needs: input }
  decode: { kind: audio::decoder, needs: demux.audio }
  encode: { kind: audio::encoder, params: { codec: opus }, needs: decode }
  mux: { kind: containers::muxer, params: { format: ogg }, needs: { audio: encode } }
  output: { kind: streamkit::http_output, needs: mux }
`;

/** A multipart job body: the pipeline, then `files` (name → content), then extra text fields. */
export function jobForm(
  pipeline = JOB_PIPELINE,
  files: Record<string, string> = { media: 'not really media' },
  fields: [string, string][] = [],
): FormData {
  const form = new FormData();
  form.append('config', pipeline);
  for (const [name, body] of Object.entries(files)) form.append(name, new Blob([body]), name);
  for (const [name, value] of fields) form.append(name, value);
  return form;
}

/** Polls `check` every 10 ms until it holds (at most `ms`). */
export async function eventually(check: () => boolean | Promise<boolean>, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
