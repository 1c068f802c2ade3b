/**
 * How the ML Workers reach model files: transformers.js asks for local models under a path this
 * module answers from the node's host (its asset service: `models/<folder>/…`), never a hub, and
 * onnxruntime-web's runtime comes from Weft's own build. For Worker entry files only (it sets up
 * transformers.js's environment and this Worker's `fetch`).
 */
import { env } from '@huggingface/transformers';
import { gpuAdapter } from '../host-services';
// transformers.js pins its own onnxruntime-web build; its runtime files must match it.
import ortMjs from '../../../node_modules/@huggingface/transformers/node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.asyncify.mjs?url';
import ortWasm from '../../../node_modules/@huggingface/transformers/node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.asyncify.wasm?url';

/**
 * Where transformers.js looks for local models: a path (not a URL, or it would treat the files as
 * remote) that this Worker answers itself, from the host.
 */
const MODEL_ROOT = '/weft-models/';

/**
 * Points transformers.js at the host's models, through `opener()` (the host's asset service, once
 * loaded). `rewrite` answers a library's own remote URLs (kokoro-js names its voices on a hub) with
 * a model path under `models/`; any other request off this origin is refused: model Workers
 * reach nothing on the network.
 */
export function answerModelFiles(
  opener: () => ((path: string) => Promise<Blob>) | undefined,
  rewrite: (url: string) => string | undefined = () => undefined,
): void {
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
    const rewritten = rewrite(path.href);
    const local = path.origin === self.location.origin && path.pathname.startsWith(MODEL_ROOT);
    if (rewritten === undefined && !local) {
      if (path.origin === self.location.origin || path.protocol === 'blob:' || path.protocol === 'data:')
        return plainFetch(input, init);
      return new Response(`Weft's model Workers fetch nothing off their origin (${path.origin})`, { status: 403 });
    }
    const open = opener();
    if (!open) return new Response('no model host', { status: 500 });
    try {
      const name = rewritten ?? decodeURIComponent(path.pathname.slice(MODEL_ROOT.length));
      return new Response(await open(`models/${name}`));
    } catch (error) {
      return new Response((error as Error).message, { status: 404 });
    }
  };
  // transformers.js fetches through env.fetch, its tokenizer library through the global one: the
  // Worker runs only this model, so both answer model URLs from the host.
  (env as unknown as { fetch: typeof fetch }).fetch = modelFetch;
  globalThis.fetch = modelFetch;
}

/** How a model's loading goes, as the node reports it (telemetry `model.progress`). */
export interface ModelProgress {
  status: string;
  file?: string;
  /** 0–100, for `progress`. */
  progress?: number;
  loaded?: number;
  total?: number;
}

/**
 * A transformers.js `progress_callback` that hands `report` each file's start and end and its
 * progress in steps of 10 %, not every chunk.
 */
export function progressReporter(report: (progress: ModelProgress) => void): (info: unknown) => void {
  const reported = new Map<string, number>();
  return (info) => {
    const i = info as ModelProgress;
    if (i.status === 'progress') {
      const step = Math.floor((i.progress ?? 0) / 10);
      const key = i.file ?? '';
      if ((reported.get(key) ?? -1) >= step) return;
      reported.set(key, step);
    }
    report({
      status: i.status,
      ...(i.file !== undefined ? { file: i.file } : {}),
      ...(i.progress !== undefined ? { progress: Math.round(i.progress) } : {}),
      ...(i.loaded !== undefined ? { loaded: i.loaded } : {}),
      ...(i.total !== undefined ? { total: i.total } : {}),
    });
  };
}

/** Where a model should run: `auto` (WebGPU on a hardware adapter, else WebAssembly), `gpu` (WebGPU on any adapter), `cpu` (WebAssembly). */
export type ModelDeviceChoice = 'auto' | 'gpu' | 'cpu';

/** Where a model runs, and why there. */
export interface ModelDevice {
  device: 'webgpu' | 'wasm';
  reason: string;
}

/**
 * Loads a model with `load` on the device `choice` picks: WebGPU where this Worker has a hardware
 * adapter (or any adapter, for `gpu`), else onnxruntime's WebAssembly backend. When WebGPU was only
 * the automatic pick and loading on it fails, the model loads on WebAssembly, and the reason says why.
 */
export async function loadOnDevice<T>(
  choice: ModelDeviceChoice,
  load: (device: ModelDevice['device']) => Promise<T>,
): Promise<{ model: T } & ModelDevice> {
  const wasm = async (reason: string) => ({ model: await load('wasm'), device: 'wasm' as const, reason });
  if (choice === 'cpu') return wasm('the pipeline asks for the CPU');
  const found = await gpuAdapter();
  if (!found.adapter) return wasm(found.reason);
  if (found.software && choice === 'auto') return wasm(`only a software WebGPU adapter is available (${found.name})`);
  try {
    return { model: await load('webgpu'), device: 'webgpu', reason: `WebGPU on ${found.name}` };
  } catch (error) {
    if (choice === 'gpu') throw error;
    return wasm(`WebGPU on ${found.name} failed (${(error as Error).message})`);
  }
}
