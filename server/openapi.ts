/**
 * The OpenAPI 3.1 document of Weft's HTTP API (`GET /api/v1/openapi.json`). Schemas come from the
 * same zod definitions the server validates with.
 */
import { z } from 'zod';
import { JobRecordSchema } from './jobs/record';
import { VERSION } from './version';

const ErrorSchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    node: z.string().optional(),
    pin: z.string().optional(),
    param: z.string().optional(),
  }),
});

const json = (schema: object, description: string) => ({ description, content: { 'application/json': { schema } } });
const error = (description: string) => json({ $ref: '#/components/schemas/Error' }, description);

/** Builds the document. */
export function openApiDocument(): object {
  const job = { $ref: '#/components/schemas/Job' };
  const id = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
  return {
    openapi: '3.1.0',
    info: { title: 'Weft', version: VERSION, description: 'Media pipelines run in headless Chromium workers.' },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: {
        Job: z.toJSONSchema(JobRecordSchema.omit({ pipeline: true, webhook: true })),
        Error: z.toJSONSchema(ErrorSchema),
      },
    },
    security: [{ bearer: [] }],
    paths: {
      '/healthz': { get: { summary: 'Liveness', security: [], responses: { 200: json({ type: 'object' }, 'OK') } } },
      '/metrics': { get: { summary: 'Prometheus metrics', responses: { 200: { description: 'text/plain metrics' } } } },
      '/api/v1/schema/nodes': {
        get: {
          summary: "Node kinds with params and pins, in StreamKit's NodeDefinition shape",
          responses: { 200: json({ type: 'array' }, 'Node definitions') },
        },
      },
      '/api/v1/schema/packets': {
        get: {
          summary: "Packet types in StreamKit's PacketTypeMeta shape",
          responses: { 200: json({ type: 'array' }, 'Packet types') },
        },
      },
      '/api/v1/weft/schema/nodes': {
        get: {
          summary: "Node kinds in Weft's shape (live params, modes, required pins)",
          responses: { 200: json({ type: 'array' }, 'Node descriptions') },
        },
      },
      '/api/v1/weft/schema/packets': {
        get: { summary: "Packet kinds in Weft's shape", responses: { 200: json({ type: 'array' }, 'Packet kinds') } },
      },
      '/api/v1/validate': {
        post: {
          summary: 'Validate a pipeline (YAML or JSON body)',
          requestBody: { content: { 'text/yaml': { schema: { type: 'string' } } } },
          responses: { 200: json({ type: 'object' }, '{valid, issues}'), 413: error('Too large') },
        },
      },
      '/api/v1/jobs': {
        post: {
          summary: 'Submit a job',
          description:
            'A oneshot pipeline (dynamic pipelines run as sessions). multipart/form-data: field `config` (pipeline, at most 1 MiB) and one file per input (field name = input name); optional `webhook`, repeated `set` (NODE.PARAM=VALUE), `max_duration` (seconds of media the job may produce, up to the server limit). Or JSON `{config, inputs: {name: url}, webhook?, set?, max_duration?}`.',
          requestBody: {
            content: {
              'multipart/form-data': {
                schema: { type: 'object', properties: { config: { type: 'string' } }, required: ['config'] },
              },
              'application/json': {
                schema: {
                  type: 'object',
                  properties: { config: {}, inputs: { type: 'object' } },
                  required: ['config'],
                },
              },
            },
          },
          responses: {
            202: json({ type: 'object', properties: { id: { type: 'string' } } }, 'Queued'),
            400: error('Invalid pipeline, input or URL'),
            413: error('Upload too large'),
          },
        },
        get: {
          summary: 'List jobs',
          responses: { 200: json({ type: 'object', properties: { jobs: { type: 'array', items: job } } }, 'Jobs') },
        },
      },
      '/api/v1/jobs/{id}': {
        get: {
          summary: 'Job state',
          parameters: [id],
          responses: { 200: json(job, 'The job'), 404: error('Unknown job') },
        },
        delete: {
          summary: 'Cancel a job',
          parameters: [id],
          responses: { 200: json(job, 'The job'), 404: error('Unknown job') },
        },
      },
      '/api/v1/jobs/{id}/events': {
        get: {
          summary: 'Server-sent events: `state` (the job) and `progress`',
          parameters: [id],
          responses: { 200: { description: 'text/event-stream' } },
        },
      },
      '/api/v1/jobs/{id}/outputs/{name}': {
        get: {
          summary: 'Download an output',
          parameters: [id, { name: 'name', in: 'path', required: true, schema: { type: 'string' } }],
          responses: {
            200: { description: 'The output bytes' },
            404: error('Unknown job or output'),
            409: error('Job not finished'),
          },
        },
      },
      '/api/v1/sessions': {
        post: {
          summary: 'Start a live session from a dynamic pipeline: body `{name?, yaml}`',
          responses: {
            200: { description: '`{session_id, name, created_at}`' },
            400: error('Invalid or oneshot pipeline'),
            409: error('Name taken'),
            429: error('Session limit reached (--max-sessions)'),
          },
        },
        get: { summary: 'Live sessions: `[{id, name, created_at}]`', responses: { 200: { description: 'The list' } } },
      },
      '/api/v1/sessions/{id}': {
        delete: {
          summary: 'Destroy a session (by id or name)',
          parameters: [id],
          responses: { 200: { description: '`{session_id}`' }, 404: error('Unknown session') },
        },
      },
      '/api/v1/sessions/{id}/pipeline': {
        get: {
          summary: 'The running pipeline, with StreamKit node states',
          parameters: [id],
          responses: { 200: { description: 'Pipeline JSON' }, 404: error('Unknown session') },
        },
      },
      '/api/v1/control': {
        get: {
          summary:
            "WebSocket control plane in StreamKit's envelope `{type, correlation_id?, payload}` (token as Bearer header or `?token=`)",
          responses: { 101: { description: 'Switching protocols' }, 401: error('Token required') },
        },
      },
      '/api/v1/process': {
        post: {
          summary:
            "StreamKit's synchronous oneshot: multipart `config` first, then media fields; the output is the response body",
          responses: { 200: { description: 'The output bytes' }, 400: error('Invalid pipeline or input') },
        },
      },
    },
  };
}
