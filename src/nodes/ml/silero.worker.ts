/**
 * Silero VAD (v5 interface) on onnxruntime-web's WebAssembly backend, in a Worker of its own: one
 * inference session per model, shared by every stream (node) of a session, each stream with its
 * own recurrent state and 64-sample context. The runtime's .wasm comes from Weft's own build, never
 * a CDN. Side effect (entry file): exposes the API with comlink.
 */
import { expose, transfer } from 'comlink';
import * as ort from 'onnxruntime-web/wasm';
import wasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.wasm?url';

/** Samples per Silero frame at 16 kHz (32 ms). */
export const SILERO_FRAME = 512;
/** Samples of the previous frame the model sees before each frame. */
const CONTEXT = 64;
/** Silero's recurrent state: [2, 1, 128]. */
const STATE_DIMS = [2, 1, 128];

// One thread: no SharedArrayBuffer needed (every host may run it), and Silero is tiny.
ort.env.wasm.numThreads = 1;
ort.env.wasm.wasmPaths = { wasm: new URL(wasmUrl, self.location.href).href };

interface Stream {
  state: ort.Tensor;
  context: Float32Array;
  pending: Float32Array;
}

let session: ort.InferenceSession | undefined;
const sr = new ort.Tensor('int64', BigInt64Array.from([16000n]), []);
const streams = new Map<number, Stream>();
let nextId = 1;

/** What the VAD node may ask. */
export interface SileroApi {
  /** Loads the model (once); rejects when it is not a Silero v5-style model. */
  load(model: ArrayBuffer): Promise<void>;
  /** A new stream with a fresh state. */
  open(): number;
  /** Speech probability of every whole 512-sample frame in what was pushed so far. */
  push(id: number, samples: Float32Array): Promise<Float32Array>;
  close(id: number): void;
}

const api: SileroApi = {
  async load(model) {
    if (session) return;
    session = await ort.InferenceSession.create(new Uint8Array(model), { executionProviders: ['wasm'] });
    const names = [...session.inputNames].sort().join(',');
    if (names !== 'input,sr,state')
      throw new Error(`the model's inputs are ${names}, not Silero v5's input, state and sr`);
  },
  open() {
    const id = nextId++;
    streams.set(id, {
      state: new ort.Tensor('float32', new Float32Array(256), STATE_DIMS),
      context: new Float32Array(CONTEXT),
      pending: new Float32Array(0),
    });
    return id;
  },
  async push(id, samples) {
    const stream = streams.get(id);
    if (!stream || !session) throw new Error(`VAD stream ${id} is not open`);
    const all = new Float32Array(stream.pending.length + samples.length);
    all.set(stream.pending);
    all.set(samples, stream.pending.length);
    const frames = Math.floor(all.length / SILERO_FRAME);
    const out = new Float32Array(frames);
    for (let f = 0; f < frames; f++) {
      const frame = all.subarray(f * SILERO_FRAME, (f + 1) * SILERO_FRAME);
      const input = new Float32Array(CONTEXT + SILERO_FRAME);
      input.set(stream.context);
      input.set(frame, CONTEXT);
      stream.context = frame.slice(-CONTEXT);
      const result = await session.run({
        input: new ort.Tensor('float32', input, [1, input.length]),
        state: stream.state,
        sr,
      });
      const next = result.stateN;
      const probability = result.output?.data[0];
      if (!next || typeof probability !== 'number') throw new Error('the model gave no output or state');
      stream.state = next;
      out[f] = probability;
    }
    stream.pending = all.slice(frames * SILERO_FRAME);
    return transfer(out, [out.buffer]);
  },
  close(id) {
    streams.delete(id);
  },
};

expose(api);
