/**
 * Editing commands as pure functions of the graph model: add, delete, copy, paste, set a param,
 * and the checks a new connection must pass before it is even validated. No signals, no DOM:
 * the app applies what they return, and tests can call them directly.
 */
import type { EditorEdge, GraphModel } from './model';
import { fromYaml, LAYOUT_DX, newNodeId, toYaml } from './model';

/** Where pasted nodes land relative to their copies, in px. */
const PASTE_OFFSET = { x: 40, y: 240 };
/** Where the first node of an empty graph goes. */
const FIRST_NODE_X = 40;
const NEW_NODE_Y = 60;

/** Adds a node of `kind` to the right of the others. */
export function addNode(m: GraphModel, kind: string): { model: GraphModel; id: string } {
  const id = newNodeId(m, kind);
  const x = m.nodes.length ? Math.max(...m.nodes.map((n) => n.x)) + LAYOUT_DX : FIRST_NODE_X;
  return { model: { ...m, nodes: [...m.nodes, { id, kind, params: {}, x, y: NEW_NODE_Y }] }, id };
}

function sameEdge(a: EditorEdge, b: EditorEdge): boolean {
  return a.from === b.from && a.fromPin === b.fromPin && a.to === b.to && a.toPin === b.toPin;
}

/** Removes the selected nodes (with their edges) and the selected edge. */
export function removeSelection(m: GraphModel, ids: ReadonlySet<string>, edge: EditorEdge | undefined): GraphModel {
  return {
    ...m,
    nodes: m.nodes.filter((n) => !ids.has(n.id)),
    edges: m.edges.filter((e) => !ids.has(e.from) && !ids.has(e.to) && !(edge && sameEdge(e, edge))),
  };
}

/** The selected nodes and the edges between them, as pipeline YAML. */
export function copySelection(m: GraphModel, ids: ReadonlySet<string>): string {
  return toYaml({
    mode: m.mode,
    nodes: m.nodes.filter((n) => ids.has(n.id)),
    edges: m.edges.filter((e) => ids.has(e.from) && ids.has(e.to)),
  });
}

/**
 * Pastes pipeline YAML: ids that clash are renamed (edges follow), and the copies land offset
 * from their originals. Throws when the text is not a pipeline.
 */
export function paste(m: GraphModel, text: string): { model: GraphModel; ids: string[] } {
  const part = fromYaml(text);
  const rename = new Map<string, string>();
  let scratch: GraphModel = { ...m };
  for (const n of part.nodes) {
    const id = m.nodes.some((x) => x.id === n.id) || rename.has(n.id) ? newNodeId(scratch, n.kind) : n.id;
    rename.set(n.id, id);
    scratch = { ...scratch, nodes: [...scratch.nodes, { ...n, id }] };
  }
  const nodes = part.nodes.map((n) => ({
    ...n,
    id: rename.get(n.id) ?? n.id,
    x: n.x + PASTE_OFFSET.x,
    y: n.y + PASTE_OFFSET.y,
  }));
  const edges = part.edges.map((e) => ({ ...e, from: rename.get(e.from) ?? e.from, to: rename.get(e.to) ?? e.to }));
  return { model: { ...m, nodes: [...m.nodes, ...nodes], edges: [...m.edges, ...edges] }, ids: nodes.map((n) => n.id) };
}

/** Sets (or, with `undefined`, removes) one param of one node. */
export function setParam(m: GraphModel, node: string, param: string, value: unknown): GraphModel {
  return {
    ...m,
    nodes: m.nodes.map((n) => {
      if (n.id !== node) return n;
      const params = { ...n.params };
      if (value === undefined) delete params[param];
      else params[param] = value;
      return { ...n, params };
    }),
  };
}

/** The graph with `edge` added, or why it is refused before validation (a self-loop, a taken input). */
export function connect(m: GraphModel, edge: EditorEdge): { model: GraphModel } | { refused: string } {
  if (edge.from === edge.to) return { refused: 'a node cannot feed itself.' };
  const taken = m.edges.find((e) => e.to === edge.to && e.toPin === edge.toPin);
  if (taken) {
    return {
      refused: `${edge.to}.${edge.toPin} already takes ${taken.from}.${taken.fromPin}; delete that connection first.`,
    };
  }
  return { model: { ...m, edges: [...m.edges, edge] } };
}
