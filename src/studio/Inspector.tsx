/**
 * The inspector: a form generated from the selected node's param schema (JSON Schema from zod),
 * with the right input per type, inline validation messages, and live params marked.
 */
import { For, Show } from 'solid-js';
import type { Issue, NodeDescription } from '../engine';
import type { EditorNode } from './model';

interface PropSchema {
  type?: string | string[];
  enum?: unknown[];
  anyOf?: PropSchema[];
  minimum?: number;
  maximum?: number;
  default?: unknown;
  description?: string;
}

/** The schema of a property with `null` alternatives removed, and whether null is allowed. */
function unwrap(schema: PropSchema): { schema: PropSchema; nullable: boolean } {
  const alternatives = schema.anyOf?.filter((s) => s.type !== 'null');
  if (schema.anyOf && alternatives?.length === 1 && alternatives[0]) {
    return { schema: { ...alternatives[0], default: schema.default }, nullable: true };
  }
  return { schema, nullable: false };
}

/** A param value as form text (objects are edited as JSON elsewhere). */
function text(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : '';
}

export interface InspectorProps {
  node: EditorNode;
  description: NodeDescription | undefined;
  issues: Issue[];
  running: boolean;
  onChange(param: string, value: unknown): void;
}

export function Inspector(props: InspectorProps) {
  const properties = () =>
    Object.entries(
      (props.description?.param_schema as { properties?: Record<string, PropSchema> } | undefined)?.properties ?? {},
    );
  const live = (name: string) => props.description?.live_params.includes(name) ?? false;
  const problems = (name: string) => props.issues.filter((i) => i.param === name || i.param?.startsWith(`${name}.`));
  const general = () => props.issues.filter((i) => !i.param);

  const field = (name: string, raw: PropSchema) => {
    const { schema, nullable } = unwrap(raw);
    const value = () => (name in props.node.params ? props.node.params[name] : schema.default);
    const disabled = () => props.running && !live(name);
    const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
    const id = `param-${name}`;
    if (schema.enum) {
      return (
        <select
          id={id}
          disabled={disabled()}
          value={text(value())}
          onChange={(e) => props.onChange(name, e.currentTarget.value)}
        >
          <For each={schema.enum}>{(option) => <option value={String(option)}>{String(option)}</option>}</For>
        </select>
      );
    }
    if (type === 'boolean') {
      return (
        <input
          id={id}
          type="checkbox"
          disabled={disabled()}
          checked={value() === true}
          onChange={(e) => props.onChange(name, e.currentTarget.checked)}
        />
      );
    }
    if (type === 'number' || type === 'integer') {
      return (
        <input
          id={id}
          type="number"
          disabled={disabled()}
          min={schema.minimum}
          max={schema.maximum}
          step={type === 'integer' ? 1 : 'any'}
          value={value() === null || value() === undefined ? '' : String(value())}
          placeholder={nullable ? 'auto' : ''}
          onChange={(e) => {
            const text = e.currentTarget.value.trim();
            props.onChange(name, text === '' ? (nullable ? null : undefined) : Number(text));
          }}
        />
      );
    }
    if (type === 'string') {
      const isColor = /colou?r|background/.test(name);
      return (
        <span class="row">
          <Show when={isColor}>
            <input
              type="color"
              disabled={disabled()}
              value={text(value()) || '#000000'}
              onInput={(e) => props.onChange(name, e.currentTarget.value)}
            />
          </Show>
          <input
            id={id}
            type="text"
            disabled={disabled()}
            value={value() === null || value() === undefined ? '' : String(value())}
            placeholder={nullable ? 'auto' : ''}
            onChange={(e) => {
              const text = e.currentTarget.value;
              props.onChange(name, text === '' && nullable ? null : text === '' ? undefined : text);
            }}
          />
        </span>
      );
    }
    return (
      <textarea
        id={id}
        rows="3"
        disabled={disabled()}
        value={value() === undefined ? '' : JSON.stringify(value())}
        onChange={(e) => {
          const text = e.currentTarget.value.trim();
          try {
            props.onChange(name, text === '' ? undefined : (JSON.parse(text) as unknown));
          } catch {
            props.onChange(name, text); // shown as a validation problem on this field
          }
        }}
      />
    );
  };

  return (
    <section class="inspector" aria-label="Inspector">
      <h2>
        {props.node.id} <span class="muted">{props.node.kind}</span>
      </h2>
      <p class="muted small">{props.description?.description ?? 'Unknown node kind.'}</p>
      <For each={general()}>{(issue) => <p class="error small">{issue.message}</p>}</For>
      <Show when={properties().length > 0} fallback={<p class="muted small">No params.</p>}>
        <form class="params" onSubmit={(e) => e.preventDefault()}>
          <For each={properties()}>
            {([name, schema]) => (
              <label for={`param-${name}`} classList={{ bad: problems(name).length > 0 }}>
                <span class="name">
                  {name}
                  <Show when={live(name)}>
                    <span class="tag">live</span>
                  </Show>
                </span>
                {field(name, schema)}
                <For each={problems(name)}>{(issue) => <span class="error small">{issue.message}</span>}</For>
              </label>
            )}
          </For>
        </form>
      </Show>
    </section>
  );
}
