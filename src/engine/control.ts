/**
 * Control messages of dynamic sessions, in StreamKit's names (`addnode`, `removenode`, `connect`,
 * `disconnect`, `tunenode`, `applybatch`, `validatebatch`, `getpipeline`), so that a WebSocket
 * API is a thin layer over `Session.handle()`.
 */
import { z } from 'zod';
import { EdgeModeSchema, NodeIdSchema } from './format';

const pinRef = {
  from_node: z.string().min(1),
  from_pin: z.string().min(1),
  to_node: z.string().min(1),
  to_pin: z.string().min(1),
};

/** One operation of a batch. */
export const BatchOperationSchema = z.discriminatedUnion('action', [
  z.strictObject({
    action: z.literal('addnode'),
    node_id: NodeIdSchema,
    kind: z.string().min(1),
    params: z.unknown().optional(),
  }),
  z.strictObject({ action: z.literal('removenode'), node_id: z.string().min(1) }),
  z.strictObject({ action: z.literal('connect'), ...pinRef, mode: EdgeModeSchema.optional() }),
  z.strictObject({ action: z.literal('disconnect'), ...pinRef }),
]);

/** What `tunenode` carries: new params, or a lifecycle command. */
export const NodeControlMessageSchema = z.union([
  z.strictObject({ UpdateParams: z.record(z.string(), z.unknown()) }),
  z.literal('Start'),
  z.literal('Shutdown'),
]);

/** A control request (the `payload` of StreamKit's WebSocket envelope, minus `session_id`). */
export const ControlRequestSchema = z.discriminatedUnion('action', [
  ...BatchOperationSchema.options,
  z.strictObject({ action: z.literal('tunenode'), node_id: z.string().min(1), message: NodeControlMessageSchema }),
  z.strictObject({ action: z.literal('applybatch'), operations: z.array(BatchOperationSchema) }),
  z.strictObject({ action: z.literal('validatebatch'), operations: z.array(BatchOperationSchema) }),
  z.strictObject({ action: z.literal('getpipeline') }),
]);

/** One operation of a batch. */
export type BatchOperation = z.infer<typeof BatchOperationSchema>;
/** A control request. */
export type ControlRequest = z.infer<typeof ControlRequestSchema>;
/** What `tunenode` carries. */
export type NodeControlMessage = z.infer<typeof NodeControlMessageSchema>;

/** One entry of a `validationresult`, in StreamKit's shape. */
export interface ValidationEntry {
  error_type: 'error' | 'warning';
  message: string;
  node_id: string | null;
  connection_id: string | null;
}

/** The answer to a control request. */
export type ControlResponse =
  | { action: 'success' }
  | { action: 'error'; message: string }
  | { action: 'validationresult'; errors: ValidationEntry[] }
  | { action: 'batchapplied'; success: boolean; errors: string[] }
  | { action: 'pipeline'; pipeline: unknown };
