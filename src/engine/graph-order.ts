/**
 * Compile pass 4: an order that puts every node after its upstream (Kahn's algorithm), and the
 * cycles that keep some nodes out of it. Linear in nodes plus edges.
 */
import type { Connection } from './format';
import type { CompileContext, EdgeIndex } from './graph-types';

/** Kahn's algorithm; nodes left over are reported as cycles (one list per loop found). */
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
  const order = ids.filter((id) => indegree.get(id) === 0);
  for (let head = 0; head < order.length; head++) {
    for (const to of next.get(order[head] as string) ?? []) {
      const d = (indegree.get(to) ?? 0) - 1;
      indegree.set(to, d);
      if (d === 0) order.push(to);
    }
  }
  const placed = new Set(order);
  const left = ids.filter((id) => !placed.has(id));
  const cycles = findCycles(left, next);
  // Cycle members still run (when allowed); give them a stable place after their upstream.
  return { order: [...order, ...left], cycles };
}

/** Walks forward inside the leftover nodes until a node repeats; each such loop is one cycle. */
function findCycles(left: readonly string[], next: ReadonlyMap<string, readonly string[]>): string[][] {
  const set = new Set(left);
  const seen = new Set<string>();
  const cycles: string[][] = [];
  for (const start of left) {
    if (seen.has(start)) continue;
    const path: string[] = [];
    const onPath = new Map<string, number>();
    let current: string | undefined = start;
    while (current !== undefined && !onPath.has(current) && !seen.has(current)) {
      onPath.set(current, path.length);
      path.push(current);
      current = (next.get(current) ?? []).find((to) => set.has(to));
    }
    if (current !== undefined && onPath.has(current)) cycles.push(path.slice(onPath.get(current)));
    for (const id of path) seen.add(id);
  }
  return cycles;
}

/** Pass 4: orders the nodes and reports cycles that no node may close. */
export function orderNodes(ctx: CompileContext, edges: EdgeIndex): string[] {
  const order = topologicalOrder(Object.keys(ctx.pipeline.nodes), edges.valid);
  for (const cycle of order.cycles) {
    if (cycle.some((id) => ctx.nodes.get(id)?.definition.mayCloseCycle)) continue;
    const shown = cycle.length > 8 ? [...cycle.slice(0, 8), '…'] : [...cycle, cycle[0]];
    ctx.issues.push({
      code: 'cycle',
      severity: 'error',
      node: cycle[0] ?? '',
      message: `circular dependency: ${shown.join(' -> ')}`,
      hint: 'remove one of these needs; only nodes that declare it (bidirectional transports) may close a cycle',
      ...ctx.at(cycle[0] ?? ''),
    });
  }
  return order.order;
}
