/**
 * The driver's loopback HTTP bridge: serves the built headless page and each running job's bytes.
 * Inputs stream from disk as response bodies; outputs arrive in bounded chunks that are written
 * (at their position) before the request is answered, so the page is held back by a slow sink.
 * Job routes live under a random per-job secret, so other local processes cannot guess them.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { serve } from '@hono/node-server';
import { serveStatic } from '@hono/node-server/serve-static';
import { Hono } from 'hono';
import type { Context } from 'hono';
import { assetFiles } from './asset-files';
import type { FileAccess } from './file-access';
import { FileAccessError } from './file-access';
import { fileSink } from './file-sink';
import type { ObjectTarget, ScriptFetchRequest } from '../engine';
import { OUTPUT_CHUNK_BYTES } from './protocol';
import { ObjectTargetSchema, ScriptFetchRequestSchema } from './object-target';

/** Where a job's output bytes go (a file, an HTTP response…). */
export interface OutputSink {
  /** Writes `data` at byte `position`; resolves when it is safely handed on. */
  write(data: Uint8Array, position: number): Promise<void>;
  close(): Promise<void>;
  abort(reason: string): Promise<void>;
  /** Bytes are wanted as soon as they are written (a response streamed while the run goes on). */
  readonly live?: boolean;
}

/** What the bridge needs to serve one job. */
export interface BridgeJob {
  /** Input name → file path. */
  inputs: ReadonlyMap<string, string>;
  openOutput(name: string, contentType: string | undefined): Promise<OutputSink>;
  /** The server files `core::file_reader` / `core::file_writer` may use; none when absent. */
  files?: FileAccess;
  /** Publishes a live stream for `transport::http::mse` (sessions); none when absent. */
  openStream?: (path: string, options: { contentType: string; maxClients: number }) => OutputSink;
  /** Opens an object for `core::object_store_writer`; none when absent. Throws `OutputRefused`. */
  openObject?: (target: ObjectTarget) => OutputSink;
  /** Makes a `core::script` fetch (the server's allowlist and secrets); none when absent. */
  scriptFetch?: (request: ScriptFetchRequest) => Promise<{ status: number; body: string }>;
}

/** A stream or output the server will not open, with the status the bridge answers. */
export class OutputRefused extends Error {
  override readonly name = 'OutputRefused';
  readonly status: 400 | 403 | 409;
  constructor(status: OutputRefused['status'], message: string) {
    super(message);
    this.status = status;
  }
}

/** A running bridge. */
export interface Bridge {
  /** e.g. `http://127.0.0.1:40123` */
  readonly origin: string;
  /** Registers a job; the returned path prefix is handed to the page. Unregister when done. */
  register(secret: string, job: BridgeJob): string;
  unregister(secret: string): Promise<void>;
  close(): Promise<void>;
}

interface Registered {
  job: BridgeJob;
  outputs: Map<string, OutputSink>;
  /** Files and streams opened so far (their outputs are named `file-<n>`, `stream-<n>`). */
  files: number;
}

/** The prefix of the output names of files written by `core::file_writer`. */
export const FILE_OUTPUT_PREFIX = 'file-';

/** Registers an output the bridge opened itself (a file, a stream, an object) under a fresh name. */
function adopt(entry: Registered, prefix: string, sink: OutputSink): string {
  const name = `${prefix}${String(++entry.files)}`;
  entry.outputs.set(name, sink);
  return name;
}

const fail = (c: Context, status: 400 | 403 | 404 | 409, message: string) => c.text(message, status);

/** Starts a bridge on a free loopback port, serving the page from `distDir` and assets from `assetsDir`. */
export async function startBridge(distDir: string, assetsDir?: string, modelsDir?: string): Promise<Bridge> {
  const jobs = new Map<string, Registered>();
  const app = new Hono();

  app.get('/io/:secret/in/:name', async (c) => {
    const entry = jobs.get(c.req.param('secret'));
    if (!entry) return fail(c, 403, 'unknown job');
    const path = entry.job.inputs.get(c.req.param('name'));
    if (!path) return fail(c, 404, `no input named '${c.req.param('name')}'`);
    const size = (await stat(path)).size;
    const body = Readable.toWeb(createReadStream(path)) as ReadableStream<Uint8Array>;
    return c.body(body, 200, { 'content-length': String(size), 'content-type': 'application/octet-stream' });
  });

  // core::file_reader: a server file the job's FileAccess allows, streamed.
  app.get('/io/:secret/file', async (c) => {
    const entry = jobs.get(c.req.param('secret'));
    if (!entry) return fail(c, 403, 'unknown job');
    if (!entry.job.files) return fail(c, 403, 'this run may not read server files');
    try {
      const path = await entry.job.files.resolveRead(c.req.query('path') ?? '');
      const size = (await stat(path)).size;
      const body = Readable.toWeb(createReadStream(path)) as ReadableStream<Uint8Array>;
      return c.body(body, 200, { 'content-length': String(size), 'content-type': 'application/octet-stream' });
    } catch (error) {
      if (error instanceof FileAccessError) return fail(c, error.status, error.message);
      throw error;
    }
  });

  // core::file_writer: opens a server file as an output of the job (chunks go to /out/<name>).
  app.post('/io/:secret/file', async (c) => {
    const entry = jobs.get(c.req.param('secret'));
    if (!entry) return fail(c, 403, 'unknown job');
    if (!entry.job.files) return fail(c, 403, 'this run may not write server files');
    try {
      const path = await entry.job.files.resolveWrite(c.req.query('path') ?? '');
      return c.json({ name: adopt(entry, FILE_OUTPUT_PREFIX, await fileSink(path)) }, 200);
    } catch (error) {
      if (error instanceof FileAccessError) return fail(c, error.status, error.message);
      throw error;
    }
  });

  // transport::http::mse: opens a live stream as an output of the session (chunks go to /out/<name>).
  app.post('/io/:secret/stream', (c) => {
    const entry = jobs.get(c.req.param('secret'));
    if (!entry) return fail(c, 403, 'unknown job');
    if (!entry.job.openStream) return fail(c, 403, 'this run may not publish HTTP streams');
    const maxClients = Number(c.req.query('max_clients'));
    if (!Number.isSafeInteger(maxClients) || maxClients < 1)
      return fail(c, 400, 'max_clients must be a positive integer');
    try {
      const sink = entry.job.openStream(c.req.query('path') ?? '', {
        contentType: c.req.query('type') ?? '',
        maxClients,
      });
      return c.json({ name: adopt(entry, 'stream-', sink) }, 200);
    } catch (error) {
      if (error instanceof OutputRefused) return fail(c, error.status, error.message);
      throw error;
    }
  });

  // core::object_store_writer: opens an upload as an output of the run (chunks go to /out/<name>).
  app.post('/io/:secret/object', async (c) => {
    const entry = jobs.get(c.req.param('secret'));
    if (!entry) return fail(c, 403, 'unknown job');
    if (!entry.job.openObject) return fail(c, 403, 'this run may not write to object storage');
    const target = ObjectTargetSchema.safeParse(await c.req.json().catch(() => undefined));
    if (!target.success) return fail(c, 400, 'the object target is malformed');
    try {
      const sink = entry.job.openObject(target.data);
      return c.json({ name: adopt(entry, 'object-', sink) }, 200);
    } catch (error) {
      if (error instanceof OutputRefused) return fail(c, error.status, error.message);
      throw error;
    }
  });

  // core::script's fetch(): made by the server within its allowlist; refusals come back as text.
  app.post('/io/:secret/fetch', async (c) => {
    const entry = jobs.get(c.req.param('secret'));
    if (!entry) return fail(c, 403, 'unknown job');
    if (!entry.job.scriptFetch) return fail(c, 403, 'Blocked: Global allowlist is empty');
    const request = ScriptFetchRequestSchema.safeParse(await c.req.json().catch(() => undefined));
    if (!request.success) return fail(c, 400, 'the fetch request is malformed');
    try {
      return c.json(await entry.job.scriptFetch(request.data), 200);
    } catch (error) {
      return c.text((error as Error).message, 403);
    }
  });

  app.post('/io/:secret/out/:name/:op', async (c) => {
    const entry = jobs.get(c.req.param('secret'));
    if (!entry) return fail(c, 403, 'unknown job');
    const name = c.req.param('name');
    const op = c.req.param('op');
    if (op === 'open') {
      if (entry.outputs.has(name)) return fail(c, 409, `output '${name}' is already open`);
      const sink = await entry.job.openOutput(name, c.req.query('type'));
      entry.outputs.set(name, sink);
      return c.json({ live: sink.live === true }, 200);
    }
    const sink = entry.outputs.get(name);
    if (!sink) return fail(c, 404, `output '${name}' is not open`);
    if (op === 'chunk') {
      const position = Number(c.req.query('pos'));
      if (!Number.isSafeInteger(position) || position < 0) return fail(c, 400, 'pos must be a byte offset');
      const data = new Uint8Array(await c.req.arrayBuffer());
      if (data.byteLength > OUTPUT_CHUNK_BYTES)
        return fail(c, 400, `chunks are limited to ${OUTPUT_CHUNK_BYTES} bytes`);
      try {
        await sink.write(data, position);
      } catch (error) {
        // Where the bytes go refused them (an upload failed, a stream needs forward writes): the node says why.
        entry.outputs.delete(name);
        await sink.abort('a write failed');
        return c.text((error as Error).message, 502);
      }
    } else if (op === 'close') {
      entry.outputs.delete(name);
      try {
        await sink.close();
      } catch (error) {
        return c.text((error as Error).message, 502);
      }
    } else if (op === 'abort') {
      entry.outputs.delete(name);
      await sink.abort('the pipeline failed');
    } else {
      return fail(c, 404, `unknown output operation '${op}'`);
    }
    return c.body(null, 204);
  });

  app.route('/', assetFiles(assetsDir, modelsDir));
  app.use('/*', serveStatic({ root: distDir }));

  const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    origin: `http://127.0.0.1:${port}`,
    register(secret, job) {
      jobs.set(secret, { job, outputs: new Map(), files: 0 });
      return `/io/${secret}`;
    },
    async unregister(secret) {
      const entry = jobs.get(secret);
      jobs.delete(secret);
      // Outputs the page never closed (a crash, a cancel) are discarded, not left half-written.
      for (const sink of entry?.outputs.values() ?? []) await sink.abort('the job did not finish');
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // Pages are gone by now: their keep-alive connections would hold the close open.
        if ('closeAllConnections' in server) server.closeAllConnections();
      }),
  };
}
