/**
 * Helpers for end-to-end tests: a real server on a free port with its own data directory, inputs
 * made by ffmpeg, outputs checked by ffprobe, and SSE reading.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunningServer, ServerSettings } from '../../server/serve';
import { startServer } from '../../server/serve';
import { EventSourceParserStream } from 'eventsource-parser/stream';
import { ensureMedia, ffprobeFile } from '../support/media-commands';

export { ensureMedia };

export interface Probe {
  format: { duration?: string; format_name: string };
  streams: { codec_type: string; codec_name: string; width?: number; height?: number; nb_read_frames?: string }[];
}

export async function probe(path: string): Promise<Probe> {
  return (await ffprobeFile(path)) as Probe;
}

/** Writes bytes to a temp file and probes it. */
export async function probeBytes(bytes: Uint8Array, ext: string): Promise<Probe> {
  const dir = await mkdtemp(join(tmpdir(), 'weft-probe-'));
  const path = join(dir, `out.${ext}`);
  await writeFile(path, bytes);
  return probe(path);
}

export function codecs(p: Probe): string[] {
  return p.streams.map((s) => s.codec_name).sort();
}

/** Starts a server on 127.0.0.1 with a fresh data dir (unless given). */
export async function testServer(
  settings: Partial<ServerSettings> = {},
): Promise<RunningServer & { dataDir: string; logs: string[] }> {
  const dataDir = settings.dataDir ?? (await mkdtemp(join(tmpdir(), 'weft-data-')));
  const logs: string[] = [];
  const server = await startServer({
    host: '127.0.0.1',
    port: 0,
    studioDir: 'dist',
    workers: 1,
    ...settings,
    dataDir,
    log: (line) => logs.push(line),
  });
  return Object.assign(server, { dataDir, logs });
}

/** Submits a job (multipart) and returns the response JSON with its status. */
export async function submit(
  base: string,
  pipelinePath: string | { text: string },
  inputs: Record<string, string | Blob> = {},
  extra: [string, string][] = [],
  headers: Record<string, string> = {},
): Promise<{
  status: number;
  body: { id?: string; error?: { code: string; message: string; node?: string; pin?: string; param?: string } };
}> {
  const { openAsBlob, readFileSync } = await import('node:fs');
  const form = new FormData();
  form.append('config', typeof pipelinePath === 'string' ? readFileSync(pipelinePath, 'utf8') : pipelinePath.text);
  for (const [name, value] of Object.entries(inputs)) {
    if (typeof value === 'string' && /^[a-z]+:\/\//.test(value)) form.append(name, value);
    else form.append(name, typeof value === 'string' ? await openAsBlob(value) : value, name);
  }
  for (const [k, v] of extra) form.append(k, v);
  const response = await fetch(`${base}/api/v1/jobs`, { method: 'POST', body: form, headers });
  return { status: response.status, body: (await response.json()) as never };
}

export interface JobView {
  id: string;
  state: string;
  attempts: number;
  worker: string | null;
  error: { code: string; message: string; node?: string } | null;
  outputs: { name: string; bytes: number; content_type: string }[];
}

/** Follows a job's SSE stream until it ends; returns the events seen. */
export async function follow(
  base: string,
  id: string,
  headers: Record<string, string> = {},
): Promise<{ states: JobView[]; progress: number; telemetry: Record<string, unknown>[] }> {
  const response = await fetch(`${base}/api/v1/jobs/${id}/events`, { headers });
  if (!response.ok || !response.body) throw new Error(`events: ${response.status}`);
  const states: JobView[] = [];
  const telemetry: Record<string, unknown>[] = [];
  let progress = 0;
  const events = response.body
    .pipeThrough(new TextDecoderStream() as unknown as TransformStream<Uint8Array, string>)
    .pipeThrough(new EventSourceParserStream());
  for await (const message of events) {
    if (message.event === 'state') states.push(JSON.parse(message.data) as JobView);
    if (message.event === 'progress') progress++;
    if (message.event === 'nodetelemetry') telemetry.push(JSON.parse(message.data) as Record<string, unknown>);
  }
  return { states, progress, telemetry };
}

/** Polls a job until it is in a final state. */
export async function waitFinal(
  base: string,
  id: string,
  ms = 60_000,
  headers: Record<string, string> = {},
): Promise<JobView> {
  const end = Date.now() + ms;
  for (;;) {
    const job = (await (await fetch(`${base}/api/v1/jobs/${id}`, { headers })).json()) as JobView;
    if (['succeeded', 'failed', 'canceled'].includes(job.state)) return job;
    if (Date.now() > end) throw new Error(`job ${id} still ${job.state} after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Polls until `check` holds. */
export async function until(check: () => Promise<boolean> | boolean, ms = 30_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Runs the `weft` CLI; resolves with its exit code and output. */
export function weft(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bin/weft.js', ...args], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('exit', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** A WebSocket client of `/api/v1/control`: requests by correlation id, and every event seen. */
export async function controlClient(base: string, token?: string) {
  const { default: WebSocket } = await import('ws');
  const url = `${base.replace(/^http/, 'ws')}/api/v1/control${token ? `?token=${token}` : ''}`;
  const ws = new WebSocket(url, { headers: { origin: base } });
  const events: Record<string, unknown>[] = [];
  const waiting = new Map<string, (payload: Record<string, unknown>) => void>();
  const eventWaiters: {
    match: (e: Record<string, unknown>) => boolean;
    resolve: (e: Record<string, unknown>) => void;
  }[] = [];
  ws.on('message', (data: Buffer) => {
    const message = JSON.parse(data.toString()) as {
      type: string;
      correlation_id?: string;
      payload: Record<string, unknown>;
    };
    if (message.type === 'event') {
      events.push(message.payload);
      for (const w of [...eventWaiters]) {
        if (w.match(message.payload)) {
          eventWaiters.splice(eventWaiters.indexOf(w), 1);
          w.resolve(message.payload);
        }
      }
    } else if (message.correlation_id) waiting.get(message.correlation_id)?.(message.payload);
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  let next = 0;
  return {
    ws,
    events,
    /** Sends a request and resolves with its response payload. */
    request(payload: Record<string, unknown>): Promise<Record<string, unknown>> {
      const id = String(++next);
      const answered = new Promise<Record<string, unknown>>((resolve) => waiting.set(id, resolve));
      ws.send(JSON.stringify({ type: 'request', correlation_id: id, payload }));
      return answered;
    },
    /** Resolves with the first event (seen or still to come) that matches. */
    event(match: (e: Record<string, unknown>) => boolean, ms = 30_000): Promise<Record<string, unknown>> {
      const seen = events.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching event in ${ms} ms`)), ms);
        eventWaiters.push({
          match,
          resolve: (e) => {
            clearTimeout(timer);
            resolve(e);
          },
        });
      });
    },
    close: () => ws.close(),
  };
}
