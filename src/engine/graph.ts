/**
 * Compiling a pipeline into a graph: resolve kinds, parse params, wire pins, negotiate types,
 * and report every problem at once — each naming the node, pin or param, with a hint.
 */
import type { z } from 'zod';
import type { Issue } from './errors';
import { PipelineError } from './errors';
import type { Connection, Pipeline, PipelineMode, SourceMap } from './format';
import { NO_SOURCE, parsePipeline } from './format';
import type { AnyNodeDefinition, InputPinSpec, OutputPinSpec } from './node';
import { resolvePins } from './node';
import type { PacketType } from './packets';
import { describeType, isCompatible, narrowType } from './packets';
import type { NodeRegistry } from './registry';
import { nearestNames } from './registry';

/** A node of a compiled graph. */
export interface GraphNode {
  id: string;
  kind: string;
  definition: AnyNodeDefinition;
  /** Params after validation, defaults applied. */
  params: unknown;
  /** Declared pins for these params (dynamic families as templates). */
  inputSpecs: readonly InputPinSpec[];
  outputSpecs: readonly OutputPinSpec[];
  /** Resolved upstream type per connected input pin. */
  inputTypes: Map<string, PacketType>;
  /** Resolved type per output pin. */
  outputTypes: Map<string, PacketType>;
}

/** A validated pipeline, ready to run. */
export interface Graph {
  mode: PipelineMode;
  nodes: Map<string, GraphNode>;
  connections: Connection[];
  /** Node ids, upstream before downstream (cycle members in declaration order). */
  order: string[];
}

/** Finds the declared pin that a concrete pin name refers to (exact name, or a dynamic family member). */
export function findPin<S extends { name: string; cardinality: unknown }>(
  specs: readonly S[],
  name: string,
): S | undefined {
  const exact = specs.find((s) => s.name === name);
  if (exact) return exact;
  return specs.find((s) => {
    const c = s.cardinality;
    if (typeof c !== 'object' || c === null || !('dynamic' in c)) return false;
    const prefix = (c as { dynamic: string }).dynamic;
    return name === prefix || name.startsWith(`${prefix}_`);
  });
}

function pinNames(specs: readonly { name: string; cardinality: unknown }[]): string {
  return specs
    .map((s) => {
      const c = s.cardinality;
      return typeof c === 'object' && c !== null && 'dynamic' in c ? `${(c as { dynamic: string }).dynamic}_N` : s.name;
    })
    .join(', ');
}

/** Formats a zod issue's expectation for a hint. */
function expectation(issue: z.core.$ZodIssue, known: readonly string[]): string {
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${issue.expected}`;
    case 'too_small':
      return `expected ${issue.inclusive === false ? '>' : '≥'} ${String(issue.minimum)}`;
    case 'too_big':
      return `expected ${issue.inclusive === false ? '<' : '≤'} ${String(issue.maximum)}`;
    case 'invalid_value':
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'unrecognized_keys':
      return known.length > 0 ? `known params: ${known.join(', ')}` : 'this node takes no params';
    default:
      return issue.message;
  }
}

function knownParams(definition: AnyNodeDefinition): string[] {
  // An object schema, or a pipe whose input is one (params normalised by a transform).
  const schema = definition.params as unknown as { shape?: object; in?: { shape?: object } };
  const shape = schema.shape ?? schema.in?.shape;
  return shape ? Object.keys(shape) : [];
}

/** Parses a node's params with its schema, turning failures into issues. */
export function parseParams(
  nodeId: string,
  definition: AnyNodeDefinition,
  raw: unknown,
  source: SourceMap = NO_SOURCE,
): { ok: true; params: unknown } | { ok: false; issues: Issue[] } {
  const result = definition.params.safeParse(raw ?? {});
  if (result.success) return { ok: true, params: result.data };
  const known = knownParams(definition);
  const issues = result.error.issues.map((issue): Issue => {
    const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
    const keys = issue.code === 'unrecognized_keys' ? issue.keys : [];
    const param = [...path, ...keys.slice(0, 1)].join('.');
    const position = source.positionOf([...source.nodePath(nodeId), 'params', ...path, ...keys.slice(0, 1)]);
    let hint = expectation(issue, known);
    if (keys.length > 0) {
      const near = nearestNames(keys[0] ?? '', known, 1)[0];
      if (near) hint = `did you mean '${near}'? ${hint}`;
    }
    return {
      code: 'invalid_param',
      severity: 'error',
      node: nodeId,
      ...(param ? { param } : {}),
      message:
        issue.code === 'unrecognized_keys'
          ? `unknown param${keys.length > 1 ? 's' : ''} ${keys.map((k) => `'${k}'`).join(', ')} for ${definition.kind}`
          : `param '${param || '(params)'}' of ${definition.kind}: ${issue.message}`,
      hint,
      ...(position ? { position } : {}),
    };
  });
  return { ok: false, issues };
}

/** Options for `compileGraph`. */
export interface CompileOptions {
  source?: SourceMap;
}

/** The result of compiling: the graph (when there are no errors) and every issue found. */
export interface CompileResult {
  graph: Graph | undefined;
  issues: Issue[];
}

function primaryInput(node: GraphNode): PacketType | undefined {
  return node.inputTypes.get('in') ?? node.inputTypes.values().next().value;
}

/**
 * Compiles a pipeline: every problem is collected into `issues` (errors and warnings).
 * `graph` is set only when there is no error.
 */
export function compileGraph(pipeline: Pipeline, registry: NodeRegistry, options: CompileOptions = {}): CompileResult {
  const source = options.source ?? NO_SOURCE;
  const issues: Issue[] = [];
  const nodes = new Map<string, GraphNode>();
  const broken = new Set<string>();
  const at = (nodeId: string, ...rest: (string | number)[]) => {
    const position = source.positionOf([...source.nodePath(nodeId), ...rest]);
    return position ? { position } : {};
  };
  const mode = pipeline.mode;

  const ids = Object.keys(pipeline.nodes);
  if (ids.length === 0) {
    issues.push({
      code: 'empty',
      severity: 'error',
      message: 'the pipeline has no nodes',
      hint: 'add at least one node',
    });
  }

  // 1. Kinds, modes and params.
  for (const [id, entry] of Object.entries(pipeline.nodes)) {
    const definition = registry.get(entry.kind);
    if (!definition) {
      const near = registry.suggest(entry.kind);
      issues.push({
        code: 'unknown_kind',
        severity: 'error',
        node: id,
        message: `unknown node kind '${entry.kind}'`,
        hint: near.length > 0 ? `did you mean ${near.map((n) => `'${n}'`).join(', ')}?` : 'see `weft nodes`',
        ...at(id, 'kind'),
      });
      broken.add(id);
      continue;
    }
    const modes = definition.modes ?? 'both';
    if (modes !== 'both' && modes !== mode) {
      issues.push({
        code: 'mode',
        severity: 'error',
        node: id,
        message: `${definition.kind} runs only in ${modes} pipelines, and this pipeline is ${mode}`,
        hint: modes === 'oneshot' ? "set 'mode: oneshot'" : "set 'mode: dynamic' (or leave mode out)",
        ...at(id, 'kind'),
      });
    }
    const parsed = parseParams(id, definition, entry.params, source);
    if (!parsed.ok) {
      issues.push(...parsed.issues);
      broken.add(id);
      continue;
    }
    nodes.set(id, {
      id,
      kind: definition.kind,
      definition,
      params: parsed.params,
      inputSpecs: resolvePins(definition.inputs, parsed.params),
      outputSpecs: resolvePins(definition.outputs, parsed.params),
      inputTypes: new Map(),
      outputTypes: new Map(),
    });
  }

  // 2. Edges: endpoints, pins and cardinality.
  const valid: Connection[] = [];
  const inputEdges = new Map<string, Connection[]>();
  const outputEdges = new Map<string, Connection[]>();
  for (const c of pipeline.connections) {
    let ok = true;
    for (const [end, id] of [
      ['from', c.from_node],
      ['to', c.to_node],
    ] as const) {
      if (!(id in pipeline.nodes)) {
        const near = nearestNames(
          id,
          ids.filter((n) => n !== c.to_node && n !== c.from_node),
          2,
        );
        issues.push({
          code: 'unknown_node',
          severity: 'error',
          node: end === 'to' ? c.from_node : c.to_node,
          message: `${end === 'from' ? `'${c.to_node}' needs` : `'${c.from_node}' feeds`} '${id}', which is not a node of this pipeline`,
          hint:
            near.length > 0 ? `did you mean ${near.map((n) => `'${n}'`).join(' or ')}?` : 'check the node ids in needs',
          ...at(c.to_node, 'needs'),
        });
        ok = false;
      }
    }
    if (!ok) continue;
    const from = nodes.get(c.from_node);
    const to = nodes.get(c.to_node);
    if (from && !findPin(from.outputSpecs, c.from_pin)) {
      issues.push({
        code: 'unknown_pin',
        severity: 'error',
        node: c.from_node,
        pin: c.from_pin,
        message: `${from.kind} has no output pin '${c.from_pin}'`,
        hint:
          from.outputSpecs.length > 0
            ? `output pins: ${pinNames(from.outputSpecs)}`
            : `${from.kind} has no outputs (it is a sink)`,
        ...at(c.to_node, 'needs'),
      });
      ok = false;
    }
    if (to && !findPin(to.inputSpecs, c.to_pin)) {
      issues.push({
        code: 'unknown_pin',
        severity: 'error',
        node: c.to_node,
        pin: c.to_pin,
        message: `${to.kind} has no input pin '${c.to_pin}'`,
        hint:
          to.inputSpecs.length > 0
            ? `input pins: ${pinNames(to.inputSpecs)}`
            : `${to.kind} has no inputs (it is a source)`,
        ...at(c.to_node, 'needs'),
      });
      ok = false;
    }
    if (!ok || !from || !to) continue;
    valid.push(c);
    const inKey = `${c.to_node}\0${c.to_pin}`;
    const outKey = `${c.from_node}\0${c.from_pin}`;
    inputEdges.set(inKey, [...(inputEdges.get(inKey) ?? []), c]);
    outputEdges.set(outKey, [...(outputEdges.get(outKey) ?? []), c]);
  }
  for (const edges of inputEdges.values()) {
    const first = edges[0];
    if (!first || edges.length < 2) continue;
    issues.push({
      code: 'cardinality',
      severity: 'error',
      node: first.to_node,
      pin: first.to_pin,
      message: `input pin '${first.to_pin}' takes one edge but ${edges.length} are connected (${edges.map((e) => e.from_node).join(', ')})`,
      hint: 'put an audio::mixer or another node with several inputs in between, or use a list in needs (pins in_0, in_1, …)',
      ...at(first.to_node, 'needs'),
    });
  }
  for (const edges of outputEdges.values()) {
    const first = edges[0];
    if (!first || edges.length < 2) continue;
    const spec = findPin(nodes.get(first.from_node)?.outputSpecs ?? [], first.from_pin);
    if (spec?.cardinality === 'one') {
      issues.push({
        code: 'cardinality',
        severity: 'error',
        node: first.from_node,
        pin: first.from_pin,
        message: `output pin '${first.from_pin}' feeds one consumer but ${edges.length} are connected`,
        hint: 'add a core::passthrough (broadcast output) to fan out',
        ...at(first.from_node),
      });
    }
  }

  // 3. Missing inputs (an edge that was declared but is broken is already reported).
  const declared = new Set(pipeline.connections.map((c) => `${c.to_node}\0${c.to_pin}`));
  for (const node of nodes.values()) {
    for (const spec of node.inputSpecs) {
      const required = spec.required ?? spec.cardinality === 'one';
      if (!required || declared.has(`${node.id}\0${spec.name}`)) continue;
      issues.push({
        code: 'missing_input',
        severity: mode === 'oneshot' ? 'error' : 'warning',
        node: node.id,
        pin: spec.name,
        message: `input pin '${spec.name}' of ${node.kind} is not connected`,
        hint: `add 'needs: <node id>' to '${node.id}'`,
        ...at(node.id),
      });
    }
  }

  // 4. Cycles.
  const order = topologicalOrder(ids, valid);
  for (const cycle of order.cycles) {
    const closers = cycle.filter((id) => nodes.get(id)?.definition.mayCloseCycle);
    if (closers.length > 0) continue;
    issues.push({
      code: 'cycle',
      severity: 'error',
      node: cycle[0] ?? '',
      message: `circular dependency: ${[...cycle, cycle[0]].join(' -> ')}`,
      hint: 'remove one of these needs; only nodes that declare it (bidirectional transports) may close a cycle',
      ...at(cycle[0] ?? ''),
    });
  }

  // 5. Negotiation, upstream before downstream.
  for (const id of order.order) {
    const node = nodes.get(id);
    if (!node) continue;
    let ok = true;
    for (const c of valid.filter((e) => e.to_node === id)) {
      const upstream = nodes.get(c.from_node);
      const produced = upstream?.outputTypes.get(c.from_pin);
      const spec = findPin(node.inputSpecs, c.to_pin);
      if (!produced || !spec) continue; // upstream broken or not yet resolved (cycle)
      const accepted = spec.accepts.find((a) => isCompatible(produced, a));
      if (!accepted) {
        issues.push({
          code: 'type_mismatch',
          severity: 'error',
          node: id,
          pin: c.to_pin,
          message: `'${c.from_node}.${c.from_pin}' produces ${describeType(produced)}, but '${id}.${c.to_pin}' accepts ${spec.accepts.map(describeType).join(' | ')}`,
          hint: 'insert a node that converts between these types (decoder, encoder, resampler, pixel_convert)',
          ...at(id, 'needs'),
        });
        ok = false;
        continue;
      }
      node.inputTypes.set(c.to_pin, narrowType(produced, accepted));
    }
    if (!ok) {
      broken.add(id);
      continue;
    }
    try {
      node.outputTypes = negotiateOutputs(node, valid, nodes);
    } catch (error) {
      issues.push({
        code: 'type_mismatch',
        severity: 'error',
        node: id,
        message: `${node.kind} cannot work with its inputs: ${error instanceof Error ? error.message : String(error)}`,
        hint: 'check what is connected to this node',
      });
      broken.add(id);
    }
  }

  const hasErrors = issues.some((i) => i.severity === 'error');
  return {
    graph: hasErrors ? undefined : { mode, nodes, connections: valid, order: order.order },
    issues,
  };
}

function negotiateOutputs(
  node: GraphNode,
  edges: readonly Connection[],
  nodes: Map<string, GraphNode>,
): Map<string, PacketType> {
  const proposals = new Map<string, PacketType[]>();
  for (const c of edges) {
    if (c.from_node !== node.id) continue;
    const spec = findPin(nodes.get(c.to_node)?.inputSpecs ?? [], c.to_pin);
    if (spec) proposals.set(c.from_pin, [...(proposals.get(c.from_pin) ?? []), ...spec.accepts]);
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
  for (const c of edges) {
    if (c.from_node !== node.id || out.has(c.from_pin)) continue;
    const spec = findPin(node.outputSpecs, c.from_pin);
    const type = spec ? out.get(spec.name) : undefined;
    if (type) out.set(c.from_pin, type);
  }
  return out;
}

/** Kahn's algorithm; nodes left over are reported as cycles (one list per strongly connected group). */
export function topologicalOrder(
  ids: readonly string[],
  edges: readonly Connection[],
): { order: string[]; cycles: string[][] } {
  const indegree = new Map(ids.map((id) => [id, 0]));
  const next = new Map<string, string[]>(ids.map((id) => [id, []]));
  for (const e of edges) {
    if (!indegree.has(e.to_node) || !next.has(e.from_node)) continue;
    indegree.set(e.to_node, (indegree.get(e.to_node) ?? 0) + 1);
    next.get(e.from_node)?.push(e.to_node);
  }
  const queue = ids.filter((id) => indegree.get(id) === 0);
  const order: string[] = [];
  while (queue.length > 0) {
    const id = queue.shift() as string;
    order.push(id);
    for (const to of next.get(id) ?? []) {
      const d = (indegree.get(to) ?? 0) - 1;
      indegree.set(to, d);
      if (d === 0) queue.push(to);
    }
  }
  const left = ids.filter((id) => !order.includes(id));
  const cycles = findCycles(left, edges);
  // Cycle members still run (when allowed); give them a stable place after their upstream.
  return { order: [...order, ...left], cycles };
}

function findCycles(left: readonly string[], edges: readonly Connection[]): string[][] {
  const set = new Set(left);
  const seen = new Set<string>();
  const cycles: string[][] = [];
  for (const start of left) {
    if (seen.has(start)) continue;
    // Walk forward inside the leftover set until a node repeats; that loop is a cycle.
    const path: string[] = [];
    let current: string | undefined = start;
    while (current && !path.includes(current)) {
      path.push(current);
      const from: string = current;
      current = edges.find((e) => e.from_node === from && set.has(e.to_node))?.to_node;
    }
    if (current) {
      const cycle = path.slice(path.indexOf(current));
      if (!cycle.some((id) => seen.has(id))) cycles.push(cycle);
    }
    for (const id of path) seen.add(id);
  }
  return cycles;
}

/** Compiles a pipeline or throws a `PipelineError` with every error found. */
export function buildGraph(pipeline: Pipeline, registry: NodeRegistry, options: CompileOptions = {}): Graph {
  const { graph, issues } = compileGraph(pipeline, registry, options);
  if (!graph) throw new PipelineError(issues);
  return graph;
}

/** What checking pipeline text found: the pipeline when it parsed, every problem, and the verdict. */
export interface TextCheck {
  pipeline: Pipeline | undefined;
  issues: Issue[];
  /** No problem of severity `error`. */
  valid: boolean;
}

/** Parses and compiles pipeline text (YAML or JSON), collecting every problem with its position. */
export function checkPipelineText(text: string, registry: NodeRegistry): TextCheck {
  try {
    const { pipeline, source } = parsePipeline(text);
    const { issues } = compileGraph(pipeline, registry, { source });
    return { pipeline, issues, valid: !issues.some((i) => i.severity === 'error') };
  } catch (error) {
    if (!(error instanceof PipelineError)) throw error;
    return { pipeline: undefined, issues: [...error.issues], valid: false };
  }
}
