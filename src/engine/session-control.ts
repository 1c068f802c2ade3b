/**
 * The control plane of a dynamic session: StreamKit's request messages (`addnode`, `tunenode`,
 * `applybatch`, …) turned into session calls, and their answers in StreamKit's shapes.
 */
import type { BatchOperation, ControlRequest, ControlResponse, ValidationEntry } from './control';
import { ControlRequestSchema } from './control';
import type { Issue } from './errors';
import { PipelineError, formatIssue } from './errors';

/** What the control plane needs of a session. */
export interface ControlTarget {
  pipeline(): unknown;
  validateBatch(operations: readonly BatchOperation[]): Issue[];
  applyBatch(operations: readonly BatchOperation[]): void;
  tuneNode(node_id: string, update: Record<string, unknown>): void;
  hasNode(node_id: string): boolean;
  shutdownNode(node_id: string): boolean;
}

/** Handles one control request in StreamKit's message shape, against a session. */
export function handleControl(session: ControlTarget, request: unknown): ControlResponse {
  const parsed = ControlRequestSchema.safeParse(request);
  if (!parsed.success) {
    return {
      action: 'error',
      message: `invalid control request: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(request)'}: ${i.message}`).join('; ')}`,
    };
  }
  const req: ControlRequest = parsed.data;
  try {
    switch (req.action) {
      case 'getpipeline':
        return { action: 'pipeline', pipeline: session.pipeline() };
      case 'validatebatch':
        return { action: 'validationresult', errors: session.validateBatch(req.operations).map(toValidationEntry) };
      case 'applybatch':
        try {
          session.applyBatch(req.operations);
          return { action: 'batchapplied', success: true, errors: [] };
        } catch (error) {
          return { action: 'batchapplied', success: false, errors: errorLines(error) };
        }
      case 'tunenode': {
        const message = req.message;
        if (message === 'Start') {
          // Weft starts every node when it is added; Start only checks that the node exists.
          if (!session.hasNode(req.node_id)) return { action: 'error', message: `Node '${req.node_id}' not found` };
          return { action: 'success' };
        }
        if (message === 'Shutdown') {
          if (!session.shutdownNode(req.node_id))
            return { action: 'error', message: `Node '${req.node_id}' not found` };
          return { action: 'success' };
        }
        session.tuneNode(req.node_id, message.UpdateParams);
        return { action: 'success' };
      }
      default:
        session.applyBatch([req]);
        return { action: 'success' };
    }
  } catch (error) {
    return { action: 'error', message: errorLines(error).join('; ') };
  }
}

function toValidationEntry(issue: Issue): ValidationEntry {
  return { error_type: issue.severity, message: formatIssue(issue), node_id: issue.node ?? null, connection_id: null };
}

function errorLines(error: unknown): string[] {
  if (error instanceof PipelineError) return error.issues.filter((i) => i.severity === 'error').map(formatIssue);
  return [error instanceof Error ? error.message : String(error)];
}
