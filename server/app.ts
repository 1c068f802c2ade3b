/**
 * The Hono app: health, node and packet schemas, pipeline validation, and the built studio.
 * Routes are defined here; `main.ts` binds them to a socket.
 */
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Issue, NodeRegistry } from '../src/engine';
import { MAX_PIPELINE_BYTES, PACKET_KINDS } from '../src/engine';
import { originGuard, requireToken } from './guards';
import { BodyError, readText } from './jobs/upload';
import { checkPipeline, filePathIssue } from './pipeline-check';
import { FileAccess } from '../src/headless/file-access';
import type { JobRoutesOptions } from './jobs/routes';
import { jobRoutes } from './jobs/routes';
import type { JobQueue } from './jobs/queue';
import { renderMetrics } from './metrics';
import type { UpgradeWebSocket } from 'hono/ws';
import { assetFiles } from '../src/headless/asset-files';
import { controlRoutes } from './sessions/control';
import type { SessionManager } from './sessions/manager';
import { sessionRoutes } from './sessions/routes';
import { openApiDocument } from './openapi';
import type { RelayRouteOptions } from './relay/routes';
import { relayRoutes } from './relay/routes';
import { mseRoutes } from './mse/routes';
import type { MseStreams } from './mse/streams';
import { staticFiles } from './static';
import { VERSION } from './version';
import { STREAMKIT_PACKET_TYPES, streamkitNode } from './streamkit-schema';
import type { StreamkitRoutesOptions } from './streamkit-routes';
import { streamkitRoutes } from './streamkit-routes';

export { VERSION };
/** StreamKit's default upload limit. */
export const DEFAULT_MAX_UPLOAD_BYTES = 100 * 1024 * 1024;
export { MAX_PIPELINE_BYTES };

/** What the app needs from its host. */
export interface AppOptions {
  registry: NodeRegistry;
  /** Directory of the built studio (`vite build` output); absent means no studio is served. */
  studioDir?: string;
  /** When set, every `/api/*` and `/metrics` request must send `Authorization: Bearer <token>`. */
  token?: string;
  /**
   * Host names the server answers to (DNS-rebinding guard); undefined accepts any name (a
   * wildcard bind, guarded by the token). See `allowedHostNames`.
   */
  allowedHosts?: readonly string[];
  /** The job API; absent in a validate-only app (tests of the schema routes). */
  jobs?: JobRoutesOptions & { queue: JobQueue };
  /** Live sessions and the WebSocket control plane (`upgrade` is the Node adapter's). */
  sessions?: { manager: SessionManager; upgrade: UpgradeWebSocket };
  /** Assets (models, fonts, images) that nodes open by name. */
  assetsDir?: string;
  /** The models folder, served as assets `models/…`. */
  modelsDir?: string;
  /** The MoQ relay at `/moq` and its token API (needs `sessions` for the WebSocket upgrade). */
  relay?: Omit<RelayRouteOptions, 'upgrade'>;
  /** StreamKit's permissions, config, plugins, samples and audio asset routes. */
  streamkit?: StreamkitRoutesOptions;
  /** The live streams of `transport::http::mse` nodes, at `/mse/*`. */
  mse?: MseStreams;
}

/** The JSON error shape of every failing API response. */
export interface ApiError {
  error: { code: string; message: string; node?: string; pin?: string; param?: string; issues?: Issue[] };
}

function apiError(code: string, message: string, extra: Partial<ApiError['error']> = {}): ApiError {
  return { error: { code, message, ...extra } };
}

/** Builds the app. */
export function createApp(options: AppOptions) {
  const app = new Hono();

  app.use('*', originGuard(options.allowedHosts));

  app.use('*', async (c, next) => {
    await next();
    // API answers are data, never documents: nothing in them may run or be framed.
    if (c.req.path.startsWith('/api/') && !c.res.headers.has('content-security-policy'))
      c.header('Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'; sandbox");
    c.header('X-Content-Type-Options', 'nosniff');
    // A refused body was not read to its end: the connection cannot be reused.
    if (c.res.status === 413) c.header('Connection', 'close');
    c.header('Referrer-Policy', 'no-referrer');
    // Cross-origin isolation, so the studio may use SharedArrayBuffer.
    c.header('Cross-Origin-Opener-Policy', 'same-origin');
    c.header('Cross-Origin-Embedder-Policy', 'require-corp');
  });

  if (options.token) {
    const auth = requireToken(options.token);
    app.use('/api/*', auth);
    app.use('/metrics', auth);
  }

  app.onError((error, c) => {
    if (error instanceof HTTPException) return error.getResponse();
    if (error instanceof BodyError) return c.json(apiError(error.code, error.message), error.status);
    console.error('weft: unhandled error in', c.req.method, c.req.path, error);
    return c.json(apiError('internal', 'internal server error'), 500);
  });

  app.get('/healthz', (c) => c.json({ status: 'ok', version: VERSION }));

  // StreamKit's shapes, for its UI and clients; Weft's own (live params, modes, required pins) apart.
  app.get('/api/v1/schema/nodes', (c) => c.json(options.registry.describeAll().map(streamkitNode)));
  app.get('/api/v1/schema/packets', (c) => c.json(STREAMKIT_PACKET_TYPES));
  app.get('/api/v1/weft/schema/nodes', (c) => c.json(options.registry.describeAll()));
  app.get('/api/v1/weft/schema/packets', (c) => c.json(PACKET_KINDS));

  app.post('/api/v1/validate', async (c) => {
    // Counted while read, so a chunked body without Content-Length is bounded too.
    const text = await readText(c.req.raw, MAX_PIPELINE_BYTES, 'a pipeline document');
    const check = checkPipeline(text, options.registry);
    // A file path this server would refuse is reported here too, before anything is submitted.
    const pathIssue = check.ok ? filePathIssue(check.pipeline, options.jobs?.files ?? new FileAccess()) : undefined;
    if (pathIssue) return c.json({ valid: false, issues: [pathIssue, ...check.issues] }, 200 as ContentfulStatusCode);
    return c.json({ valid: check.ok, issues: check.issues }, 200 as ContentfulStatusCode);
  });

  app.get('/api/v1/openapi.json', (c) => c.json(openApiDocument()));
  if (options.streamkit) app.route('/api/v1', streamkitRoutes(options.streamkit));

  const jobs = options.jobs;
  if (jobs) {
    app.route('/api/v1', jobRoutes(jobs));
    app.get('/metrics', async (c) =>
      c.text(await renderMetrics(jobs.service, jobs.queue, jobs.pool), 200, {
        'content-type': 'text/plain; version=0.0.4',
      }),
    );
  }

  const sessions = options.sessions;
  if (sessions) {
    app.route('/api/v1', sessionRoutes(sessions.manager));
    app.route('/api/v1', controlRoutes(sessions.manager, options.registry, sessions.upgrade));
  }

  if (options.relay && sessions) app.route('/', relayRoutes({ ...options.relay, upgrade: sessions.upgrade }));

  if (options.mse) app.route('/', mseRoutes(options.mse));

  app.all('/api/*', (c) => c.json(apiError('not_found', `no route ${c.req.method} ${c.req.path}`), 404));

  app.route('/', assetFiles(options.assetsDir, options.modelsDir));
  if (options.studioDir) app.route('/', staticFiles(options.studioDir));

  return app;
}

/** The app's type, for typed clients. */
export type App = ReturnType<typeof createApp>;
