/**
 * The editor's graph model and its two-way mapping to pipeline YAML: nodes with positions, and
 * connections by pin. YAML is written in StreamKit's `nodes:` + `needs` form; reading goes through
 * the engine's own parser, so the editor accepts every form the engine does.
 */
import { stringify } from 'yaml';
import type { BatchOperation, PipelineMode } from '../engine';
import { parsePipeline } from '../engine';
import { decodeText, encodeText } from '../nodes/media/text-code';

/** A node on the canvas. */
export interface EditorNode {
  id: string;
  kind: string;
  params: Record<string, unknown>;
  x: number;
  y: number;
}

/** An edge from an output pin to an input pin. */
export interface EditorEdge {
  from: string;
  fromPin: string;
  to: string;
  toPin: string;
}

/** Everything the editor edits (and undo/redo restores). */
export interface GraphModel {
  name?: string;
  mode: PipelineMode;
  nodes: EditorNode[];
  edges: EditorEdge[];
}

/** Horizontal and vertical spacing of auto-layout, in canvas units. */
export const LAYOUT_DX = 250;
export const LAYOUT_DY = 130;

/** An id for a new node of `kind`, unique in `model` (`encoder`, `encoder_2`, …). */
export function newNodeId(model: GraphModel, kind: string): string {
  const base = (kind.split('::').at(-1) ?? 'node').replace(/[^A-Za-z0-9_]/g, '_');
  const taken = new Set(model.nodes.map((n) => n.id));
  if (!taken.has(base)) return base;
  for (let i = 2; ; i++) if (!taken.has(`${base}_${i}`)) return `${base}_${i}`;
}

/** The YAML text of a model (positions are not part of the pipeline). */
export function toYaml(model: GraphModel): string {
  const nodes: Record<string, Record<string, unknown>> = {};
  for (const node of model.nodes) {
    const entry: Record<string, unknown> = { kind: node.kind };
    if (Object.keys(node.params).length > 0) entry.params = node.params;
    const incoming = model.edges.filter((e) => e.to === node.id);
    const ref = (e: EditorEdge) => (e.fromPin === 'out' ? e.from : `${e.from}.${e.fromPin}`);
    if (incoming.length === 1 && incoming[0]?.toPin === 'in') entry.needs = ref(incoming[0]);
    else if (incoming.length > 0) entry.needs = Object.fromEntries(incoming.map((e) => [e.toPin, ref(e)]));
    nodes[node.id] = entry;
  }
  return stringify({ ...(model.name ? { name: model.name } : {}), mode: model.mode, nodes }, { lineWidth: 120 });
}

/** Places nodes in columns by depth (sources left), keeping the order within a column. */
export function autoLayout(model: GraphModel): GraphModel {
  const depth = new Map<string, number>();
  const visit = (id: string, seen: Set<string>): number => {
    const known = depth.get(id);
    if (known !== undefined) return known;
    if (seen.has(id)) return 0; // a cycle: stop here
    seen.add(id);
    const parents = model.edges.filter((e) => e.to === id).map((e) => visit(e.from, seen) + 1);
    const d = Math.max(0, ...parents);
    depth.set(id, d);
    return d;
  };
  for (const n of model.nodes) visit(n.id, new Set());
  const rows = new Map<number, number>();
  const nodes = model.nodes.map((n) => {
    const column = depth.get(n.id) ?? 0;
    const row = rows.get(column) ?? 0;
    rows.set(column, row + 1);
    return { ...n, x: 40 + column * LAYOUT_DX, y: 40 + row * LAYOUT_DY };
  });
  return { ...model, nodes };
}

/**
 * Reads pipeline text into a model, laid out automatically. Throws the engine's `PipelineError`
 * when the text is not a pipeline. `previous` keeps the positions of nodes that still exist (same
 * id and kind) when the text is an edit of it; a text that is mostly new nodes is a new graph, laid
 * out afresh, so old positions and new ones do not land on each other.
 */
export function fromYaml(text: string, previous?: GraphModel): GraphModel {
  const { pipeline } = parsePipeline(text);
  const model: GraphModel = {
    ...(pipeline.name ? { name: pipeline.name } : {}),
    mode: pipeline.mode,
    nodes: Object.entries(pipeline.nodes).map(([id, n]) => ({
      id,
      kind: n.kind,
      params: (typeof n.params === 'object' && n.params !== null ? n.params : {}) as Record<string, unknown>,
      x: 0,
      y: 0,
    })),
    edges: pipeline.connections.map((c) => ({
      from: c.from_node,
      fromPin: c.from_pin,
      to: c.to_node,
      toPin: c.to_pin,
    })),
  };
  const laid = autoLayout(model);
  if (!previous) return laid;
  const at = new Map(previous.nodes.map((n) => [n.id, n]));
  const same = (n: EditorNode) => at.get(n.id)?.kind === n.kind;
  if (laid.nodes.filter(same).length * 2 < laid.nodes.length) return laid;
  return {
    ...laid,
    nodes: laid.nodes.map((n) => {
      const old = same(n) ? at.get(n.id) : undefined;
      return old ? { ...n, x: old.x, y: old.y } : n;
    }),
  };
}

/** Encodes pipeline text for a URL fragment. */
export const encodeShare = encodeText;
/** Decodes what `encodeShare` made. */
export const decodeShare = decodeText;

/** The engine batch that turns the running graph `before` into `after` (hot reconfigure of a dynamic run). */
export function diffBatch(before: GraphModel, after: GraphModel): BatchOperation[] {
  const key = (e: EditorEdge) => `${e.from}.${e.fromPin}>${e.to}.${e.toPin}`;
  const beforeNodes = new Map(before.nodes.map((n) => [n.id, n]));
  const afterNodes = new Map(after.nodes.map((n) => [n.id, n]));
  const beforeEdges = new Map(before.edges.map((e) => [key(e), e]));
  const afterEdges = new Map(after.edges.map((e) => [key(e), e]));
  // A node whose kind changed is replaced.
  const replaced = new Set(
    [...afterNodes.values()]
      .filter((n) => beforeNodes.get(n.id)?.kind !== undefined && beforeNodes.get(n.id)?.kind !== n.kind)
      .map((n) => n.id),
  );
  const ref = (e: EditorEdge) => ({ from_node: e.from, from_pin: e.fromPin, to_node: e.to, to_pin: e.toPin });
  const ops: BatchOperation[] = [];
  for (const [k, e] of beforeEdges) {
    if (
      !afterEdges.has(k) &&
      afterNodes.has(e.from) &&
      afterNodes.has(e.to) &&
      !replaced.has(e.from) &&
      !replaced.has(e.to)
    ) {
      ops.push({ action: 'disconnect', ...ref(e) });
    }
  }
  for (const id of beforeNodes.keys())
    if (!afterNodes.has(id) || replaced.has(id)) ops.push({ action: 'removenode', node_id: id });
  for (const n of afterNodes.values()) {
    if (!beforeNodes.has(n.id) || replaced.has(n.id))
      ops.push({ action: 'addnode', node_id: n.id, kind: n.kind, params: n.params });
  }
  for (const [k, e] of afterEdges) {
    if (!beforeEdges.has(k) || replaced.has(e.from) || replaced.has(e.to)) ops.push({ action: 'connect', ...ref(e) });
  }
  return ops;
}
