/**
 * The studio: palette, graph editor, inspector and YAML view kept in sync, runs in the tab with
 * preview and monitor, the Convert view, share links and "Run on server". This file lays the
 * parts out and wires them: the document (`document.ts`), editing commands (`commands.ts`), runs
 * (`run-control.ts`), files and links (`files.ts`) and shortcuts (`shortcuts.ts`) live apart.
 */
import type { Remote } from 'comlink';
import { createMemo, createResource, createSignal, lazy, onMount, Show } from 'solid-js';
import type { NodeDescription } from '../engine';
import * as commands from './commands';
import { ConvertView } from './ConvertView';
import { createDocument } from './document';
import type { EngineApi } from './engine.worker';
import { downloadYaml, initialText, SAMPLES, sampleName, shareLink } from './files';
import { GraphEditor } from './GraphEditor';
import { HelpDialog } from './HelpDialog';
import { ModelsDialog } from './ModelsDialog';
import { Inspector } from './Inspector';
import type { EditorEdge } from './model';
import { autoLayout, fromYaml, toYaml } from './model';
import { Monitor, Preview } from './Panels';
import { Palette } from './Palette';
import { createRunControl } from './run-control';
import { RunBar } from './RunBar';
import { SceneEditor } from './SceneEditor';
import { bindShortcuts } from './shortcuts';
import type { StudioView } from './Toolbar';
import { Toolbar } from './Toolbar';
import { YamlPanel } from './YamlPanel';

/** The Stream view loads the MoQ libraries: only when it is opened. */
const StreamView = lazy(async () => ({ default: (await import('./StreamView')).StreamView }));

/** The kind whose selection opens the scene editor. */
const COMPOSITOR_KIND = 'video::compositor';

/** Validation issue codes that make a new connection refused outright. */
const CONNECT_REFUSALS = new Set(['type_mismatch', 'cycle', 'cardinality', 'unknown_pin']);

export function App(props: { engine: Remote<EngineApi> }) {
  const engine = props.engine;
  const [descriptions] = createResource(() => engine.describeNodes());
  const byKind = createMemo(() => new Map((descriptions() ?? []).map((d) => [d.kind, d])));
  const describe = (kind: string): NodeDescription | undefined => byKind().get(kind);
  const doc = createDocument(engine);
  const { history, model } = doc;
  const [view, setView] = createSignal<StudioView>('editor');
  const [selection, setSelection] = createSignal<Set<string>>(new Set());
  const [selectedEdge, setSelectedEdge] = createSignal<EditorEdge>();
  const [message, setMessage] = createSignal<{ text: string; kind: 'info' | 'error' }>();
  const [help, setHelp] = createSignal(false);
  const [modelsOpen, setModelsOpen] = createSignal(false);
  const [offer, setOffer] = createSignal<{ name: string; text: string }>();
  const [shareUrl, setShareUrl] = createSignal('');
  let fitView: (() => void) | undefined;
  let clipboardFallback = '';

  const say = (text: string, kind: 'info' | 'error' = 'info') => setMessage({ text, kind });
  const focused = () => [...selection()][0];
  const run = createRunControl(engine, doc, say, focused);
  const fitSoon = () => requestAnimationFrame(() => fitView?.());

  onMount(() => {
    void initialText().then((text) => {
      try {
        doc.open(text);
        history.record(history.model()); // the loaded pipeline is the start, not an undo step
      } catch (e) {
        say(`Could not open the pipeline: ${e instanceof Error ? e.message : String(e)}`, 'error');
      }
      fitSoon();
    });
  });

  // Editing.
  const addNode = (kind: string) => {
    const { model: next, id } = commands.addNode(model(), kind);
    history.commit(next);
    setSelection(new Set([id]));
    say(`Added ${id} (${kind})`);
  };
  const connect = async (edge: EditorEdge) => {
    const added = commands.connect(model(), edge);
    if ('refused' in added) return say(`Refused: ${added.refused}`, 'error');
    const result = await engine.validate(toYaml(added.model));
    const problem = result.issues.find(
      (i) => i.severity === 'error' && CONNECT_REFUSALS.has(i.code) && (i.node === edge.to || i.node === edge.from),
    );
    if (problem) return say(`Refused: ${problem.message}`, 'error');
    history.commit(added.model);
    say(`Connected ${edge.from}.${edge.fromPin} → ${edge.to}.${edge.toPin}`);
  };
  const removeSelection = () => {
    if (selection().size === 0 && !selectedEdge()) return;
    history.commit(commands.removeSelection(model(), selection(), selectedEdge()));
    setSelection(new Set<string>());
    setSelectedEdge(undefined);
  };
  const copySelection = async () => {
    const ids = selection();
    if (ids.size === 0) return;
    const text = commands.copySelection(model(), ids);
    clipboardFallback = text;
    await navigator.clipboard.writeText(text).catch(() => undefined); // the in-page copy still works
    say(`Copied ${ids.size} node${ids.size > 1 ? 's' : ''} as YAML`);
  };
  const paste = async () => {
    const text = (await navigator.clipboard.readText().catch(() => '')) || clipboardFallback;
    if (!text) return;
    let pasted;
    try {
      pasted = commands.paste(model(), text);
    } catch {
      return say('The clipboard holds no pipeline YAML.', 'error');
    }
    history.commit(pasted.model);
    setSelection(new Set(pasted.ids));
    say(`Pasted ${pasted.ids.length} node${pasted.ids.length > 1 ? 's' : ''}`);
  };
  const setParam = (node: string, param: string, value: unknown) => {
    history.commit(commands.setParam(model(), node, param, value), `param:${node}.${param}`);
    const d = describe(model().nodes.find((n) => n.id === node)?.kind ?? '');
    if (d?.live_params.includes(param)) run.tune(node, param, value);
  };

  // Files and links.
  const openText = (text: string, what: string) => {
    doc.open(text);
    fitSoon();
    say(`Opened ${what}`);
  };
  const openFile = async (file: File) => {
    if (!/\.(ya?ml|json)$/i.test(file.name)) {
      // A media file: Weft's outputs carry the pipeline that made them.
      const stored = await engine.pipelineOf(file);
      if (stored) setOffer({ name: file.name, text: stored });
      else say(`${file.name} carries no Weft pipeline.`, 'error');
      return;
    }
    const text = await file.text();
    try {
      openText(text, file.name);
    } catch (e) {
      say(`${file.name} is not a pipeline: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`, 'error');
    }
  };
  const copyLink = async () => {
    const url = await shareLink(doc.yaml());
    history.record(model());
    setShareUrl(url);
    await navigator.clipboard.writeText(url).catch(() => undefined); // still shown below
    say(`Link copied (${url.length} characters); the pipeline travels in the fragment, never to a server.`);
  };

  bindShortcuts({
    undo: () => history.undo(),
    redo: () => history.redo(),
    copy: () => void copySelection(),
    paste: () => void paste(),
    run: () => void run.runInTab(),
    remove: removeSelection,
    fit: () => fitView?.(),
    toggleHelp: () => setHelp((h) => !h),
    closeHelp: () => setHelp(false),
  });

  const selectedNode = () => model().nodes.find((n) => n.id === focused());

  return (
    <div class="app">
      <Toolbar
        view={view()}
        onView={setView}
        canUndo={history.canUndo()}
        canRedo={history.canRedo()}
        actions={{
          loadSample: (path) => {
            const text = SAMPLES[path];
            if (text) openText(text, `sample ${sampleName(path)}`);
          },
          openFile: (file) => void openFile(file),
          newDocument: () => history.commit({ mode: 'oneshot', nodes: [], edges: [] }),
          save: () => downloadYaml(doc.yaml(), model().name),
          copyLink: () => void copyLink(),
          undo: () => history.undo(),
          redo: () => history.redo(),
          layout: () => history.commit(autoLayout(model())),
          fit: () => fitView?.(),
          toggleHelp: () => setHelp((h) => !h),
          toggleModels: () => setModelsOpen((m) => !m),
        }}
      />
      <Show when={view() === 'convert'}>
        <ConvertView engine={engine} />
      </Show>
      <Show when={view() === 'stream'}>
        <StreamView model={model()} run={run} say={say} message={message()} />
      </Show>
      <main classList={{ hidden: view() !== 'editor' }}>
        <Show when={descriptions()} fallback={<aside class="palette muted">Starting the engine…</aside>}>
          {(list) => <Palette nodes={list()} onAdd={addNode} />}
        </Show>
        <section
          class="canvas"
          onDragOver={(e) => e.preventDefault()}
          onDrop={(e) => {
            e.preventDefault();
            const file = e.dataTransfer?.files[0];
            if (file) void openFile(file);
          }}
        >
          <Show when={offer()}>
            {(o) => (
              <div class="offer" role="dialog" aria-label="Open the pipeline of this file">
                {o().name} was made by Weft.
                <button
                  class="primary"
                  onClick={() => {
                    const { name, text } = o();
                    setOffer(undefined);
                    history.commit(fromYaml(text));
                    fitSoon();
                    say(`Opened the pipeline of ${name}`);
                  }}
                >
                  Open its pipeline
                </button>
                <button onClick={() => setOffer(undefined)}>Dismiss</button>
              </div>
            )}
          </Show>
          <GraphEditor
            model={model()}
            describe={describe}
            selection={selection()}
            selectedEdge={selectedEdge()}
            status={run.status()}
            issues={doc.issuesByNode()}
            onSelect={(ids, edge) => {
              setSelection(ids);
              setSelectedEdge(edge);
              run.clearPreview();
            }}
            onPreview={(m) => history.preview(m)}
            onRecord={(before) => history.record(before)}
            onConnect={(edge) => void connect(edge)}
            ref={(api) => (fitView = () => api.fit())}
          />
          <Show when={message()}>
            {(m) => (
              <div class="toast" classList={{ error: m().kind === 'error' }} role="status">
                {m().text}
              </div>
            )}
          </Show>
          <RunBar doc={doc} run={run} />
        </section>
        <aside class="side">
          <Show when={selectedNode()?.kind === COMPOSITOR_KIND ? selectedNode()?.id : undefined} keyed>
            {(id) => (
              // Keyed by the node id, not the node: a param edit (a drag) must not remake the editor.
              <SceneEditor
                node={model().nodes.find((n) => n.id === id) ?? { id, kind: COMPOSITOR_KIND, params: {}, x: 0, y: 0 }}
                pins={model()
                  .edges.filter((e) => e.to === id)
                  .map((e) => e.toPin)}
                frame={run.frame()}
                running={run.running()}
                onChange={(param, value) => setParam(id, param, value)}
                onStill={() => void run.still(id)}
              />
            )}
          </Show>
          <Show
            when={selectedNode()}
            fallback={<p class="muted small pad">Select a node to edit its params. Press ? for shortcuts.</p>}
          >
            {(node) => (
              <Inspector
                node={node()}
                description={describe(node().kind)}
                issues={doc.issues().filter((i) => i.node === node().id)}
                running={run.running()}
                onChange={(param, value) => setParam(node().id, param, value)}
              />
            )}
          </Show>
          <Preview node={focused()} frame={run.frame()} level={run.level()} />
          <Monitor series={run.series()} telemetry={run.telemetry()} />
          <YamlPanel doc={doc} />
        </aside>
      </main>
      <Show when={help()}>
        <HelpDialog onClose={() => setHelp(false)} />
      </Show>
      <Show when={modelsOpen()}>
        <ModelsDialog onClose={() => setModelsOpen(false)} say={say} />
      </Show>
      <input type="hidden" data-share-url value={shareUrl()} />
    </div>
  );
}
