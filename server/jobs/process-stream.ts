/**
 * `POST /api/v1/process` answers while the pipeline runs, as StreamKit does, when its output comes
 * from a muxer that writes forward only (WebM/MKV live, fragmented MP4, Ogg): the bytes go to the
 * response as they are made (chunked), held back by a slow client. Other outputs (a file-mode
 * muxer patches its header at the end) are sent once complete.
 */
import type { Pipeline } from '../../src/engine';
import type { OutputSink } from '../../src/headless/bridge';

/** Bytes queued for a slow client before the pipeline is held back. */
export const PROCESS_STREAM_BUFFER_BYTES = 4 * 1024 * 1024;

/** Nodes that hand their input on unchanged, so the muxer before them decides. */
const PASS_ON = new Set(['core::passthrough', 'core::pacer', 'core::object_store_writer']);

/** Whether a muxer node writes its bytes strictly in order. */
function forwardOnly(kind: string, params: Record<string, unknown>): boolean {
  switch (kind) {
    case 'containers::webm::muxer':
      return params.streaming_mode !== 'file';
    case 'containers::mp4::muxer':
      return params.mode !== 'file';
    case 'containers::ogg::muxer':
      return true;
    case 'containers::muxer': {
      const format = typeof params.format === 'string' ? params.format : 'webm';
      if (format === 'ogg') return true;
      return (params.mode === 'stream' || params.mode === 'live') && ['webm', 'mkv', 'mp4', 'mov'].includes(format);
    }
    default:
      return false;
  }
}

/** Whether the pipeline's one `streamkit::http_output` is fed, through pass-on nodes, by a forward-only muxer. */
export function streamsForward(pipeline: Pipeline): boolean {
  const outputs = Object.entries(pipeline.nodes).filter(([, n]) => n.kind === 'streamkit::http_output');
  if (outputs.length !== 1 || !outputs[0]) return false;
  let id = outputs[0][0];
  for (let hops = 0; hops < Object.keys(pipeline.nodes).length; hops++) {
    const feeds = pipeline.connections.filter((c) => c.to_node === id);
    const from = feeds.length === 1 ? feeds[0]?.from_node : undefined;
    const node = from !== undefined ? pipeline.nodes[from] : undefined;
    if (from === undefined || !node) return false;
    const params = (node.params ?? {}) as Record<string, unknown>;
    if (!PASS_ON.has(node.kind) || (node.kind === 'core::object_store_writer' && params.passthrough !== true))
      return forwardOnly(node.kind, params);
    id = from;
  }
  return false;
}

/** A response body fed by an output sink, with backpressure; `fail` ends it with an error. */
export function responseSink(onCancel: () => void): {
  sink: OutputSink;
  body: ReadableStream<Uint8Array>;
  fail: (error: Error) => void;
} {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let pulled: (() => void) | undefined;
  let ended = false;
  let end = 0;
  const body = new ReadableStream<Uint8Array>(
    {
      start: (c) => {
        controller = c;
      },
      pull: () => {
        pulled?.();
        pulled = undefined;
      },
      cancel: () => {
        ended = true;
        pulled?.();
        onCancel();
      },
    },
    { highWaterMark: PROCESS_STREAM_BUFFER_BYTES, size: (chunk) => chunk.byteLength },
  );
  const fail = (error: Error): void => {
    if (ended) return;
    ended = true;
    controller.error(error);
  };
  const sink: OutputSink = {
    live: true,
    async write(data, position) {
      if (ended) throw new Error('the client of /api/v1/process went away');
      if (position !== end) {
        const error = new Error(`the output rewrote byte ${position} after it was sent; its muxer is not forward-only`);
        fail(error);
        throw error;
      }
      end += data.byteLength;
      controller.enqueue(data.slice());
      while (!ended && (controller.desiredSize ?? 0) <= 0) await new Promise<void>((resolve) => (pulled = resolve));
    },
    close() {
      if (!ended) {
        ended = true;
        controller.close();
      }
      return Promise.resolve();
    },
    abort(reason) {
      fail(new Error(`the pipeline failed: ${String(reason)}`));
      return Promise.resolve();
    },
  };
  return { sink, body, fail };
}
