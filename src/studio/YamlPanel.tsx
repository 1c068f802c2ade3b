/** The YAML view of the document, its validity and the list of problems (line:col, node:pin). */
import { For } from 'solid-js';
import type { StudioDocument } from './document';

export function YamlPanel(props: { doc: StudioDocument }) {
  const doc = props.doc;
  return (
    <section class="yaml">
      <h3>
        YAML{' '}
        <span class="status" classList={{ ok: doc.errorCount() === 0, bad: doc.errorCount() > 0 }}>
          {doc.errorCount() === 0
            ? `valid · ${doc.model().nodes.length} nodes`
            : `${doc.errorCount()} error${doc.errorCount() === 1 ? '' : 's'}`}
        </span>
      </h3>
      <textarea
        spellcheck={false}
        aria-label="Pipeline YAML"
        value={doc.yamlText()}
        onFocus={() => doc.setYamlEditing(true)}
        onBlur={() => doc.setYamlEditing(false)}
        onInput={(e) => doc.typeYaml(e.currentTarget.value)}
      />
      <ul class="issues" aria-label="Problems">
        <For each={doc.issues()}>
          {(issue) => (
            <li classList={{ [issue.severity]: true }}>
              <span class="where">
                {issue.position ? `${issue.position.line}:${issue.position.col}` : ''}
                {issue.node ? ` ${issue.node}${issue.pin ? `:${issue.pin}` : ''}` : ''}
              </span>{' '}
              {issue.message}
            </li>
          )}
        </For>
      </ul>
    </section>
  );
}
