/**
 * The studio shell: a searchable node palette from the registry, and a pipeline editor whose
 * text the engine Worker validates as you type (every problem with its line and column).
 */
import type { Remote } from 'comlink';
import { createMemo, createResource, createSignal, For, onCleanup, Show } from 'solid-js';
import type { Issue, NodeDescription } from '../engine';
import EXAMPLE from '../../samples/sentences-to-ndjson.yaml?raw';
import type { EngineApi } from './engine.worker';

/** How long typing must pause before the pipeline is validated again. */
const VALIDATE_DEBOUNCE_MS = 150;

function pinText(pin: { name: string; cardinality: unknown }): string {
  const c = pin.cardinality;
  return typeof c === 'object' && c !== null && 'dynamic' in c
    ? `${String((c as { dynamic: string }).dynamic)}_N`
    : pin.name;
}

function Palette(props: { nodes: NodeDescription[] }) {
  const [query, setQuery] = createSignal('');
  const [selected, setSelected] = createSignal<string>();
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
    return [...byGroup.entries()];
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
                  classList={{ open: selected() === node.kind }}
                  onClick={() => setSelected(selected() === node.kind ? undefined : node.kind)}
                >
                  <span class="kind">{node.kind}</span>
                  <span class="desc">{node.description}</span>
                  <Show when={selected() === node.kind}>
                    <span class="pins">
                      in: {node.inputs.map(pinText).join(', ') || '—'} · out:{' '}
                      {node.outputs.map(pinText).join(', ') || '—'}
                      <Show when={node.live_params.length > 0}> · live: {node.live_params.join(', ')}</Show>
                    </span>
                  </Show>
                </button>
              )}
            </For>
          </section>
        )}
      </For>
    </aside>
  );
}

function IssueList(props: { issues: Issue[] }) {
  return (
    <ul class="issues" aria-label="Problems">
      <For each={props.issues}>
        {(issue) => (
          <li classList={{ [issue.severity]: true }}>
            <span class="where">
              {issue.position ? `${issue.position.line}:${issue.position.col}` : ''}
              {issue.node ? ` ${issue.node}${issue.pin ? `:${issue.pin}` : ''}` : ''}
            </span>
            <span class="msg">{issue.message}</span>
            <Show when={issue.hint}>
              <span class="hint">{issue.hint}</span>
            </Show>
          </li>
        )}
      </For>
    </ul>
  );
}

/** The studio. */
export function App(props: { engine: Remote<EngineApi> }) {
  const [nodes] = createResource(() => props.engine.describeNodes());
  const [text, setText] = createSignal(EXAMPLE);
  const [debounced, setDebounced] = createSignal(EXAMPLE);
  let timer: ReturnType<typeof setTimeout> | undefined;
  onCleanup(() => clearTimeout(timer));
  const onEdit = (value: string): void => {
    setText(value);
    clearTimeout(timer);
    timer = setTimeout(() => setDebounced(value), VALIDATE_DEBOUNCE_MS);
  };
  const [result] = createResource(debounced, (t) => props.engine.validate(t));
  const errors = () => result()?.issues.filter((i) => i.severity === 'error').length ?? 0;
  const warnings = () => result()?.issues.filter((i) => i.severity === 'warning').length ?? 0;

  return (
    <div class="app">
      <header>
        <h1>Weft</h1>
        <span class="muted">media pipeline studio</span>
        <span class="spacer" />
        <span class="muted">{nodes()?.length ?? 0} node kinds</span>
      </header>
      <main>
        <Show when={nodes()} fallback={<aside class="palette muted">Starting the engine…</aside>}>
          {(list) => <Palette nodes={list()} />}
        </Show>
        <section class="editor">
          <div class="toolbar">
            <strong>Pipeline</strong>
            <span class="spacer" />
            <Show when={result()}>
              <span class="status" classList={{ ok: errors() === 0, bad: errors() > 0 }} role="status">
                {errors() === 0
                  ? `valid · ${result()?.nodes.length ?? 0} nodes`
                  : `${errors()} error${errors() === 1 ? '' : 's'}`}
                {warnings() > 0 ? ` · ${warnings()} warning${warnings() === 1 ? '' : 's'}` : ''}
              </span>
            </Show>
          </div>
          <textarea
            spellcheck={false}
            aria-label="Pipeline YAML"
            value={text()}
            onInput={(e) => onEdit(e.currentTarget.value)}
          />
          <IssueList issues={result()?.issues ?? []} />
        </section>
      </main>
    </div>
  );
}
