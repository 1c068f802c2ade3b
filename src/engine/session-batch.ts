/**
 * Batches of live changes, checked before anything changes: the candidate pipeline a batch would
 * make, or every reason it cannot apply.
 */
import type { BatchOperation } from './control';
import type { Issue } from './errors';
import { PipelineError } from './errors';
import type { Pipeline } from './format';

/** The pipeline `model` would become after `operations`, or every reason they cannot apply. */
export function candidatePipeline(model: Pipeline, operations: readonly BatchOperation[]): Pipeline | PipelineError {
  const next = structuredClone(model);
  const issues: Issue[] = [];
  for (const op of operations) {
    switch (op.action) {
      case 'addnode':
        if (op.node_id in next.nodes) {
          issues.push({
            code: 'duplicate_id',
            severity: 'error',
            node: op.node_id,
            message: `a node '${op.node_id}' already exists`,
            hint: 'choose another id, or remove the old node first in the same batch',
          });
        } else next.nodes[op.node_id] = { kind: op.kind, ...(op.params !== undefined ? { params: op.params } : {}) };
        break;
      case 'removenode':
        if (!(op.node_id in next.nodes)) {
          issues.push({
            code: 'unknown_node',
            severity: 'error',
            node: op.node_id,
            message: `no node '${op.node_id}' to remove`,
            hint: 'see getpipeline for node ids',
          });
        }
        delete next.nodes[op.node_id];
        next.connections = next.connections.filter((c) => c.from_node !== op.node_id && c.to_node !== op.node_id);
        break;
      case 'connect': {
        const { action: _a, ...c } = op;
        next.connections.push(c);
        break;
      }
      case 'disconnect': {
        const before = next.connections.length;
        next.connections = next.connections.filter((c) => !sameEdge(c, op));
        if (next.connections.length === before) {
          issues.push({
            code: 'unknown_pin',
            severity: 'error',
            node: op.to_node,
            pin: op.to_pin,
            message: `no edge ${op.from_node}.${op.from_pin} -> ${op.to_node}.${op.to_pin} to disconnect`,
            hint: 'see getpipeline for current connections',
          });
        }
        break;
      }
    }
  }
  return issues.length > 0 ? new PipelineError(issues) : next;
}

function sameEdge(a: { from_node: string; from_pin: string; to_node: string; to_pin: string }, b: typeof a): boolean {
  return a.from_node === b.from_node && a.from_pin === b.from_pin && a.to_node === b.to_node && a.to_pin === b.to_pin;
}
