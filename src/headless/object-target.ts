/** The schema of an object target as the page sends it to the bridge (`core::object_store_writer`). */
import { z } from 'zod';
import type { ObjectTarget } from '../engine';

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
