/**
 * The node-graph canvas (our own SVG: no graph library fits Solid and stays small): pan, zoom,
 * drag nodes, connect pins by dragging, box-select, fit to view. Pins are coloured by packet type.
 */
import { createMemo, createSignal, For, Index, Show } from 'solid-js';
import type { NodeDescription, PacketType } from '../engine';
import { PACKET_KINDS } from '../engine';
import type { EditorEdge, EditorNode, GraphModel } from './model';

export const NODE_W = 210;
const HEADER = 30;
const ROW = 22;
const MIN_ZOOM = 0.2;
/** Approximate glyph widths of the header's id (12px bold) and kind (10px mono) texts. */
const ID_CHAR_PX = 7.4;
const KIND_CHAR_PX = 6.1;
/** Kind characters that fit beside an id of `idLength` characters. */
const kindRoom = (idLength: number) => Math.floor((NODE_W - 32 - idLength * ID_CHAR_PX) / KIND_CHAR_PX);

/** Keeps the end of a kind name (its most specific part) within `max` characters. */
function shorten(text: string, max: number): string {
  if (max < 4) return '';
  return text.length > max ? `…${text.slice(-(max - 1))}` : text;
}
const MAX_ZOOM = 2.5;

const COLORS = new Map(PACKET_KINDS.map((k) => [k.id, k.color]));
const colorOf = (t: PacketType | undefined) => COLORS.get(t?.kind ?? 'any') ?? '#9ca3af';

interface Pin {
  name: string;
  type: PacketType | undefined;
}

/** The pins a node shows: its declared ones, dynamic families as `prefix_N` (+ one spare), and any used. */
export function pinsOf(
  node: EditorNode,
  d: NodeDescription | undefined,
  edges: EditorEdge[],
): { inputs: Pin[]; outputs: Pin[] } {
  const expand = (
    specs: { name: string; cardinality: unknown }[],
    used: string[],
    typeOf: (s: { name: string }) => PacketType | undefined,
  ): Pin[] => {
    const out: Pin[] = [];
    for (const spec of specs) {
      const c = spec.cardinality;
      if (typeof c === 'object' && c !== null && 'dynamic' in c) {
        const prefix = String((c as { dynamic: string }).dynamic);
        const taken = used.filter((u) => u.startsWith(`${prefix}_`));
        const n = taken.length;
        for (const name of taken) out.push({ name, type: typeOf(spec) });
        out.push({ name: `${prefix}_${n}`, type: typeOf(spec) });
      } else out.push({ name: spec.name, type: typeOf(spec) });
    }
    for (const name of used) if (!out.some((p) => p.name === name)) out.push({ name, type: undefined });
    return out;
  };
  const usedIn = edges.filter((e) => e.to === node.id).map((e) => e.toPin);
  const usedOut = edges.filter((e) => e.from === node.id).map((e) => e.fromPin);
  return {
    inputs: expand(d?.inputs ?? [], usedIn, (s) => d?.inputs.find((i) => i.name === s.name)?.accepts_types[0]),
    outputs: expand(d?.outputs ?? [], usedOut, (s) => d?.outputs.find((o) => o.name === s.name)?.produces_type),
  };
}

export function nodeHeight(pins: { inputs: Pin[]; outputs: Pin[] }): number {
  return HEADER + Math.max(1, pins.inputs.length, pins.outputs.length) * ROW + 8;
}

type Drag =
  | {
      type: 'nodes';
      ids: string[];
      x: number;
      y: number;
      origin: Map<string, { x: number; y: number }>;
      before: GraphModel;
    }
  | { type: 'pan'; x: number; y: number; tx: number; ty: number }
  | { type: 'connect'; from: string; pin: string; x: number; y: number; px: number; py: number }
  | { type: 'box'; x0: number; y0: number; x1: number; y1: number };

export interface GraphEditorProps {
  model: GraphModel;
  describe: (kind: string) => NodeDescription | undefined;
  selection: ReadonlySet<string>;
  selectedEdge: EditorEdge | undefined;
  status: Record<string, { state: string; error?: string }>;
  issues: Record<string, string[]>;
  onSelect(ids: Set<string>, edge?: EditorEdge): void;
  onPreview(model: GraphModel): void;
  onRecord(before: GraphModel): void;
  onConnect(edge: EditorEdge): void;
  /** Exposes `fit()` to the toolbar. */
  ref?: (api: { fit: () => void }) => void;
}

export function GraphEditor(props: GraphEditorProps) {
  const [view, setView] = createSignal({ tx: 0, ty: 0, k: 1 });
  const [drag, setDrag] = createSignal<Drag>();
  let svg!: SVGSVGElement;

  const layout = createMemo(() => {
    const map = new Map<string, { node: EditorNode; pins: ReturnType<typeof pinsOf>; h: number }>();
    for (const node of props.model.nodes) {
      const pins = pinsOf(node, props.describe(node.kind), props.model.edges);
      map.set(node.id, { node, pins, h: nodeHeight(pins) });
    }
    return map;
  });

  const pinPoint = (id: string, pin: string, dir: 'in' | 'out'): { x: number; y: number } | undefined => {
    const l = layout().get(id);
    if (!l) return undefined;
    const list = dir === 'in' ? l.pins.inputs : l.pins.outputs;
    const i = Math.max(
      0,
      list.findIndex((p) => p.name === pin),
    );
    return { x: l.node.x + (dir === 'in' ? 0 : NODE_W), y: l.node.y + HEADER + ROW * i + ROW / 2 };
  };

  const toCanvas = (e: { clientX: number; clientY: number }) => {
    const r = svg.getBoundingClientRect();
    const v = view();
    return { x: (e.clientX - r.left - v.tx) / v.k, y: (e.clientY - r.top - v.ty) / v.k };
  };

  const fit = () => {
    const nodes = [...layout().values()];
    if (nodes.length === 0) return setView({ tx: 0, ty: 0, k: 1 });
    const minX = Math.min(...nodes.map((n) => n.node.x)) - 30;
    const minY = Math.min(...nodes.map((n) => n.node.y)) - 30;
    const maxX = Math.max(...nodes.map((n) => n.node.x + NODE_W)) + 30;
    const maxY = Math.max(...nodes.map((n) => n.node.y + n.h)) + 30;
    const r = svg.getBoundingClientRect();
    const k = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, Math.min(r.width / (maxX - minX), r.height / (maxY - minY), 1.2)));
    setView({ k, tx: (r.width - (maxX - minX) * k) / 2 - minX * k, ty: (r.height - (maxY - minY) * k) / 2 - minY * k });
  };
  props.ref?.({ fit });

  const path = (a: { x: number; y: number }, b: { x: number; y: number }) => {
    const dx = Math.max(40, Math.abs(b.x - a.x) / 2);
    return `M${a.x},${a.y} C${a.x + dx},${a.y} ${b.x - dx},${b.y} ${b.x},${b.y}`;
  };

  const onPointerMove = (e: PointerEvent) => {
    const d = drag();
    if (!d) return;
    const p = toCanvas(e);
    if (d.type === 'nodes') {
      const dx = p.x - d.x;
      const dy = p.y - d.y;
      props.onPreview({
        ...props.model,
        nodes: props.model.nodes.map((n) => {
          const o = d.origin.get(n.id);
          return o ? { ...n, x: Math.round(o.x + dx), y: Math.round(o.y + dy) } : n;
        }),
      });
    } else if (d.type === 'pan') {
      setView((v) => ({ ...v, tx: d.tx + e.clientX - d.x, ty: d.ty + e.clientY - d.y }));
    } else if (d.type === 'connect') {
      setDrag({ ...d, px: p.x, py: p.y });
    } else if (d.type === 'box') {
      setDrag({ ...d, x1: p.x, y1: p.y });
    }
  };

  const onPointerUp = (e: PointerEvent) => {
    const d = drag();
    setDrag(undefined);
    if (!d) return;
    if (d.type === 'nodes') props.onRecord(d.before);
    else if (d.type === 'connect') {
      const target = document.elementFromPoint(e.clientX, e.clientY)?.closest('[data-dir="in"]');
      const to = target?.getAttribute('data-node');
      const toPin = target?.getAttribute('data-pin');
      if (to && toPin) props.onConnect({ from: d.from, fromPin: d.pin, to, toPin });
    } else if (d.type === 'box') {
      const [x0, x1] = [Math.min(d.x0, d.x1), Math.max(d.x0, d.x1)];
      const [y0, y1] = [Math.min(d.y0, d.y1), Math.max(d.y0, d.y1)];
      const ids = [...layout().values()]
        .filter((l) => l.node.x >= x0 && l.node.x + NODE_W <= x1 && l.node.y >= y0 && l.node.y + l.h <= y1)
        .map((l) => l.node.id);
      props.onSelect(new Set(ids));
    }
  };

  const onBackgroundDown = (e: PointerEvent) => {
    if (e.button !== 0) return;
    svg.setPointerCapture(e.pointerId);
    if (e.shiftKey) {
      const p = toCanvas(e);
      setDrag({ type: 'box', x0: p.x, y0: p.y, x1: p.x, y1: p.y });
    } else {
      props.onSelect(new Set());
      const v = view();
      setDrag({ type: 'pan', x: e.clientX, y: e.clientY, tx: v.tx, ty: v.ty });
    }
  };

  const onNodeDown = (e: PointerEvent, id: string) => {
    if (e.button !== 0) return;
    e.stopPropagation();
    svg.setPointerCapture(e.pointerId);
    let ids = new Set(props.selection);
    if (e.shiftKey) ids.add(id);
    else if (!ids.has(id)) ids = new Set([id]);
    props.onSelect(ids);
    const p = toCanvas(e);
    const origin = new Map(props.model.nodes.filter((n) => ids.has(n.id)).map((n) => [n.id, { x: n.x, y: n.y }]));
    setDrag({ type: 'nodes', ids: [...ids], x: p.x, y: p.y, origin, before: props.model });
  };

  const onPinDown = (e: PointerEvent, id: string, pin: string) => {
    if (e.button !== 0) return;
    e.stopPropagation();
    svg.setPointerCapture(e.pointerId);
    const p = toCanvas(e);
    setDrag({ type: 'connect', from: id, pin, x: p.x, y: p.y, px: p.x, py: p.y });
  };

  const onWheel = (e: WheelEvent) => {
    e.preventDefault();
    const r = svg.getBoundingClientRect();
    const v = view();
    const k = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, v.k * Math.exp(-e.deltaY * 0.0015)));
    const mx = e.clientX - r.left;
    const my = e.clientY - r.top;
    setView({ k, tx: mx - ((mx - v.tx) / v.k) * k, ty: my - ((my - v.ty) / v.k) * k });
  };

  const sameEdge = (a: EditorEdge | undefined, b: EditorEdge) =>
    !!a && a.from === b.from && a.fromPin === b.fromPin && a.to === b.to && a.toPin === b.toPin;

  return (
    <svg
      ref={(el) => (svg = el)}
      class="graph"
      role="application"
      aria-label="Pipeline graph"
      onPointerDown={onBackgroundDown}
      onPointerMove={onPointerMove}
      onPointerUp={onPointerUp}
      onWheel={onWheel}
    >
      <defs>
        <pattern id="grid" width="24" height="24" patternUnits="userSpaceOnUse">
          <circle cx="1" cy="1" r="1" fill="#2a3142" />
        </pattern>
      </defs>
      <rect class="grid" width="100%" height="100%" fill="url(#grid)" />
      <g transform={`translate(${view().tx},${view().ty}) scale(${view().k})`}>
        <For each={props.model.edges.map((e) => `${e.from}\u0000${e.fromPin}\u0000${e.to}\u0000${e.toPin}`)}>
          {(key) => {
            const [from = '', fromPin = '', to = '', toPin = ''] = key.split('\u0000');
            const edge: EditorEdge = { from, fromPin, to, toPin };
            const a = () => pinPoint(edge.from, edge.fromPin, 'out');
            const b = () => pinPoint(edge.to, edge.toPin, 'in');
            const type = () =>
              layout()
                .get(edge.from)
                ?.pins.outputs.find((p) => p.name === edge.fromPin)?.type;
            return (
              <Show when={a() && b()}>
                <g
                  class="edge"
                  classList={{ selected: sameEdge(props.selectedEdge, edge) }}
                  data-edge={`${edge.from}.${edge.fromPin}->${edge.to}.${edge.toPin}`}
                  onPointerDown={(e) => {
                    e.stopPropagation();
                    props.onSelect(new Set(), edge);
                  }}
                >
                  <path class="hit" d={path(a() ?? { x: 0, y: 0 }, b() ?? { x: 0, y: 0 })} />
                  <path class="wire" d={path(a() ?? { x: 0, y: 0 }, b() ?? { x: 0, y: 0 })} stroke={colorOf(type())} />
                </g>
              </Show>
            );
          }}
        </For>
        <For each={props.model.nodes.map((n) => n.id)}>
          {(id) => {
            // Keyed by id, so a node's DOM survives edits; `l()` follows its latest layout.
            const l = () =>
              layout().get(id) ?? {
                node: { id, kind: '', params: {}, x: 0, y: 0 },
                pins: { inputs: [], outputs: [] },
                h: 0,
              };
            const s = () => props.status[l().node.id];
            const problems = () => props.issues[l().node.id] ?? [];
            return (
              <g
                class="node"
                classList={{
                  selected: props.selection.has(l().node.id),
                  invalid: problems().length > 0,
                  [`state-${s()?.state ?? 'idle'}`]: true,
                }}
                data-node={l().node.id}
                transform={`translate(${l().node.x},${l().node.y})`}
                onPointerDown={(e) => onNodeDown(e, l().node.id)}
              >
                <title>{[l().node.kind, ...problems(), s()?.error ?? ''].filter(Boolean).join('\n')}</title>
                <rect class="body" width={NODE_W} height={l().h} rx="8" />
                <rect class="head" width={NODE_W} height={HEADER} rx="8" />
                <text class="id" x="10" y="19">
                  {l().node.id}
                </text>
                <text class="kind" x={NODE_W - 10} y="19" text-anchor="end">
                  {shorten(l().node.kind, kindRoom(l().node.id.length))}
                </text>
                <Show when={s() || problems().length > 0}>
                  <circle class="badge" cx={NODE_W - 6} cy="6" r="6" />
                </Show>
                <Index each={l().pins.inputs}>
                  {(pin, i) => (
                    <g class="pin in" data-node={l().node.id} data-pin={pin().name} data-dir="in">
                      <circle cx="0" cy={HEADER + ROW * i + ROW / 2} r="6" fill={colorOf(pin().type)} />
                      <text x="12" y={HEADER + ROW * i + ROW / 2 + 4}>
                        {pin().name}
                      </text>
                    </g>
                  )}
                </Index>
                <Index each={l().pins.outputs}>
                  {(pin, i) => (
                    <g
                      class="pin out"
                      data-node={l().node.id}
                      data-pin={pin().name}
                      data-dir="out"
                      onPointerDown={(e) => onPinDown(e, l().node.id, pin().name)}
                    >
                      <circle cx={NODE_W} cy={HEADER + ROW * i + ROW / 2} r="6" fill={colorOf(pin().type)} />
                      <text x={NODE_W - 12} y={HEADER + ROW * i + ROW / 2 + 4} text-anchor="end">
                        {pin().name}
                      </text>
                    </g>
                  )}
                </Index>
              </g>
            );
          }}
        </For>
        <Show when={drag()?.type === 'connect' ? (drag() as Extract<Drag, { type: 'connect' }>) : undefined}>
          {(d) => (
            <path
              class="wire pending"
              d={path(pinPoint(d().from, d().pin, 'out') ?? { x: d().x, y: d().y }, { x: d().px, y: d().py })}
            />
          )}
        </Show>
        <Show when={drag()?.type === 'box' ? (drag() as Extract<Drag, { type: 'box' }>) : undefined}>
          {(d) => (
            <rect
              class="box"
              x={Math.min(d().x0, d().x1)}
              y={Math.min(d().y0, d().y1)}
              width={Math.abs(d().x1 - d().x0)}
              height={Math.abs(d().y1 - d().y0)}
            />
          )}
        </Show>
      </g>
    </svg>
  );
}
