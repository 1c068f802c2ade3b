/**
 * Starts a complete Weft server: data directory, job store and queue, the headless worker pool,
 * and the Hono app on a socket. Used by `weft serve`, `npm start` and the end-to-end tests.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { serve, upgradeWebSocket } from '@hono/node-server';
import { WebSocketServer } from 'ws';
import { HeadlessPool } from '../src/headless/driver';
import { createRegistry } from '../src/nodes';
import { createApp, DEFAULT_MAX_UPLOAD_BYTES } from './app';
import { isLoopback } from './config';
import { allowedHostNames } from './guards';
import { EmbeddedQueue } from './jobs/embedded-queue';
import { executeJob } from './jobs/execute';
import type { JobQueue } from './jobs/queue';
import { JobService } from './jobs/service';
import { JobStore } from './jobs/store';
import { loadOrCreateSecret, loadOrCreateToken } from './token';
import { MAX_CONTROL_MESSAGE_BYTES } from './sessions/control';
import { MseStreams } from './mse/streams';
import type { S3OutputSettings } from './jobs/outputs';
import { DiskOutputs, S3Outputs } from './jobs/outputs';
import { ObjectStore, secretsOf } from './object-store';
import { ScriptFetch } from './script-fetch';
import { SessionManager } from './sessions/manager';
import { MoqRelay } from './relay/relay';
import { relayHandleProtocols } from './relay/websocket';
import { mintToken } from './relay/tokens';
import type { RelayTargetPolicy } from './relay-targets';
import type { FileAccessOptions } from '../src/headless/file-access';
import { FileAccess } from '../src/headless/file-access';

/** Default limit on one job's run time: one hour. */
export const DEFAULT_JOB_TIMEOUT_MS = 60 * 60 * 1000;
/** Default retention of finished jobs and their outputs: seven days. */
export const DEFAULT_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;
/** Default most media one job may produce: four hours. */
export const DEFAULT_MAX_MEDIA_SECONDS = 4 * 60 * 60;
/** Lifetime of the relay token the server's own headless pages use: a day (renewed every twelve hours). */
const INTERNAL_TOKEN_TTL_S = 24 * 60 * 60;
/** Time a shutdown gets in all; what is still open then is cut off. */
export const SHUTDOWN_TIMEOUT_MS = 8_000;
/** Part of it that running jobs get to stop (they are left queued for the next start). */
const SHUTDOWN_JOB_GRACE_MS = 4_000;

export interface ServerSettings {
  host: string;
  port: number;
  dataDir: string;
  studioDir: string;
  /** Headless pages (= jobs run at once by this process). */
  workers?: number;
  maxUploadBytes?: number;
  jobTimeoutMs?: number;
  retentionMs?: number;
  allowPrivateUrls?: boolean;
  /** Job outputs in S3-compatible storage instead of the data directory (`--outputs s3://…`). */
  outputs?: S3OutputSettings;
  /** URL patterns (`https://api.example.com/*`) `core::script` may fetch; none by default. */
  scriptFetchAllow?: readonly string[];
  /** Environment variables pipelines may name as secrets (`--secret NAME`): object store credentials. */
  secrets?: readonly string[];
  /** Server files file_reader / file_writer may use (default: read `samples/**` under the working directory, write none). */
  files?: FileAccessOptions;
  /** Most media one job may produce, in seconds. */
  maxMediaSeconds?: number;
  /** Extra host names to answer to (`--allowed-hosts`); `*` accepts any. */
  allowedHosts?: string[];
  /** BullMQ on Redis instead of the embedded queue. */
  redisUrl?: string;
  /** Live sessions run at once (each on a page of its own). */
  maxSessions?: number;
  /** Assets nodes may open by name (models, fonts, images). Default: `<data>/assets`. */
  assetsDir?: string;
  /** A models folder (Hugging Face layout) served to pages as assets `models/…` (`--models DIR`). */
  modelsDir?: string;
  /** With Redis: also run jobs in this process (default true). */
  work?: boolean;
  env?: Record<string, string | undefined>;
  log?: (line: string) => void;
}

export interface RunningServer {
  url: string;
  token: string | undefined;
  pool: HeadlessPool;
  service: JobService;
  queue: JobQueue;
  sessions: SessionManager;
  relay: MoqRelay;
  close(): Promise<void>;
}

/** Builds the queue for the settings: BullMQ when a Redis URL is given, else the embedded one. */
export async function createQueue(redisUrl: string | undefined): Promise<JobQueue> {
  if (!redisUrl) return new EmbeddedQueue();
  const { RedisQueue } = await import('./jobs/redis-queue');
  const queue = new RedisQueue(redisUrl);
  await queue.ready(); // events of jobs started meanwhile by other workers are not missed
  return queue;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

export async function startServer(settings: ServerSettings): Promise<RunningServer> {
  const log = settings.log ?? ((line: string) => console.log(line));
  const env = settings.env ?? process.env;
  const dataDir = resolve(settings.dataDir);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  let token: string | undefined;
  if (!isLoopback(settings.host) || env.WEFT_TOKEN) {
    const loaded = await loadOrCreateToken(dataDir, env);
    token = loaded.token;
    if (loaded.created) {
      log(
        `weft: created an API token for non-loopback use (stored in ${loaded.path}, mode 0600; shown only now):\n  ${token}`,
      );
    } else {
      log(`weft: API token required (from ${loaded.path})`);
    }
  }
  const studioDir = resolve(settings.studioDir);
  if (!existsSync(join(studioDir, 'index.html'))) {
    throw new Error(`no built studio in ${studioDir}; run \`npm run build\` first (npm start does it for you)`);
  }
  const registry = createRegistry();
  const store = new JobStore(dataDir);
  const queue = await createQueue(settings.redisUrl);
  const outputs = settings.outputs ? new S3Outputs(store, settings.outputs) : new DiskOutputs(store);
  if (settings.outputs) log(`weft: job outputs are stored in ${outputs.where}`);
  const service = new JobService({
    store,
    queue,
    outputs,
    retentionMs: settings.retentionMs ?? DEFAULT_RETENTION_MS,
    webhookSecret: await loadOrCreateSecret(dataDir, 'webhook-secret'),
    allowPrivateUrls: settings.allowPrivateUrls ?? false,
  });
  const assetsDir = resolve(settings.assetsDir ?? join(dataDir, 'assets'));
  await mkdir(assetsDir, { recursive: true });
  const modelsDir = settings.modelsDir ? resolve(settings.modelsDir) : undefined;
  const pool = await HeadlessPool.start({
    distDir: studioDir,
    assetsDir,
    ...(modelsDir ? { modelsDir } : {}),
    log,
    ...(settings.workers ? { size: settings.workers } : {}),
  });
  const jobTimeoutMs = settings.jobTimeoutMs ?? DEFAULT_JOB_TIMEOUT_MS;
  // With Redis the queue itself survives restarts: only the embedded queue needs re-adding.
  await service.start({ requeue: !settings.redisUrl });
  const files = new FileAccess(settings.files);
  const secrets = secretsOf(settings.secrets ?? [], env, log);
  const objects = new ObjectStore({ secrets, allowPrivate: settings.allowPrivateUrls ?? false });
  const scriptFetch = new ScriptFetch({
    allow: settings.scriptFetchAllow ?? [],
    secrets,
    allowPrivate: settings.allowPrivateUrls ?? false,
  });
  if (settings.work !== false)
    queue.process(
      (task) => executeJob({ store, pool, jobTimeoutMs, files, objects, outputs, scriptFetch }, task),
      pool.size,
    );
  const allowedHosts = allowedHostNames(settings.host, settings.allowedHosts);
  // The server's own relay is always allowed; its origin is known once it listens.
  const relayTargets: RelayTargetPolicy = { allowPrivate: settings.allowPrivateUrls ?? false };
  const mse = new MseStreams();
  const sessions = new SessionManager({
    runner: pool,
    registry,
    log,
    relayTargets,
    files,
    streams: mse,
    objects,
    scriptFetch,
    ...(settings.maxSessions ? { maxSessions: settings.maxSessions } : {}),
  });
  const relay = new MoqRelay({ log });
  const relaySecret = await loadOrCreateSecret(dataDir, 'moq-secret');
  const app = createApp({
    relay: { relay, secret: relaySecret, anonymous: token === undefined },
    streamkit: {
      samplesDir: resolve(import.meta.dirname, '..', 'samples'),
      userSamplesDir: join(dataDir, 'samples'),
      filesRoot: files.root,
      relay: true,
    },
    registry,
    studioDir,
    assetsDir,
    ...(modelsDir ? { modelsDir } : {}),
    sessions: { manager: sessions, upgrade: upgradeWebSocket },
    mse,
    ...(token ? { token } : {}),
    ...(allowedHosts ? { allowedHosts } : {}),
    jobs: {
      registry,
      service,
      pool,
      queue,
      maxUploadBytes: settings.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES,
      allowPrivateUrls: settings.allowPrivateUrls ?? false,
      jobTimeoutMs,
      maxMediaSeconds: settings.maxMediaSeconds ?? DEFAULT_MAX_MEDIA_SECONDS,
      tmpDir: join(dataDir, 'tmp'),
      relayTargets,
      files,
      objects,
      scriptFetch,
    },
  });
  // Twice the message limit, so a message just over it is answered with an error, not a hang-up.
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: 2 * MAX_CONTROL_MESSAGE_BYTES,
    // The relay picks a QMux framing of a MoQ version; other sockets take what they offer first.
    handleProtocols: relayHandleProtocols,
  });
  const server = serve({ fetch: app.fetch, hostname: settings.host, port: settings.port, websocket: { server: wss } });
  await new Promise<void>((resolveListen, reject) => {
    server.once('listening', resolveListen);
    server.once('error', reject);
  });
  const info = server.address() as AddressInfo;
  const host = info.family === 'IPv6' ? `[${info.address}]` : info.address;
  const url = `http://${host}:${info.port}`;
  relayTargets.ownOrigin = url;
  // The headless pages come from the driver's bridge (another origin), so their MoQ nodes show a
  // token of the server's own; it is renewed well before it expires.
  const relayToken = async () => {
    const jwt = await mintToken(relaySecret, { publish: ['**'], subscribe: ['**'], ttlSeconds: INTERNAL_TOKEN_TTL_S });
    pool.relayUrl = `${url}/moq?jwt=${jwt}`;
  };
  await relayToken();
  const renew = setInterval(() => void relayToken(), (INTERNAL_TOKEN_TTL_S * 1000) / 2);
  renew.unref();
  return {
    url,
    token,
    pool,
    service,
    queue,
    sessions,
    relay,
    /**
     * Stops within SHUTDOWN_TIMEOUT_MS: no new connections, event streams end, running jobs are
     * stopped and left queued (they run again on the next start), no page is replaced, the browser
     * exits (or is killed), and connections still open at the end are cut.
     */
    async close() {
      clearInterval(renew);
      const closed = new Promise<void>((done) => server.close(() => done()));
      service.close();
      // Sessions end first and cleanly: every node stops and every watcher hears `sessiondestroyed`.
      await Promise.race([sessions.closeAll(), sleep(SHUTDOWN_JOB_GRACE_MS)]);
      relay.close();
      for (const client of wss.clients) client.close(1001, 'the server is shutting down');
      wss.close();
      const stop = Promise.all([queue.close(), pool.close({ graceMs: SHUTDOWN_JOB_GRACE_MS })]);
      await Promise.race([stop, sleep(SHUTDOWN_TIMEOUT_MS - 1_000)]);
      if ('closeAllConnections' in server) server.closeAllConnections();
      await Promise.race([closed, sleep(1_000)]);
    },
  };
}
