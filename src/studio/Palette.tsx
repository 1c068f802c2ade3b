/**
 * The node palette: every registered kind, searchable, grouped by domain, with descriptions and
 * pins. Clicking a kind adds it to the graph.
 */
import { createMemo, createSignal, For } from 'solid-js';
import type { NodeDescription } from '../engine';

export function Palette(props: { nodes: NodeDescription[]; onAdd(kind: string): void }) {
  const [query, setQuery] = createSignal('');
  const groups = createMemo(() => {
    const q = query().trim().toLowerCase();
    const hits = props.nodes.filter(
      (n) => !q || n.kind.toLowerCase().includes(q) || n.description.toLowerCase().includes(q),
    );
    const byGroup = new Map<string, NodeDescription[]>();
    for (const n of hits) {
      const group = n.categories[0] ?? n.kind.split('::')[0] ?? 'other';
      byGroup.set(group, [...(byGroup.get(group) ?? []), n]);
    }
    return [...byGroup.entries()].sort(([a], [b]) => a.localeCompare(b));
  });
  return (
    <aside class="palette" aria-label="Node palette">
      <input
        class="search"
        type="search"
        placeholder="Search nodes…"
        aria-label="Search nodes"
        value={query()}
        onInput={(e) => setQuery(e.currentTarget.value)}
      />
      <For each={groups()} fallback={<p class="muted">No node matches “{query()}”.</p>}>
        {([group, nodes]) => (
          <section>
            <h3>{group}</h3>
            <For each={nodes}>
              {(node) => (
                <button
                  class="node-item"
                  data-kind={node.kind}
                  title={node.description}
                  onClick={() => props.onAdd(node.kind)}
                >
                  <span class="kind">{node.kind}</span>
                  <span class="desc">{node.description}</span>
                </button>
              )}
            </For>
          </section>
        )}
      </For>
    </aside>
  );
}
