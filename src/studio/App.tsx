/**
 * The studio: palette, graph editor, inspector and YAML view kept in sync, runs in the tab with
 * preview and monitor, the Convert view, share links and "Run on server".
 */
import type { Remote } from 'comlink';
import { proxy, transfer } from 'comlink';
import {
  batch,
  createEffect,
  createMemo,
  createResource,
  createSignal,
  For,
  on,
  onCleanup,
  onMount,
  Show,
} from 'solid-js';
import type { Issue, NodeDescription } from '../engine';
import type { Captures } from './capture';
import { openCaptures } from './capture';
import { ConvertView } from './ConvertView';
import type { EngineApi, RunEvent } from './engine.worker';
import { GraphEditor } from './GraphEditor';
import { createHistory } from './history';
import { Inspector } from './Inspector';
import type { EditorEdge, GraphModel } from './model';
import { autoLayout, decodeShare, diffBatch, encodeShare, fromYaml, LAYOUT_DX, newNodeId, toYaml } from './model';
import type { NodeSeries } from './Panels';
import { Monitor, Preview } from './Panels';
import { Palette } from './Palette';
import type { RemoteEvent } from './remote-session';
import { RemoteSession } from './remote-session';
import { seriesTracker } from './series';
import { runOnServer } from './server-run';

/** How long YAML typing must pause before it is applied to the graph. */
const YAML_DEBOUNCE_MS = 300;

const SAMPLES = import.meta.glob<string>('../../samples/**/*.yaml', { query: '?raw', import: 'default', eager: true });
const sampleName = (path: string) => path.replace('../../samples/', '').replace(/\.yaml$/, '');
const DEFAULT_SAMPLE =
  SAMPLES['../../samples/oneshot/colorbars-tone-webm.yaml'] ??
  Object.values(SAMPLES)[0] ??
  'mode: oneshot\nnodes: {}\n';

const SHORTCUTS: [string, string][] = [
  ['Drag background', 'pan'],
  ['Wheel', 'zoom'],
  ['Shift + drag', 'box-select'],
  ['Drag from an output pin to an input pin', 'connect'],
  ['Delete / Backspace', 'delete selection'],
  ['Ctrl+Z / Ctrl+Shift+Z (Ctrl+Y)', 'undo / redo'],
  ['Ctrl+C / Ctrl+V', 'copy / paste nodes (as YAML, also between tabs)'],
  ['Ctrl+Enter', 'run in this tab'],
  ['F', 'fit to view'],
  ['?', 'this help'],
];

function extensionFor(type: string): string {
  if (type.includes('webm')) return 'webm';
  if (type.includes('mp4')) return 'mp4';
  if (type.includes('ogg')) return 'ogg';
  if (type.includes('wav')) return 'wav';
  if (type.includes('mpeg')) return 'mp3';
  if (type.includes('json')) return 'json';
  return 'bin';
}

async function initialText(): Promise<string> {
  const match = /[#&]p=([^&]+)/.exec(location.hash);
  if (match?.[1]) {
    try {
      return await decodeShare(match[1]);
    } catch {
      console.warn('weft: the link’s pipeline could not be read; opening the default sample');
    }
  }
  return DEFAULT_SAMPLE;
}

export function App(props: { engine: Remote<EngineApi> }) {
  const engine = props.engine;
  const [descriptions] = createResource(() => engine.describeNodes());
  const byKind = createMemo(() => new Map((descriptions() ?? []).map((d) => [d.kind, d])));
  const describe = (kind: string): NodeDescription | undefined => byKind().get(kind);
  const history = createHistory({ mode: 'oneshot', nodes: [], edges: [] });
  const model = history.model;
  const [view, setView] = createSignal<'editor' | 'convert'>('editor');
  const [selection, setSelection] = createSignal<Set<string>>(new Set());
  const [selectedEdge, setSelectedEdge] = createSignal<EditorEdge>();
  const [message, setMessage] = createSignal<{ text: string; kind: 'info' | 'error' }>();
  const [help, setHelp] = createSignal(false);
  const [yamlText, setYamlText] = createSignal('');
  const [yamlIssues, setYamlIssues] = createSignal<Issue[]>([]);
  let yamlEditing = false;
  let fitView: (() => void) | undefined;

  const say = (text: string, kind: 'info' | 'error' = 'info') => setMessage({ text, kind });

  onMount(() => {
    void initialText().then((text) => {
      try {
        history.commit(fromYaml(text));
        history.record(history.model()); // the loaded pipeline is the start, not an undo step
      } catch (e) {
        say(`Could not open the pipeline: ${e instanceof Error ? e.message : String(e)}`, 'error');
      }
      requestAnimationFrame(() => fitView?.());
    });
  });

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

  // YAML → graph (debounced).
  let yamlTimer: ReturnType<typeof setTimeout> | undefined;
  onCleanup(() => clearTimeout(yamlTimer));
  const onYamlInput = (text: string) => {
    yamlEditing = true;
    setYamlText(text);
    clearTimeout(yamlTimer);
    yamlTimer = setTimeout(() => {
      void engine.validate(text).then((r) => {
        const syntax = r.issues.filter((i) => i.code === 'syntax' || i.code === 'schema');
        setYamlIssues(syntax);
        if (syntax.length === 0) {
          try {
            history.commit(fromYaml(text, model()), 'yaml');
          } catch (e) {
            setYamlIssues([{ code: 'syntax', severity: 'error', message: e instanceof Error ? e.message : String(e) }]);
          }
        }
      });
    }, YAML_DEBOUNCE_MS);
  };

  // Editing actions.
  const addNode = (kind: string) => {
    const m = model();
    const id = newNodeId(m, kind);
    const x = m.nodes.length ? Math.max(...m.nodes.map((n) => n.x)) + LAYOUT_DX : 40;
    history.commit({ ...m, nodes: [...m.nodes, { id, kind, params: {}, x, y: 60 }] });
    setSelection(new Set([id]));
    say(`Added ${id} (${kind})`);
  };

  const connect = async (edge: EditorEdge) => {
    const m = model();
    if (edge.from === edge.to) return say('Refused: a node cannot feed itself.', 'error');
    const taken = m.edges.find((e) => e.to === edge.to && e.toPin === edge.toPin);
    if (taken) {
      return say(
        `Refused: ${edge.to}.${edge.toPin} already takes ${taken.from}.${taken.fromPin}; delete that connection first.`,
        'error',
      );
    }
    const candidate = { ...m, edges: [...m.edges, edge] };
    const result = await engine.validate(toYaml(candidate));
    const problem = result.issues.find(
      (i) =>
        i.severity === 'error' &&
        (i.code === 'type_mismatch' || i.code === 'cycle' || i.code === 'cardinality' || i.code === 'unknown_pin') &&
        (i.node === edge.to || i.node === edge.from),
    );
    if (problem) return say(`Refused: ${problem.message}`, 'error');
    history.commit(candidate);
    say(`Connected ${edge.from}.${edge.fromPin} → ${edge.to}.${edge.toPin}`);
  };

  const removeSelection = () => {
    const m = model();
    const ids = selection();
    const edge = selectedEdge();
    if (ids.size === 0 && !edge) return;
    const same = (e: EditorEdge) =>
      !!edge && e.from === edge.from && e.fromPin === edge.fromPin && e.to === edge.to && e.toPin === edge.toPin;
    history.commit({
      ...m,
      nodes: m.nodes.filter((n) => !ids.has(n.id)),
      edges: m.edges.filter((e) => !ids.has(e.from) && !ids.has(e.to) && !same(e)),
    });
    setSelection(new Set<string>());
    setSelectedEdge(undefined);
  };

  const copySelection = async () => {
    const m = model();
    const ids = selection();
    if (ids.size === 0) return;
    const part: GraphModel = {
      mode: m.mode,
      nodes: m.nodes.filter((n) => ids.has(n.id)),
      edges: m.edges.filter((e) => ids.has(e.from) && ids.has(e.to)),
    };
    const text = toYaml(part);
    clipboardFallback = text;
    await navigator.clipboard.writeText(text).catch(() => undefined); // the in-page copy still works
    say(`Copied ${ids.size} node${ids.size > 1 ? 's' : ''} as YAML`);
  };
  let clipboardFallback = '';

  const paste = async () => {
    const text = (await navigator.clipboard.readText().catch(() => '')) || clipboardFallback;
    if (!text) return;
    let part: GraphModel;
    try {
      part = fromYaml(text);
    } catch {
      return say('The clipboard holds no pipeline YAML.', 'error');
    }
    const m = model();
    const rename = new Map<string, string>();
    let scratch: GraphModel = { ...m };
    for (const n of part.nodes) {
      const id = m.nodes.some((x) => x.id === n.id) || rename.has(n.id) ? newNodeId(scratch, n.kind) : n.id;
      rename.set(n.id, id);
      scratch = { ...scratch, nodes: [...scratch.nodes, { ...n, id }] };
    }
    const offset = 40;
    const nodes = part.nodes.map((n) => ({
      ...n,
      id: rename.get(n.id) ?? n.id,
      x: n.x + offset,
      y: n.y + offset + 200,
    }));
    const edges = part.edges.map((e) => ({ ...e, from: rename.get(e.from) ?? e.from, to: rename.get(e.to) ?? e.to }));
    history.commit({ ...m, nodes: [...m.nodes, ...nodes], edges: [...m.edges, ...edges] });
    setSelection(new Set(nodes.map((n) => n.id)));
    say(`Pasted ${nodes.length} node${nodes.length > 1 ? 's' : ''}`);
  };

  const setParam = (node: string, param: string, value: unknown) => {
    const m = model();
    history.commit(
      {
        ...m,
        nodes: m.nodes.map((n) => {
          if (n.id !== node) return n;
          const params = { ...n.params };
          if (value === undefined) delete params[param];
          else params[param] = value;
          return { ...n, params };
        }),
      },
      `param:${node}.${param}`,
    );
    const d = describe(m.nodes.find((n) => n.id === node)?.kind ?? '');
    if (!running() || !d?.live_params.includes(param)) return;
    if (remote) {
      void remote.tune(node, { [param]: value }).then((error) => {
        if (error) say(`The server session refused ${node}.${param}: ${error}`, 'error');
      });
    } else void engine.tune(node, { [param]: value });
  };

  // Files.
  const [offer, setOffer] = createSignal<{ name: string; text: string }>();
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
      history.commit(fromYaml(text));
      requestAnimationFrame(() => fitView?.());
      say(`Opened ${file.name}`);
    } catch (e) {
      say(`${file.name} is not a pipeline: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`, 'error');
    }
  };
  const saveFile = () => {
    const a = document.createElement('a');
    a.href = URL.createObjectURL(new Blob([yaml()], { type: 'text/yaml' }));
    a.download = `${(model().name ?? 'pipeline').replace(/[^\w.-]+/g, '-').toLowerCase()}.yaml`;
    a.click();
  };
  const loadSample = (path: string) => {
    const text = SAMPLES[path];
    if (!text) return;
    history.commit(fromYaml(text));
    requestAnimationFrame(() => fitView?.());
    say(`Opened sample ${sampleName(path)}`);
  };
  const copyLink = async () => {
    const url = `${location.origin}${location.pathname}#p=${await encodeShare(yaml())}`;
    history.record(model());
    setShareUrl(url);
    await navigator.clipboard.writeText(url).catch(() => undefined); // still shown below
    say(`Link copied (${url.length} characters); the pipeline travels in the fragment, never to a server.`);
  };
  const [shareUrl, setShareUrl] = createSignal('');

  // Running in the tab.
  const [running, setRunning] = createSignal(false);
  const [status, setStatus] = createSignal<Record<string, { state: string; error?: string }>>({});
  const [outputs, setOutputs] = createSignal<{ name: string; url: string; file: string; bytes: number }[]>([]);
  const [inputFiles, setInputFiles] = createSignal<Record<string, File>>({});
  const ioNames = () => validation()?.io;
  const [frame, setFrame] = createSignal<ImageBitmap>();
  const [level, setLevel] = createSignal<number>();
  const [series, setSeries] = createSignal<Record<string, NodeSeries>>({});
  const [progress, setProgress] = createSignal<number | null>(null);
  const focused = () => [...selection()][0];

  // Hot reconfigure: while a dynamic pipeline runs, graph edits go to the engine (or the server
  // session) as one batch.
  let runningModel: GraphModel | undefined;
  let remote: RemoteSession | undefined;
  createEffect(
    on(model, (next) => {
      const base = runningModel;
      if (!running() || !base || next.mode !== 'dynamic') return;
      const ops = diffBatch(base, next);
      if (ops.length === 0) return;
      runningModel = next;
      void (remote ? remote.applyBatch(ops) : engine.applyBatch(ops)).then((error) => {
        if (error) {
          runningModel = base;
          say(`The running pipeline refused the change: ${error.split('\n')[0] ?? error}`, 'error');
        } else say(`Applied ${ops.length} change${ops.length > 1 ? 's' : ''} to the running pipeline`);
      });
    }),
  );

  const run = async () => {
    if (running()) return;
    const missing = (ioNames()?.inputs ?? []).filter((i) => i.required && !inputFiles()[i.name]);
    if (missing.length > 0)
      return say(`Choose a file for input ${missing.map((i) => `'${i.name}'`).join(', ')} first.`, 'error');
    runningModel = model();
    batch(() => {
      setRunning(true);
      setStatus({});
      for (const o of outputs()) URL.revokeObjectURL(o.url);
      setOutputs([]);
      setSeries({});
      setFrame(undefined);
      setLevel(undefined);
      setProgress(null);
    });
    const track = seriesTracker();
    const onEvent = (event: RunEvent) => {
      if (event.type === 'state') {
        setStatus((s) => ({
          ...s,
          [event.node]: { state: event.state, ...(event.error ? { error: event.error } : {}) },
        }));
      } else if (event.type === 'preview') {
        if (event.node === focused()) setFrame(event.frame);
        else event.frame.close();
      } else if (event.type === 'level') {
        if (event.node === focused()) setLevel(event.rms);
      } else if (event.type === 'stats') {
        setProgress(event.fraction);
        setSeries((old) => track(event.nodes, old) ?? old);
      }
    };
    let captures: Captures | undefined;
    try {
      captures = await openCaptures(model());
      const result = await engine.run(
        yaml(),
        inputFiles(),
        model().nodes.map((n) => n.id),
        proxy(onEvent),
        transfer(captures.streams, Object.values(captures.streams)),
      );
      if (result.state === 'succeeded') {
        setOutputs(
          result.outputs.map((o) => ({
            name: o.name,
            url: URL.createObjectURL(o.blob),
            file: `${o.name}.${extensionFor(o.type)}`,
            bytes: o.blob.size,
          })),
        );
        setProgress(1);
        say(`Run finished: ${result.outputs.length} output${result.outputs.length === 1 ? '' : 's'}`);
      } else {
        say(
          result.state === 'canceled'
            ? 'Stopped.'
            : `Run failed${result.errorNode ? ` at node ${result.errorNode}` : ''}: ${result.error ?? 'no reason given'}`,
          result.state === 'canceled' ? 'info' : 'error',
        );
      }
    } catch (e) {
      say(`Run failed: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`, 'error');
    } finally {
      captures?.stop();
      runningModel = undefined;
      setRunning(false);
    }
  };

  const [serverJob, setServerJob] = createSignal<{
    id: string;
    state: string;
    fraction: number | null;
    outputs: { name: string; url: string }[];
    error?: string;
  }>();
  // A dynamic pipeline on the server is a live session the editor attaches to.
  const [remoteId, setRemoteId] = createSignal<string>();
  const onRemote = (track: ReturnType<typeof seriesTracker>) => (event: RemoteEvent) => {
    if (event.type === 'state') {
      setStatus((s) => ({
        ...s,
        [event.node]: { state: event.state, ...(event.error ? { error: event.error } : {}) },
      }));
    } else if (event.type === 'stats') setSeries((old) => track(event.nodes, old) ?? old);
    else {
      remote = undefined;
      runningModel = undefined;
      batch(() => {
        setRemoteId(undefined);
        setRunning(false);
      });
      say(`The server session ended: ${event.reason}`);
    }
  };
  const startRemote = async () => {
    if (running()) return;
    runningModel = model();
    batch(() => {
      setRunning(true);
      setStatus({});
      setSeries({});
    });
    try {
      remote = await RemoteSession.start(yaml(), onRemote(seriesTracker()));
      setRemoteId(remote.id);
      say(`Live session ${remote.id.slice(0, 8)} runs on the server; edits and params go to it`);
    } catch (e) {
      remote = undefined;
      runningModel = undefined;
      setRunning(false);
      say(`Run on server failed: ${e instanceof Error ? e.message : String(e)}`, 'error');
    }
  };
  const stop = () => {
    if (remote) void remote.stop();
    else void engine.cancel();
  };
  const sendToServer = async () => {
    if (model().mode === 'dynamic') return startRemote();
    try {
      await runOnServer(yaml(), inputFiles(), (job) => setServerJob(job));
    } catch (e) {
      say(`Run on server failed: ${e instanceof Error ? e.message : String(e)}`, 'error');
    }
  };

  // Keyboard shortcuts.
  const onKey = (e: KeyboardEvent) => {
    const target = e.target as HTMLElement | null;
    if (target && (target.tagName === 'INPUT' || target.tagName === 'TEXTAREA' || target.tagName === 'SELECT')) return;
    const mod = e.ctrlKey || e.metaKey;
    if (mod && e.key.toLowerCase() === 'z') {
      e.preventDefault();
      if (e.shiftKey) history.redo();
      else history.undo();
    } else if (mod && e.key.toLowerCase() === 'y') {
      e.preventDefault();
      history.redo();
    } else if (mod && e.key.toLowerCase() === 'c') void copySelection();
    else if (mod && e.key.toLowerCase() === 'v') void paste();
    else if (mod && e.key === 'Enter') void run();
    else if (e.key === 'Delete' || e.key === 'Backspace') removeSelection();
    else if (e.key === 'f' && !mod) fitView?.();
    else if (e.key === '?') setHelp((h) => !h);
    else if (e.key === 'Escape') setHelp(false);
  };
  onMount(() => document.addEventListener('keydown', onKey));
  onCleanup(() => document.removeEventListener('keydown', onKey));

  const selectedNode = () => model().nodes.find((n) => n.id === focused());
  const errorCount = () => issues().filter((i) => i.severity === 'error').length;

  return (
    <div class="app">
      <header>
        <h1>Weft</h1>
        <nav class="tabs" aria-label="Views">
          <button classList={{ active: view() === 'editor' }} onClick={() => setView('editor')}>
            Editor
          </button>
          <button classList={{ active: view() === 'convert' }} onClick={() => setView('convert')}>
            Convert
          </button>
        </nav>
        <span class="spacer" />
        <Show when={view() === 'editor'}>
          <select aria-label="Samples" value="" onChange={(e) => loadSample(e.currentTarget.value)}>
            <option value="">Samples…</option>
            <For each={Object.keys(SAMPLES)}>{(path) => <option value={path}>{sampleName(path)}</option>}</For>
          </select>
          <label class="button">
            Open…
            <input
              type="file"
              aria-label="Open pipeline or media file"
              hidden
              onChange={(e) => e.currentTarget.files?.[0] && void openFile(e.currentTarget.files[0])}
            />
          </label>
          <button
            onClick={() => history.commit({ mode: 'oneshot', nodes: [], edges: [] })}
            title="Start an empty pipeline"
          >
            New
          </button>
          <button onClick={saveFile}>Save</button>
          <button onClick={() => void copyLink()}>Copy link</button>
          <button onClick={() => history.undo()} disabled={!history.canUndo()} title="Undo (Ctrl+Z)">
            Undo
          </button>
          <button onClick={() => history.redo()} disabled={!history.canRedo()} title="Redo (Ctrl+Shift+Z)">
            Redo
          </button>
          <button onClick={() => history.commit(autoLayout(model()))} title="Auto-layout">
            Layout
          </button>
          <button onClick={() => fitView?.()} title="Fit to view (F)">
            Fit
          </button>
        </Show>
        <button onClick={() => setHelp((h) => !h)} title="Keyboard shortcuts (?)">
          ?
        </button>
      </header>
      <Show when={view() === 'convert'}>
        <ConvertView engine={engine} />
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
                    requestAnimationFrame(() => fitView?.());
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
            status={status()}
            issues={issuesByNode()}
            onSelect={(ids, edge) => {
              setSelection(ids);
              setSelectedEdge(edge);
              setFrame(undefined);
              setLevel(undefined);
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
          <div class="runbar">
            <For each={ioNames()?.inputs ?? []}>
              {(input) => (
                <label class="button file">
                  {inputFiles()[input.name]?.name ?? `Input ${input.name}…`}
                  <input
                    type="file"
                    aria-label={`Input ${input.name}`}
                    hidden
                    onChange={(e) => {
                      const f = e.currentTarget.files?.[0];
                      if (f) setInputFiles((files) => ({ ...files, [input.name]: f }));
                    }}
                  />
                </label>
              )}
            </For>
            <button class="primary" disabled={running() || errorCount() > 0} onClick={() => void run()}>
              {running() ? 'Running…' : 'Run in tab'}
            </button>
            <Show when={running()}>
              <button onClick={stop}>Stop</button>
            </Show>
            <button disabled={running() || errorCount() > 0} onClick={() => void sendToServer()}>
              Run on server
            </button>
            <Show when={remoteId()}>
              {(id) => (
                <span class="server-session" data-session={id()}>
                  live on the server: session {id().slice(0, 8)}
                </span>
              )}
            </Show>
            <Show when={progress() !== null && running()}>
              <span class="muted">{((progress() ?? 0) * 100).toFixed(0)}%</span>
            </Show>
            <For each={outputs()}>
              {(o) => (
                <a class="output" href={o.url} download={o.file}>
                  ⤓ {o.file} ({(o.bytes / 1e6).toFixed(2)} MB)
                </a>
              )}
            </For>
            <Show when={serverJob()}>
              {(job) => (
                <span class="server-job" data-state={job().state}>
                  server job {job().id.slice(0, 8)}: {job().state}
                  {job().fraction !== null && job().state === 'running'
                    ? ` ${((job().fraction ?? 0) * 100).toFixed(0)}%`
                    : ''}
                  <Show when={job().error}>: {job().error}</Show>
                  <For each={job().outputs}>
                    {(o) => (
                      <a class="output" href={o.url}>
                        ⤓ {o.name}
                      </a>
                    )}
                  </For>
                </span>
              )}
            </Show>
          </div>
        </section>
        <aside class="side">
          <Show
            when={selectedNode()}
            fallback={<p class="muted small pad">Select a node to edit its params. Press ? for shortcuts.</p>}
          >
            {(node) => (
              <Inspector
                node={node()}
                description={describe(node().kind)}
                issues={issues().filter((i) => i.node === node().id)}
                running={running()}
                onChange={(param, value) => setParam(node().id, param, value)}
              />
            )}
          </Show>
          <Preview node={focused()} frame={frame()} level={level()} />
          <Monitor series={series()} />
          <section class="yaml">
            <h3>
              YAML{' '}
              <span class="status" classList={{ ok: errorCount() === 0, bad: errorCount() > 0 }}>
                {errorCount() === 0
                  ? `valid · ${model().nodes.length} nodes`
                  : `${errorCount()} error${errorCount() === 1 ? '' : 's'}`}
              </span>
            </h3>
            <textarea
              spellcheck={false}
              aria-label="Pipeline YAML"
              value={yamlText()}
              onFocus={() => (yamlEditing = true)}
              onBlur={() => {
                yamlEditing = false;
              }}
              onInput={(e) => onYamlInput(e.currentTarget.value)}
            />
            <ul class="issues" aria-label="Problems">
              <For each={issues()}>
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
        </aside>
      </main>
      <Show when={help()}>
        <div class="help" role="dialog" aria-label="Keyboard shortcuts">
          <h2>Keyboard shortcuts</h2>
          <table>
            <tbody>
              <For each={SHORTCUTS}>
                {([keys, what]) => (
                  <tr>
                    <td>
                      <kbd>{keys}</kbd>
                    </td>
                    <td>{what}</td>
                  </tr>
                )}
              </For>
            </tbody>
          </table>
          <button onClick={() => setHelp(false)}>Close</button>
        </div>
      </Show>
      <input type="hidden" data-share-url value={shareUrl()} />
    </div>
  );
}
