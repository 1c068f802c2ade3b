/**
 * Live sessions over HTTP, in StreamKit's shapes (§2.2): create from a pipeline, list, read the
 * running pipeline back, destroy. Chained routes with zod validators, so the typed client (`hc`)
 * of the CLI and the studio reads the shapes from here.
 */
import { zValidator } from '@hono/zod-validator';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { z } from 'zod';
import { MAX_PIPELINE_BYTES, clip } from '../../src/engine';
import type { SessionManager } from './manager';
import { MAX_SESSION_NAME_CHARS, SessionError } from './manager';

/** The body of `POST /sessions`. */
export const CreateSessionSchema = z.strictObject({
  name: z.string().min(1).max(MAX_SESSION_NAME_CHARS).optional(),
  yaml: z.string().min(1),
});

/** Room for the JSON around the pipeline text. */
const ENVELOPE_BYTES = 64 * 1024;

function refusal(error: SessionError) {
  return {
    error: { code: error.code, message: error.message, ...(error.issues ? { issues: error.issues } : {}) },
  };
}

/** The session routes, mounted under `/api/v1`. */
export function sessionRoutes(manager: SessionManager) {
  return new Hono()
    .post(
      '/sessions',
      bodyLimit({
        maxSize: MAX_PIPELINE_BYTES + ENVELOPE_BYTES,
        onError: (c) =>
          c.json({ error: { code: 'too_large', message: `the request is over ${MAX_PIPELINE_BYTES} bytes` } }, 413),
      }),
      zValidator('json', CreateSessionSchema, (result, c) => {
        if (!result.success) {
          const message = result.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ');
          return c.json(
            { error: { code: 'bad_request', message: `send {"name"?: string, "yaml": string}: ${message}` } },
            400,
          );
        }
        return undefined;
      }),
      async (c) => {
        const { name, yaml } = c.req.valid('json');
        try {
          const info = await manager.create(name, yaml);
          return c.json({ session_id: info.id, name: info.name, created_at: info.created_at }, 200);
        } catch (error) {
          if (error instanceof SessionError) return c.json(refusal(error), error.status);
          throw error;
        }
      },
    )
    .get('/sessions', (c) => c.json(manager.list(), 200))
    .get('/sessions/:id/pipeline', async (c) => {
      const id = c.req.param('id');
      if (!manager.find(id))
        return c.json(refusal(new SessionError(404, 'not_found', `Session '${clip(id)}' not found`)), 404);
      const answer = await manager.control(id, { action: 'getpipeline' });
      if (answer.action !== 'pipeline') {
        return c.json(
          {
            error: {
              code: 'unavailable',
              message: typeof answer.message === 'string' ? answer.message : 'no pipeline',
            },
          },
          503,
        );
      }
      return c.json(answer.pipeline as Record<string, unknown>, 200);
    })
    .delete('/sessions/:id', async (c) => {
      try {
        return c.json({ session_id: await manager.destroy(c.req.param('id')) }, 200);
      } catch (error) {
        if (error instanceof SessionError) return c.json(refusal(error), error.status);
        throw error;
      }
    });
}

/** The session routes' type, for `hc`. */
export type SessionRoutes = ReturnType<typeof sessionRoutes>;
