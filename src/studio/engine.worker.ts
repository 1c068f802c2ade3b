/**
 * The engine, running in a dedicated Worker. The studio reaches it only through comlink
 * (see `engine-client.ts`), so heavy work never blocks the page. It validates pipelines and runs
 * them in the tab: job inputs are Blobs the user picked, outputs come back as Blobs.
 */
import { expose, transfer } from 'comlink';
import type { BatchOperation, ByteSink, Issue, NodeDescription, Packet, PacketTap } from '../engine';
import { checkPipelineText, DEFAULT_OUTPUT_TYPE, PipelineRun } from '../engine';
import type { ModelTransfer } from './model-store';
import { openStoredModel } from './model-store';
import { browserGpu, createRegistry, jobIo, openAsset, originRelay, RUN_HOOKS } from '../nodes';
import { readPipelineTag } from '../nodes/containers/pipeline-tag';

const registry = createRegistry();

type JobIo = ReturnType<typeof jobIo>;
/** The job inputs/outputs of text that is not a pipeline (yet). */
const NO_IO: JobIo = { inputs: [], outputs: [] };

/** How often a run reports per-node stats to the page. */
const STATS_INTERVAL_MS = 250;
/** Longest side of preview frames sent to the page. */
const PREVIEW_MAX_SIDE = 320;

/** What the page hears while a pipeline runs. */
export type RunEvent =
  | { type: 'state'; node: string; state: string; error?: string }
  | {
      type: 'stats';
      at: number;
      /** 0–1 when the input duration is known. */
      fraction: number | null;
      nodes: Record<string, { packets_out: number; bytes_out: number; queue_depth: number; media_time_in: number }>;
    }
  | { type: 'preview'; node: string; frame: ImageBitmap }
  | { type: 'level'; node: string; rms: number }
  | { type: 'telemetry'; node: string; type_id: string; data: unknown }
  /** A model file copying from a URL folder the studio keeps (model-store.ts). */
  | ({ type: 'download' } & ModelTransfer);

/** How a run in the tab ended. */
export interface RunResult {
  state: 'succeeded' | 'failed' | 'canceled';
  error?: string;
  errorNode?: string;
  outputs: { name: string; type: string; blob: Blob }[];
}

/** An in-memory output that honours positioned writes (muxers patch headers). */
class BlobSink implements ByteSink {
  #buffer = new Uint8Array(1 << 16);
  #size = 0;
  write(data: Uint8Array, position = this.#size): Promise<void> {
    const end = position + data.byteLength;
    if (end > this.#buffer.byteLength) {
      const grown = new Uint8Array(Math.max(end, this.#buffer.byteLength * 2));
      grown.set(this.#buffer.subarray(0, this.#size));
      this.#buffer = grown;
    }
    this.#buffer.set(data, position);
    this.#size = Math.max(this.#size, end);
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
  abort(): Promise<void> {
    this.#size = 0;
    return Promise.resolve();
  }
  blob(type: string): Blob {
    return new Blob([this.#buffer.slice(0, this.#size)], { type });
  }
}

let current: PipelineRun | undefined;

/** What the worker offers the page. */
export interface EngineApi {
  /** Every node kind, for the palette. */
  describeNodes(): NodeDescription[];
  /** Parses and validates pipeline text: every problem with its position, and the job inputs/outputs it uses. */
  validate(text: string): { valid: boolean; issues: Issue[]; nodes: string[]; io: JobIo };
  /** Runs a pipeline here; `watch` names the nodes whose output is previewed (video) or metered (audio). */
  run(
    text: string,
    inputs: Record<string, Blob>,
    watch: string[],
    onEvent: (event: RunEvent) => void,
    /** Capture-device frames per capture node id (opened by the page). */
    captures?: Record<string, ReadableStream<VideoFrame | AudioData>>,
    /** The files the user picked for `core::file_reader` nodes, by their `path`. */
    files?: Record<string, Blob>,
  ): Promise<RunResult>;
  /** Cancels the current run. */
  cancel(): void;
  /** Applies graph changes to the running dynamic pipeline atomically; resolves with an error message or null. */
  applyBatch(operations: BatchOperation[]): string | null;
  /** Changes live params of a node in the running pipeline. */
  tune(node: string, params: Record<string, unknown>): void;
  /** The pipeline stored in a media file written by Weft, or null. */
  pipelineOf(file: Blob): Promise<string | null>;
}

/** Makes a small preview bitmap of a frame (the frame stays owned by the caller). */
async function preview(frame: VideoFrame): Promise<ImageBitmap> {
  const scale = Math.min(1, PREVIEW_MAX_SIDE / Math.max(frame.displayWidth, frame.displayHeight));
  return createImageBitmap(frame, {
    resizeWidth: Math.max(1, Math.round(frame.displayWidth * scale)),
    resizeHeight: Math.max(1, Math.round(frame.displayHeight * scale)),
  });
}

/** A packet tap sending previews (video) and levels (audio) of the watched nodes, a few a second. */
function previewTap(watched: ReadonlySet<string>, onEvent: (event: RunEvent) => void): PacketTap {
  let busy = false;
  const lastPreview = new Map<string, number>();
  return (node, _pin, packet: Packet) => {
    if (!watched.has(node)) return;
    const now = performance.now();
    if (now - (lastPreview.get(node) ?? 0) < STATS_INTERVAL_MS) return;
    lastPreview.set(node, now);
    if (packet.kind === 'raw_audio') onEvent({ type: 'level', node, rms: rmsOf(packet.data) });
    if (packet.kind === 'raw_video' && !busy) {
      busy = true;
      const copy = packet.frame.clone();
      preview(copy)
        .then((bitmap) => onEvent(transfer({ type: 'preview', node, frame: bitmap }, [bitmap])))
        .catch(() => undefined) // a preview is best effort
        .finally(() => {
          copy.close();
          busy = false;
        });
    }
  };
}

function rmsOf(data: AudioData): number {
  const plane = new Float32Array(data.numberOfFrames);
  data.copyTo(plane, { planeIndex: 0, format: 'f32-planar' });
  let sum = 0;
  for (const v of plane) sum += v * v;
  return Math.sqrt(sum / Math.max(1, plane.length));
}

const api: EngineApi = {
  describeNodes: () => registry.describeAll(),
  validate(text) {
    const { pipeline, issues, valid } = checkPipelineText(text, registry);
    return { valid, issues, nodes: Object.keys(pipeline?.nodes ?? {}), io: pipeline ? jobIo(pipeline) : NO_IO };
  },
  async run(text, inputs, watch, onEvent, captures = {}, files = {}) {
    current?.cancel();
    const sinks = new Map<string, { sink: BlobSink; type: string }>();
    const watched = new Set(watch);
    const run = new PipelineRun({
      registry,
      text,
      inputs,
      hooks: RUN_HOOKS,
      progressIntervalMs: STATS_INTERVAL_MS,
      host: {
        openCapture: (node) => Promise.resolve(captures[node]),
        // A tab reads only the files its user picked (one per file_reader path).
        readFile: (path) => {
          const file = files[path];
          if (!file) return Promise.reject(new Error(`pick the file for '${path}' in the run bar first`));
          return Promise.resolve(file.stream());
        },
        gpu: browserGpu,
        // Model folders the studio keeps come first (downloading a URL folder's file on first use), then the server's.
        openAsset: async (path, signal) =>
          (await openStoredModel(path, signal, (t) => onEvent({ type: 'download', ...t }))) ?? openAsset(path, signal),
        moqRelay: originRelay,
        openOutput: (name, type) => {
          const sink = new BlobSink();
          sinks.set(name, { sink, type: type ?? DEFAULT_OUTPUT_TYPE });
          return Promise.resolve(sink);
        },
      },
      onEvent: (e) => {
        if (e.event === 'nodestatechanged') {
          onEvent({ type: 'state', node: e.node_id, state: e.state, ...(e.error ? { error: e.error.message } : {}) });
        } else if (e.event === 'nodetelemetry') {
          onEvent({ type: 'telemetry', node: e.node_id, type_id: e.type_id, data: e.data });
        }
      },
      onProgress: (p) => {
        const nodes: Extract<RunEvent, { type: 'stats' }>['nodes'] = {};
        for (const [id, n] of Object.entries(p.nodes)) {
          nodes[id] = {
            packets_out: n.packets_out,
            bytes_out: n.bytes_out,
            queue_depth: n.queue_depth,
            media_time_in: n.media_time_in,
          };
        }
        onEvent({ type: 'stats', at: performance.now(), fraction: p.fraction, nodes });
      },
      onSession: (session) => session.tap(previewTap(watched, onEvent)),
    });
    current = run;
    try {
      const result = await run.execute();
      return {
        state: result.state,
        ...(result.error
          ? { error: result.error.message, ...(result.error.node ? { errorNode: result.error.node } : {}) }
          : {}),
        outputs:
          result.state === 'succeeded'
            ? [...sinks].map(([name, s]) => ({ name, type: s.type, blob: s.sink.blob(s.type) }))
            : [],
      };
    } finally {
      if (current === run) current = undefined;
    }
  },
  cancel() {
    current?.cancel();
  },
  applyBatch(operations) {
    const running = current?.session;
    if (!running) return 'nothing is running';
    try {
      running.applyBatch(operations);
      return null;
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
  },
  tune(node, params) {
    current?.session?.tuneNode(node, params);
  },
  pipelineOf: (file) => readPipelineTag(file),
};

expose(api);
