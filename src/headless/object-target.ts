/** Schemas of what the page asks the bridge for on a node's behalf: an object to write, a script's fetch. */
import { z } from 'zod';
import type { ObjectTarget, ScriptFetchRequest } from '../engine';

/** An `ObjectTarget` off the wire: the page is trusted no more than it must be. */
export const ObjectTargetSchema: z.ZodType<ObjectTarget> = z.strictObject({
  endpoint: z.string().max(2048),
  bucket: z.string().max(63),
  key: z.string().max(1024),
  region: z.string().max(64),
  accessKeyIdSecret: z.string().max(128),
  secretKeySecret: z.string().max(128),
  partBytes: z
    .number()
    .int()
    .min(5 * 1024 * 1024)
    .max(512 * 1024 * 1024),
  contentType: z.string().max(256).optional(),
});

/** A `core::script` fetch off the wire. */
export const ScriptFetchRequestSchema: z.ZodType<ScriptFetchRequest> = z.strictObject({
  url: z.string().max(8192),
  method: z.string().max(16),
  headers: z.record(z.string().max(256), z.string().max(8192)),
  body: z
    .string()
    .max(1024 * 1024)
    .optional(),
  secrets: z
    .array(z.strictObject({ secret: z.string().max(128), header: z.string().max(256), template: z.string().max(1024) }))
    .max(16),
});
