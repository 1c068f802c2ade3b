/**
 * Turns engine failures into the API's error shape `{code, message, node?, pin?, param?}`: the form
 * jobs, the CLI and the server report.
 */
import { CanceledError, NodeError, PipelineError, StalledError } from '../engine';
import type { JobErrorInfo } from './protocol';

/** The JSON error for any failure a run can end with. */
export function toErrorInfo(error: unknown): JobErrorInfo {
  if (error instanceof PipelineError) {
    const first = error.issues.find((i) => i.severity === 'error') ?? error.issues[0];
    return {
      code: 'invalid_pipeline',
      message: error.message,
      ...(first?.node ? { node: first.node } : {}),
      ...(first?.pin ? { pin: first.pin } : {}),
      ...(first?.param ? { param: first.param } : {}),
    };
  }
  if (error instanceof NodeError) {
    return {
      code: 'node_failed',
      message: error.message,
      node: error.nodeId,
      ...(error.pin ? { pin: error.pin } : {}),
    };
  }
  if (error instanceof StalledError) {
    const first = error.nodes[0];
    return { code: 'stalled', message: error.message, ...(first ? { node: first.node } : {}) };
  }
  if (error instanceof CanceledError) return { code: 'canceled', message: error.message };
  return { code: 'internal', message: error instanceof Error ? error.message : String(error) };
}
