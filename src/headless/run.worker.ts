/**
 * The engine of the headless page, in a dedicated Worker: the same kind of Worker, engine, nodes
 * and runner as the studio tab, so a pipeline runs in the same environment in both. Job inputs are
 * read from the driver's bridge, outputs written back to it; events go to the page (which relays
 * them to the driver). Side effect (entry file): exposes the API with comlink.
 */
import { expose } from 'comlink';
import type { NodeHost, ObjectTarget, ScriptFetchRequest } from '../engine';
import { PipelineRun } from '../engine';
import { browserGpu, createRegistry, openAsset, originRelay, RUN_HOOKS } from '../nodes';
import {
  bridgeFetch,
  openBridgeFile,
  openBridgeObject,
  openBridgeOutput,
  openBridgeStream,
  readBridgeFile,
} from './bridge-sink';
import { LiveSessions } from './live-sessions';
import type { PageEvent, PageJob, SessionOpenResult, SessionPageIo } from './protocol';
import { PROGRESS_INTERVAL_MS } from './protocol';

/** Largest telemetry event data a job reports, as JSON. */
const MAX_TELEMETRY_BYTES = 16 * 1024;

const registry = createRegistry();
const runs = new Map<string, PipelineRun>();
const sessions = new LiveSessions(registry, { gpu: browserGpu, openAsset, moqRelay: originRelay });

/** What the page may ask of the engine Worker. */
export interface RunWorkerApi {
  /** Runs a job to its end, reporting through `report` (which gets every event, the last one final). */
  run(job: PageJob, report: (event: PageEvent) => void): Promise<void>;
  cancel(id: string): void;
  /** Starts a live session; its events go to `report`. */
  openSession(
    id: string,
    pipeline: string,
    report: (event: PageEvent) => void,
    moqRelay?: string,
    io?: SessionPageIo,
  ): SessionOpenResult;
  control(id: string, request: unknown): unknown;
  closeSession(id: string): Promise<void>;
}

async function readInputs(job: PageJob, signal: AbortSignal): Promise<Record<string, Blob>> {
  const inputs: Record<string, Blob> = {};
  for (const name of job.inputs) {
    const response = await fetch(`${job.ioBase}/in/${encodeURIComponent(name)}`, { signal });
    if (!response.ok) throw new Error(`input '${name}' could not be read: ${response.status}`);
    inputs[name] = await response.blob();
  }
  return inputs;
}

/** What a session's nodes get beyond the Worker's own services: the relay, server files, MSE streams. */
function sessionHost(moqRelay: string | undefined, io: SessionPageIo | undefined): NodeHost {
  return {
    ...(moqRelay ? { moqRelay: () => moqRelay } : {}),
    ...(io?.files
      ? {
          readFile: (path: string, signal: AbortSignal) => readBridgeFile(io.ioBase, path, signal),
          writeFile: (path: string) => openBridgeFile(io.ioBase, path),
        }
      : {}),
    ...(io?.streams
      ? {
          publishStream: (path: string, options: { contentType: string; maxClients: number }) =>
            openBridgeStream(io.ioBase, path, options),
        }
      : {}),
    ...(io?.objects ? { writeObject: (target: ObjectTarget) => openBridgeObject(io.ioBase, target) } : {}),
    ...(io?.fetch
      ? {
          scriptFetch: (request: ScriptFetchRequest, signal: AbortSignal) => bridgeFetch(io.ioBase, request, signal),
        }
      : {}),
  };
}

const api: RunWorkerApi = {
  async run(job, report) {
    const abort = new AbortController();
    let inputs: Record<string, Blob>;
    try {
      inputs = await readInputs(job, abort.signal);
    } catch (error) {
      report({ type: 'failed', id: job.id, error: { code: 'internal', message: String(error) } });
      return;
    }
    let started = false;
    const run = new PipelineRun({
      registry,
      text: job.pipeline,
      inputs,
      host: {
        openOutput: (name, type) => openBridgeOutput(job.ioBase, name, type),
        ...(job.files
          ? {
              readFile: (path: string, signal: AbortSignal) => readBridgeFile(job.ioBase, path, signal),
              writeFile: (path: string) => openBridgeFile(job.ioBase, path),
            }
          : {}),
        ...(job.objects ? { writeObject: (target: ObjectTarget) => openBridgeObject(job.ioBase, target) } : {}),
        ...(job.fetch
          ? {
              scriptFetch: (request: ScriptFetchRequest, signal: AbortSignal) =>
                bridgeFetch(job.ioBase, request, signal),
            }
          : {}),
        gpu: browserGpu,
        openAsset,
        moqRelay: () => job.moqRelay ?? originRelay(),
      },
      ...(job.overrides ? { overrides: job.overrides } : {}),
      signal: abort.signal,
      hooks: RUN_HOOKS,
      progressIntervalMs: PROGRESS_INTERVAL_MS,
      onProgress: (p) => {
        if (!started) {
          started = true;
          report({ type: 'started', id: job.id, duration_us: p.duration_us });
        }
        report({ type: 'progress', id: job.id, fraction: p.fraction, media_time_us: p.media_time_us, nodes: p.nodes });
      },
      onWarning: (w) => report({ type: 'warning', id: job.id, code: w.code, message: w.message }),
      onEvent: (e) => {
        if (e.event !== 'nodetelemetry') return;
        // Bounded: a node's data that does not fit is dropped (telemetry is best effort).
        if (JSON.stringify(e.data ?? null).length > MAX_TELEMETRY_BYTES) return;
        report({ type: 'telemetry', id: job.id, node_id: e.node_id, type_id: e.type_id, data: e.data });
      },
    });
    runs.set(job.id, run);
    try {
      const result = await run.execute();
      if (result.state === 'succeeded') {
        report({
          type: 'done',
          id: job.id,
          outputs: result.outputs.map((o) => ({ name: o.name, bytes: o.bytes, content_type: o.content_type })),
          open_frames: result.openFrames,
        });
      } else if (result.state === 'canceled') {
        report({ type: 'canceled', id: job.id });
      } else {
        report({ type: 'failed', id: job.id, error: result.error ?? { code: 'internal', message: 'the run failed' } });
      }
    } finally {
      runs.delete(job.id);
    }
  },
  cancel(id) {
    runs.get(id)?.cancel();
  },
  openSession: (id, pipeline, report, moqRelay, io) => sessions.open(id, pipeline, report, sessionHost(moqRelay, io)),
  control: (id, request) => sessions.control(id, request),
  closeSession: (id) => sessions.close(id),
};

expose(api);
