/**
 * Compile passes 2 and 3: edges (both ends exist, pins exist, cardinality holds) and required
 * inputs left unconnected. Edges are indexed by node once, so the passes stay linear.
 */
import { clip } from './errors';
import type { Connection } from './format';
import type { CompileContext, EdgeIndex } from './graph-types';
import { MAX_SUGGESTIONS } from './graph-nodes';
import { findPin, pinNames } from './graph-pins';
import { nearestNames } from './registry';

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** Pass 2: checks every edge and indexes the valid ones. */
export function checkEdges(ctx: CompileContext): EdgeIndex {
  const { pipeline, nodes, issues } = ctx;
  const index: EdgeIndex = { valid: [], into: new Map(), outOf: new Map() };
  const inputEdges = new Map<string, Connection[]>();
  const outputEdges = new Map<string, Connection[]>();
  let ids: string[] | undefined;
  for (const c of pipeline.connections) {
    let ok = true;
    for (const [end, id] of [
      ['from', c.from_node],
      ['to', c.to_node],
    ] as const) {
      if (Object.hasOwn(pipeline.nodes, id)) continue;
      ids ??= Object.keys(pipeline.nodes);
      const near =
        ctx.suggestions++ < MAX_SUGGESTIONS
          ? nearestNames(
              id,
              ids.filter((n) => n !== c.to_node && n !== c.from_node),
              2,
            )
          : [];
      issues.push({
        code: 'unknown_node',
        severity: 'error',
        node: end === 'to' ? c.from_node : c.to_node,
        message: `${end === 'from' ? `'${clip(c.to_node)}' needs` : `'${clip(c.from_node)}' feeds`} '${clip(id)}', which is not a node of this pipeline`,
        hint:
          near.length > 0 ? `did you mean ${near.map((n) => `'${n}'`).join(' or ')}?` : 'check the node ids in needs',
        ...ctx.at(c.to_node, 'needs'),
      });
      ok = false;
    }
    if (!ok) continue;
    const from = nodes.get(c.from_node);
    const to = nodes.get(c.to_node);
    if (from && !findPin(from.outputSpecs, c.from_pin)) {
      issues.push({
        code: 'unknown_pin',
        severity: 'error',
        node: c.from_node,
        pin: clip(c.from_pin),
        message: `${from.kind} has no output pin '${clip(c.from_pin)}'`,
        hint:
          from.outputSpecs.length > 0
            ? `output pins: ${pinNames(from.outputSpecs)}`
            : `${from.kind} has no outputs (it is a sink)`,
        ...ctx.at(c.to_node, 'needs'),
      });
      ok = false;
    }
    if (to && !findPin(to.inputSpecs, c.to_pin)) {
      issues.push({
        code: 'unknown_pin',
        severity: 'error',
        node: c.to_node,
        pin: clip(c.to_pin),
        message: `${to.kind} has no input pin '${clip(c.to_pin)}'`,
        hint:
          to.inputSpecs.length > 0
            ? `input pins: ${pinNames(to.inputSpecs)}`
            : `${to.kind} has no inputs (it is a source)`,
        ...ctx.at(c.to_node, 'needs'),
      });
      ok = false;
    }
    if (!ok || !from || !to) continue;
    index.valid.push(c);
    push(index.into, c.to_node, c);
    push(index.outOf, c.from_node, c);
    push(inputEdges, `${c.to_node}\0${c.to_pin}`, c);
    push(outputEdges, `${c.from_node}\0${c.from_pin}`, c);
  }
  checkCardinality(ctx, inputEdges, outputEdges);
  return index;
}

function checkCardinality(
  ctx: CompileContext,
  inputEdges: Map<string, Connection[]>,
  outputEdges: Map<string, Connection[]>,
): void {
  for (const edges of inputEdges.values()) {
    const first = edges[0];
    if (!first || edges.length < 2) continue;
    const sources = edges.slice(0, 5).map((e) => e.from_node);
    ctx.issues.push({
      code: 'cardinality',
      severity: 'error',
      node: first.to_node,
      pin: first.to_pin,
      message: `input pin '${first.to_pin}' takes one edge but ${edges.length} are connected (${sources.join(', ')}${edges.length > 5 ? ', …' : ''})`,
      hint: 'put an audio::mixer or another node with several inputs in between, or use a list in needs (pins in_0, in_1, …)',
      ...ctx.at(first.to_node, 'needs'),
    });
  }
  for (const edges of outputEdges.values()) {
    const first = edges[0];
    if (!first || edges.length < 2) continue;
    const spec = findPin(ctx.nodes.get(first.from_node)?.outputSpecs ?? [], first.from_pin);
    if (spec?.cardinality === 'one') {
      ctx.issues.push({
        code: 'cardinality',
        severity: 'error',
        node: first.from_node,
        pin: first.from_pin,
        message: `output pin '${first.from_pin}' feeds one consumer but ${edges.length} are connected`,
        hint: 'add a core::passthrough (broadcast output) to fan out',
        ...ctx.at(first.from_node),
      });
    }
  }
}

/** Pass 3: required inputs with no edge (an edge that was declared but is broken is already reported). */
export function checkMissingInputs(ctx: CompileContext): void {
  const declared = new Set(ctx.pipeline.connections.map((c) => `${c.to_node}\0${c.to_pin}`));
  for (const node of ctx.nodes.values()) {
    for (const spec of node.inputSpecs) {
      const required = spec.required ?? spec.cardinality === 'one';
      if (!required || declared.has(`${node.id}\0${spec.name}`)) continue;
      ctx.issues.push({
        code: 'missing_input',
        severity: ctx.mode === 'oneshot' ? 'error' : 'warning',
        node: node.id,
        pin: spec.name,
        message: `input pin '${spec.name}' of ${node.kind} is not connected`,
        hint: `add 'needs: <node id>' to '${node.id}'`,
        ...ctx.at(node.id),
      });
    }
  }
}
