/**
 * The open pipeline: the graph model with its undo history, its YAML (both ways: the graph
 * writes it, typing in it is applied to the graph after a pause), and the validation of every
 * change by the engine.
 */
import type { Remote } from 'comlink';
import { createEffect, createMemo, createResource, createSignal, on, onCleanup } from 'solid-js';
import type { Issue } from '../engine';
import type { EngineApi } from './engine.worker';
import { createHistory } from './history';
import { fromYaml, toYaml } from './model';

/** How long YAML typing must pause before it is applied to the graph. */
const YAML_DEBOUNCE_MS = 300;

/** The document's state and its YAML side. Call inside a Solid owner (a component). */
export function createDocument(engine: Remote<EngineApi>) {
  const history = createHistory({ mode: 'oneshot', nodes: [], edges: [] });
  const model = history.model;
  const [yamlText, setYamlText] = createSignal('');
  const [yamlIssues, setYamlIssues] = createSignal<Issue[]>([]);
  let yamlEditing = false;

  // Graph → YAML, and validation of every change.
  const yaml = createMemo(() => toYaml(model()));
  const [validation] = createResource(yaml, (text) => engine.validate(text));
  createEffect(
    on(yaml, (text) => {
      if (!yamlEditing) setYamlText(text);
    }),
  );
  const issues = () => [...(validation()?.issues ?? []), ...yamlIssues()];
  const issuesByNode = createMemo(() => {
    const out: Record<string, string[]> = {};
    for (const i of issues()) if (i.node && i.severity === 'error') (out[i.node] ??= []).push(i.message);
    return out;
  });
  const errorCount = () => issues().filter((i) => i.severity === 'error').length;

  // YAML → graph (debounced).
  let yamlTimer: ReturnType<typeof setTimeout> | undefined;
  let pendingText: string | undefined;
  onCleanup(() => clearTimeout(yamlTimer));
  const applyYaml = async (text: string) => {
    const r = await engine.validate(text);
    const syntax = r.issues.filter((i) => i.code === 'syntax' || i.code === 'schema');
    setYamlIssues(syntax);
    if (syntax.length > 0) return;
    try {
      history.commit(fromYaml(text, model()), 'yaml');
    } catch (e) {
      setYamlIssues([{ code: 'syntax', severity: 'error', message: e instanceof Error ? e.message : String(e) }]);
    }
  };
  const typeYaml = (text: string) => {
    yamlEditing = true;
    setYamlText(text);
    clearTimeout(yamlTimer);
    pendingText = text;
    yamlTimer = setTimeout(() => {
      pendingText = undefined;
      void applyYaml(text);
    }, YAML_DEBOUNCE_MS);
  };
  /** Applies YAML typed but not applied yet (the debounce still waiting), so a run gets what the user sees. */
  const settle = async () => {
    if (pendingText === undefined) return;
    const text = pendingText;
    pendingText = undefined;
    clearTimeout(yamlTimer);
    await applyYaml(text);
  };

  return {
    history,
    model,
    yaml,
    validation,
    yamlText,
    issues,
    issuesByNode,
    errorCount,
    /** The user typed in the YAML view. */
    typeYaml,
    settle,
    /** Whether the YAML view has the focus (the graph then does not overwrite what is typed). */
    setYamlEditing: (editing: boolean) => {
      yamlEditing = editing;
    },
    /** Opens pipeline text as the document (one undo step); throws when it is not a pipeline. */
    open: (text: string) => history.commit(fromYaml(text)),
  };
}

/** The document API the app's parts share. */
export type StudioDocument = ReturnType<typeof createDocument>;
