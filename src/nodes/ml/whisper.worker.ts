/**
 * Speech to text with transformers.js (Whisper family) in a Worker of its own, on
 * onnxruntime-web's WebAssembly backend. Models never come from a hub: every file is asked of the
 * node's host (its asset service, `models/<folder>/…`), and the runtime's .wasm comes from Weft's
 * own build. Side effect (entry file): exposes the API with comlink.
 */
import { expose } from 'comlink';
import type { AutomaticSpeechRecognitionPipeline } from '@huggingface/transformers';
import { env, pipeline } from '@huggingface/transformers';
// transformers.js pins its own onnxruntime-web build; its runtime files must match it.
import ortMjs from '../../../node_modules/@huggingface/transformers/node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.asyncify.mjs?url';
import ortWasm from '../../../node_modules/@huggingface/transformers/node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.asyncify.wasm?url';

/**
 * Where transformers.js looks for local models: a path (not a URL, or it would treat the files as
 * remote) that this Worker answers itself, from the host.
 */
const MODEL_ROOT = '/weft-models/';

let opened: ((path: string) => Promise<Blob>) | undefined;
env.allowRemoteModels = false;
env.allowLocalModels = true;
env.localModelPath = MODEL_ROOT;
env.useBrowserCache = false;
const onnx = env.backends.onnx as { wasm?: { wasmPaths?: unknown; numThreads?: number } };
if (onnx.wasm) {
  onnx.wasm.wasmPaths = {
    mjs: new URL(ortMjs, self.location.href).href,
    wasm: new URL(ortWasm, self.location.href).href,
  };
  onnx.wasm.numThreads = 1; // no SharedArrayBuffer needed, so every host can run it
}
const plainFetch = globalThis.fetch.bind(globalThis);
const modelFetch: typeof fetch = async (input, init) => {
  const raw = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
  const path = new URL(raw, self.location.href);
  if (path.origin !== self.location.origin || !path.pathname.startsWith(MODEL_ROOT)) return plainFetch(input, init);
  if (!opened) return new Response('no model host', { status: 500 });
  try {
    return new Response(await opened(`models/${decodeURIComponent(path.pathname.slice(MODEL_ROOT.length))}`));
  } catch (error) {
    return new Response((error as Error).message, { status: 404 });
  }
};

// transformers.js fetches through env.fetch, its tokenizer library through the global one: this
// Worker runs only Whisper, so both answer model URLs from the host.
(env as unknown as { fetch: typeof fetch }).fetch = modelFetch;
globalThis.fetch = modelFetch;

let asr: AutomaticSpeechRecognitionPipeline | undefined;

/** What the speech-to-text node may ask. */
export interface WhisperApi {
  /** Loads model folder `folder` (under the host's `models/`), asking `open` for its files. */
  load(folder: string, open: (path: string) => Promise<Blob>): Promise<{ multilingual: boolean }>;
  /** The text of one speech segment (16 kHz mono). */
  transcribe(samples: Float32Array, options: { language?: string; maxNewTokens: number }): Promise<string>;
}

const api: WhisperApi = {
  async load(folder, open) {
    opened = open;
    asr = await pipeline('automatic-speech-recognition', folder, { dtype: 'fp32', device: 'wasm' });
    const config = asr.model.generation_config as { is_multilingual?: boolean } | undefined;
    return { multilingual: config?.is_multilingual === true };
  },
  async transcribe(samples, options) {
    if (!asr) throw new Error('no Whisper model is loaded');
    const out = await asr(samples, {
      ...(options.language ? { language: options.language, task: 'transcribe' } : {}),
      max_new_tokens: options.maxNewTokens,
    });
    const chunks = (Array.isArray(out) ? out : [out]) as { text: string }[];
    return chunks
      .map((o) => o.text)
      .join(' ')
      .trim();
  },
};

expose(api);
