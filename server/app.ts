/**
 * The Hono app: health, node and packet schemas, pipeline validation, and the built studio.
 * Routes are defined here; `main.ts` binds them to a socket.
 */
import { Hono } from 'hono';
import { bearerAuth } from 'hono/bearer-auth';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Issue, NodeRegistry } from '../src/engine';
import { checkPipelineText, PACKET_KINDS } from '../src/engine';
import type { JobRoutesOptions } from './jobs/routes';
import { jobRoutes } from './jobs/routes';
import type { JobQueue } from './jobs/queue';
import { renderMetrics } from './metrics';
import { openApiDocument } from './openapi';
import { staticFiles } from './static';
import { VERSION } from './version';

export { VERSION };
/** StreamKit's default upload limit. */
export const DEFAULT_MAX_UPLOAD_BYTES = 100 * 1024 * 1024;
/** Largest pipeline document `/api/v1/validate` accepts. */
export const MAX_PIPELINE_BYTES = 1024 * 1024;

/** What the app needs from its host. */
export interface AppOptions {
  registry: NodeRegistry;
  /** Directory of the built studio (`vite build` output); absent means no studio is served. */
  studioDir?: string;
  /** When set, every `/api/*` and `/metrics` request must send `Authorization: Bearer <token>`. */
  token?: string;
  /** The job API; absent in a validate-only app (tests of the schema routes). */
  jobs?: JobRoutesOptions & { queue: JobQueue };
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

  app.use('*', async (c, next) => {
    await next();
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Referrer-Policy', 'no-referrer');
    // Cross-origin isolation, so the studio may use SharedArrayBuffer.
    c.header('Cross-Origin-Opener-Policy', 'same-origin');
    c.header('Cross-Origin-Embedder-Policy', 'require-corp');
  });

  if (options.token) {
    const auth = bearerAuth({
      token: options.token,
      noAuthenticationHeaderMessage: apiError('unauthorized', 'send Authorization: Bearer <token>'),
      invalidAuthenticationHeaderMessage: apiError('unauthorized', 'malformed Authorization header'),
      invalidTokenMessage: apiError('unauthorized', 'invalid token'),
    });
    app.use('/api/*', auth);
    app.use('/metrics', auth);
  }

  app.onError((error, c) => {
    if (error instanceof HTTPException) return error.getResponse();
    console.error('weft: unhandled error in', c.req.method, c.req.path, error);
    return c.json(apiError('internal', 'internal server error'), 500);
  });

  app.get('/healthz', (c) => c.json({ status: 'ok', version: VERSION }));

  app.get('/api/v1/schema/nodes', (c) => c.json(options.registry.describeAll()));

  app.get('/api/v1/schema/packets', (c) => c.json(PACKET_KINDS));

  app.post('/api/v1/validate', async (c) => {
    const length = Number(c.req.header('content-length') ?? 0);
    if (length > MAX_PIPELINE_BYTES) {
      return c.json(apiError('too_large', `pipeline documents are limited to ${MAX_PIPELINE_BYTES} bytes`), 413);
    }
    const text = await c.req.text();
    if (text.length > MAX_PIPELINE_BYTES) {
      return c.json(apiError('too_large', `pipeline documents are limited to ${MAX_PIPELINE_BYTES} bytes`), 413);
    }
    const { valid, issues } = checkPipelineText(text, options.registry);
    return c.json({ valid, issues }, 200 as ContentfulStatusCode);
  });

  app.get('/api/v1/openapi.json', (c) => c.json(openApiDocument()));

  const jobs = options.jobs;
  if (jobs) {
    const limit = bodyLimit({
      maxSize: jobs.maxUploadBytes,
      // The rest of the body is not read: tell the client not to reuse this connection.
      onError: (c) =>
        c.json(
          apiError(
            'too_large',
            `uploads are limited to ${jobs.maxUploadBytes} bytes (${Math.round(jobs.maxUploadBytes / 1048576)} MiB)`,
          ),
          413,
          { connection: 'close' },
        ),
    });
    app.use('/api/v1/jobs', limit);
    app.use('/api/v1/process', limit);
    app.route('/api/v1', jobRoutes(jobs));
    app.get('/metrics', async (c) =>
      c.text(await renderMetrics(jobs.service, jobs.queue, jobs.pool), 200, {
        'content-type': 'text/plain; version=0.0.4',
      }),
    );
  }

  app.all('/api/*', (c) => c.json(apiError('not_found', `no route ${c.req.method} ${c.req.path}`), 404));

  if (options.studioDir) app.route('/', staticFiles(options.studioDir));

  return app;
}

/** The app's type, for typed clients. */
export type App = ReturnType<typeof createApp>;
