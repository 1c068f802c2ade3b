/**
 * Running the open pipeline: in this tab (the engine Worker, with preview, levels and monitor),
 * as a server job (oneshot), or as a live server session the editor attaches to (dynamic). While a
 * dynamic pipeline runs, graph edits go to it as one batch and live params as `tunenode`.
 */
import type { Remote } from 'comlink';
import { proxy, transfer } from 'comlink';
import { batch, createEffect, createSignal, on } from 'solid-js';
import type { Captures } from './capture';
import { openCaptures } from './capture';
import type { StudioDocument } from './document';
import type { EngineApi, RunEvent } from './engine.worker';
import type { ModelTransfer } from './model-store';
import { extensionFor } from './files';
import type { GraphModel } from './model';
import { diffBatch } from './model';
import type { NodeSeries } from './Panels';
import type { RemoteEvent } from './remote-session';
import { RemoteSession } from './remote-session';
import { seriesTracker } from './series';
import type { ServerJobView } from './server-run';
import { runOnServer } from './server-run';

/** Shows a message to the user. */
export type Say = (text: string, kind?: 'info' | 'error') => void;

/** A finished output of a tab run, ready to download. */
export interface TabOutput {
  name: string;
  url: string;
  file: string;
  bytes: number;
}

/** Run state and actions. `focused` is the node whose preview and level are shown. Call inside a component. */
export function createRunControl(
  engine: Remote<EngineApi>,
  doc: StudioDocument,
  say: Say,
  focused: () => string | undefined,
) {
  const [running, setRunning] = createSignal(false);
  const [status, setStatus] = createSignal<Record<string, { state: string; error?: string }>>({});
  const [outputs, setOutputs] = createSignal<TabOutput[]>([]);
  const [inputFiles, setInputFiles] = createSignal<Record<string, File>>({});
  /** Files picked for `core::file_reader` nodes, by the node's `path` (the tab reads no others). */
  const [readFiles, setReadFiles] = createSignal<Record<string, File>>({});
  const [frame, setFrame] = createSignal<ImageBitmap>();
  const [level, setLevel] = createSignal<number>();
  const [series, setSeries] = createSignal<Record<string, NodeSeries>>({});
  const [progress, setProgress] = createSignal<number | null>(null);
  const [serverJob, setServerJob] = createSignal<ServerJobView>();
  const [remoteId, setRemoteId] = createSignal<string>();
  const [telemetry, setTelemetry] = createSignal<TelemetryLine[]>([]);
  /** Model files downloading for this run, by `folder/file` (kept once done, so the bar shows what came). */
  const [downloads, setDownloads] = createSignal<Record<string, ModelTransfer>>({});
  const addTelemetry = (node: string, type_id: string, data: unknown) =>
    setTelemetry((old) =>
      [{ at: Date.now(), node, type_id, summary: summarize(data) }, ...old].slice(0, TELEMETRY_LINES),
    );
  let runningModel: GraphModel | undefined;
  let remote: RemoteSession | undefined;

  const setNodeState = (node: string, state: string, error?: string) =>
    setStatus((s) => ({ ...s, [node]: { state, ...(error ? { error } : {}) } }));

  // Hot reconfigure: while a dynamic pipeline runs, graph edits go to the engine (or the server
  // session) as one batch.
  createEffect(
    on(doc.model, (next) => {
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

  const begin = () => {
    runningModel = doc.model();
    batch(() => {
      setRunning(true);
      setStatus({});
      setSeries({});
      setTelemetry([]);
    });
  };
  const end = () => {
    runningModel = undefined;
    setRunning(false);
  };

  /** Runs in the tab; with `stillOf`, only until that node's first preview frame (a still of its output). */
  const runInTab = async (stillOf?: string) => {
    if (running()) return;
    await doc.settle();
    const missing = (doc.validation()?.io.inputs ?? []).filter((i) => i.required && !inputFiles()[i.name]);
    if (missing.length > 0)
      return say(`Choose a file for input ${missing.map((i) => `'${i.name}'`).join(', ')} first.`, 'error');
    const unread = fileReaders(doc.model()).filter((r) => !readFiles()[r.path]);
    if (unread.length > 0)
      return say(`Choose the file for ${unread.map((r) => `${r.node} (${r.path})`).join(', ')} first.`, 'error');
    begin();
    batch(() => {
      for (const o of outputs()) URL.revokeObjectURL(o.url);
      setOutputs([]);
      setFrame(undefined);
      setLevel(undefined);
      setProgress(null);
      setDownloads({});
    });
    const track = seriesTracker();
    let stillTaken = false;
    const onEvent = (event: RunEvent) => {
      if (event.type === 'state') setNodeState(event.node, event.state, event.error);
      else if (event.type === 'preview') {
        if (event.node === focused() || event.node === stillOf) setFrame(event.frame);
        else event.frame.close();
        if (event.node === stillOf && !stillTaken) {
          stillTaken = true;
          void engine.cancel();
        }
      } else if (event.type === 'level') {
        if (event.node === focused()) setLevel(event.rms);
      } else if (event.type === 'stats') {
        setProgress(event.fraction);
        setSeries((old) => track(event.nodes, old) ?? old);
      } else if (event.type === 'telemetry') addTelemetry(event.node, event.type_id, event.data);
      else if (event.type === 'download') {
        const { type: _type, ...transfer } = event;
        setDownloads((d) => ({ ...d, [`${transfer.folder}/${transfer.file}`]: transfer }));
      }
    };
    let captures: Captures | undefined;
    try {
      captures = await openCaptures(doc.model());
      const result = await engine.run(
        doc.yaml(),
        inputFiles(),
        doc.model().nodes.map((n) => n.id),
        proxy(onEvent),
        transfer(captures.streams, Object.values(captures.streams)),
        readFiles(),
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
      } else if (result.state === 'canceled') say(stillTaken ? `Still of ${stillOf ?? ''}` : 'Stopped.');
      else {
        say(
          `Run failed${result.errorNode ? ` at node ${result.errorNode}` : ''}: ${result.error ?? 'no reason given'}`,
          'error',
        );
      }
    } catch (e) {
      say(`Run failed: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`, 'error');
    } finally {
      captures?.stop();
      end();
    }
  };

  // A dynamic pipeline on the server is a live session the editor attaches to.
  const onRemote = (track: ReturnType<typeof seriesTracker>) => (event: RemoteEvent) => {
    if (event.type === 'state') setNodeState(event.node, event.state, event.error);
    else if (event.type === 'stats') setSeries((old) => track(event.nodes, old) ?? old);
    else if (event.type === 'telemetry') addTelemetry(event.node, event.type_id, event.data);
    else {
      remote = undefined;
      batch(() => {
        setRemoteId(undefined);
        end();
      });
      say(`The server session ended: ${event.reason}`);
    }
  };
  const startRemote = async () => {
    if (running()) return;
    begin();
    try {
      remote = await RemoteSession.start(doc.yaml(), onRemote(seriesTracker()));
      setRemoteId(remote.id);
      say(`Live session ${remote.id.slice(0, 8)} runs on the server; edits and params go to it`);
    } catch (e) {
      remote = undefined;
      end();
      say(`Run on server failed: ${e instanceof Error ? e.message : String(e)}`, 'error');
    }
  };

  return {
    running,
    status,
    outputs,
    inputFiles,
    frame,
    level,
    series,
    telemetry,
    downloads,
    progress,
    serverJob,
    remoteId,
    /** The preview and level follow a new selection. */
    clearPreview: () => {
      setFrame(undefined);
      setLevel(undefined);
    },
    chooseInput: (name: string, file: File) => setInputFiles((files) => ({ ...files, [name]: file })),
    readFiles,
    /** Picks the file a `core::file_reader` with this `path` reads in the tab. */
    chooseReadFile: (path: string, file: File) => setReadFiles((files) => ({ ...files, [path]: file })),
    runInTab: () => runInTab(),
    /** A still of `node`'s output: the pipeline runs in the tab until the node sends its first frame. */
    still: (node: string) => runInTab(node),
    /** A oneshot pipeline becomes a server job; a dynamic one a live session the editor attaches to. */
    runOnServer: async () => {
      await doc.settle();
      if (doc.model().mode === 'dynamic') return startRemote();
      try {
        await runOnServer(doc.yaml(), inputFiles(), (job) => setServerJob(job));
      } catch (e) {
        say(`Run on server failed: ${e instanceof Error ? e.message : String(e)}`, 'error');
      }
    },
    stop: () => {
      if (remote) void remote.stop();
      else void engine.cancel();
    },
    /** Sends a live param to the running pipeline (the tab's or the server session). */
    tune: (node: string, param: string, value: unknown) => {
      if (!running()) return;
      if (remote) {
        void remote.tune(node, { [param]: value }).then((error) => {
          if (error) say(`The server session refused ${node}.${param}: ${error}`, 'error');
        });
      } else void engine.tune(node, { [param]: value });
    },
  };
}

/** The `core::file_reader` nodes of a pipeline and the paths they read. */
export function fileReaders(model: GraphModel): { node: string; path: string }[] {
  return model.nodes.flatMap((n) =>
    n.kind === 'core::file_reader' && typeof n.params.path === 'string' && n.params.path !== ''
      ? [{ node: n.id, path: n.params.path }]
      : [],
  );
}

/** Telemetry lines the monitor keeps (newest first). */
const TELEMETRY_LINES = 30;

/** One telemetry event as the monitor lists it. */
export interface TelemetryLine {
  at: number;
  node: string;
  type_id: string;
  summary: string;
}

/** A short, readable rendering of an event's data. */
function summarize(data: unknown): string {
  const text =
    typeof data === 'string'
      ? data
      : JSON.stringify(data, (_, v: unknown) => (typeof v === 'number' ? Number(v.toPrecision(3)) : v));
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

/** The run API the app's parts share. */
export type RunControl = ReturnType<typeof createRunControl>;
