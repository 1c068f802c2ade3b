/**
 * Compile pass 5: type negotiation, upstream before downstream. Each node sees the resolved types
 * on its inputs and what its consumers accept (downstream proposes), and decides its output types
 * (upstream decides).
 */
import type { CompileContext, EdgeIndex, GraphNode } from './graph-types';
import { findPin } from './graph-pins';
import type { PacketType } from './packets';
import { describeType, isCompatible, narrowType } from './packets';

function primaryInput(node: GraphNode): PacketType | undefined {
  return node.inputTypes.get('in') ?? node.inputTypes.values().next().value;
}

function negotiateOutputs(node: GraphNode, edges: EdgeIndex, ctx: CompileContext): Map<string, PacketType> {
  const outgoing = edges.outOf.get(node.id) ?? [];
  const proposals = new Map<string, PacketType[]>();
  for (const c of outgoing) {
    const spec = findPin(ctx.nodes.get(c.to_node)?.inputSpecs ?? [], c.to_pin);
    if (!spec) continue;
    const list = proposals.get(c.from_pin);
    if (list) list.push(...spec.accepts);
    else proposals.set(c.from_pin, [...spec.accepts]);
  }
  if (node.definition.negotiate) {
    return node.definition.negotiate({ params: node.params, inputs: node.inputTypes, proposals });
  }
  const out = new Map<string, PacketType>();
  for (const spec of node.outputSpecs) {
    const type = spec.produces.kind === 'passthrough' ? (primaryInput(node) ?? { kind: 'any' }) : spec.produces;
    out.set(spec.name, type);
  }
  // Concrete members of dynamic output families take the family's type.
  for (const c of outgoing) {
    if (out.has(c.from_pin)) continue;
    const spec = findPin(node.outputSpecs, c.from_pin);
    const type = spec ? out.get(spec.name) : undefined;
    if (type) out.set(c.from_pin, type);
  }
  return out;
}

/** Pass 5: resolves input and output types in `order`. */
export function negotiateTypes(ctx: CompileContext, edges: EdgeIndex, order: readonly string[]): void {
  for (const id of order) {
    const node = ctx.nodes.get(id);
    if (!node) continue;
    let ok = true;
    for (const c of edges.into.get(id) ?? []) {
      const producer = ctx.nodes.get(c.from_node);
      const produced = producer?.outputTypes.get(c.from_pin);
      const spec = findPin(node.inputSpecs, c.to_pin);
      if (!produced || !spec) continue; // upstream broken or not yet resolved (cycle)
      // A pin the producer creates while running gets its type then, and is checked then.
      if (findPin(producer?.outputSpecs ?? [], c.from_pin)?.runtime) continue;
      const accepted = spec.accepts.find((a) => isCompatible(produced, a));
      if (!accepted) {
        ctx.issues.push({
          code: 'type_mismatch',
          severity: 'error',
          node: id,
          pin: c.to_pin,
          message: `'${c.from_node}.${c.from_pin}' produces ${describeType(produced)}, but '${id}.${c.to_pin}' accepts ${spec.accepts.map(describeType).join(' | ')}`,
          hint: 'insert a node that converts between these types (decoder, encoder, resampler, pixel_convert)',
          ...ctx.at(id, 'needs'),
        });
        ok = false;
        continue;
      }
      node.inputTypes.set(c.to_pin, narrowType(produced, accepted));
    }
    if (!ok) {
      ctx.broken.add(id);
      continue;
    }
    try {
      node.outputTypes = negotiateOutputs(node, edges, ctx);
    } catch (error) {
      ctx.issues.push({
        code: 'type_mismatch',
        severity: 'error',
        node: id,
        message: `${node.kind} cannot work with its inputs: ${error instanceof Error ? error.message : String(error)}`,
        hint: 'check what is connected to this node',
      });
      ctx.broken.add(id);
    }
  }
}
