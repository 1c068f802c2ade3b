/**
 * A transformers.js model in a Worker of its own, shared by a session's nodes (`ctx.shared`): the
 * Worker is spawned and the model folder loaded once per key, its files asked of the node's host
 * (the asset service), its loading reported as `model.progress` telemetry.
 */
import { proxy, wrap } from 'comlink';
import type { Remote } from 'comlink';
import type { NodeContext } from '../../engine';
import type { ModelDevice, ModelDeviceChoice, ModelProgress } from './model-files';

/** What each model Worker offers: loading a folder, with the host's files and a progress report. */
export interface ModelLoader<R> {
  load(
    folder: string,
    files: (path: string) => Promise<Blob>,
    progress: (progress: ModelProgress) => void,
    choice: ModelDeviceChoice,
  ): Promise<R & ModelDevice>;
}

/**
 * The device a StreamKit param asks for: `use_gpu` (Whisper), `device` (cpu | cuda | auto:
 * translation) or `execution_provider` (cpu | cuda | tensorrt: TTS); WebGPU stands in for CUDA.
 * Unset means `auto`: WebGPU where there is a hardware adapter, else WebAssembly.
 */
export function deviceChoice(asked: boolean | string | undefined): ModelDeviceChoice {
  if (asked === undefined || asked === 'auto') return 'auto';
  if (asked === false || asked === 'cpu') return 'cpu';
  return 'gpu';
}

/** A loaded model Worker. */
export interface ModelWorker<Api, R> {
  api: Remote<Api>;
  worker: Worker;
  /** What `load` answered (Whisper: whether the model is multilingual; every model: its device). */
  loaded: R & ModelDevice;
}

/**
 * The session's Worker for model folder `folder` (under the host's `models/`), spawned by `spawn`
 * (a `new Worker(new URL(…, import.meta.url))`, so the bundler finds it). `what` names the model in
 * the error a failed load becomes.
 */
export function sharedModelWorker<Api extends ModelLoader<R>, R>(
  ctx: NodeContext<unknown>,
  options: { key: string; folder: string; spawn: () => Worker; what: string; device: ModelDeviceChoice },
): Promise<ModelWorker<Api, R>> {
  const openAsset = ctx.host.openAsset;
  if (!openAsset) throw ctx.error('this host has no model folders (assets)', { phase: 'start' });
  // Loading is not cancelled with a node: the model is the session's, shared by its nodes.
  const signal = new AbortController().signal;
  const { folder, device } = options;
  return ctx.shared(
    `${options.key}:${folder}:${device}`,
    async () => {
      const worker = options.spawn();
      const api = wrap<Api>(worker);
      try {
        const loaded = (await api.load(
          folder,
          proxy((path: string) => openAsset(path, signal)),
          proxy((progress: ModelProgress) =>
            ctx.telemetry({ type_id: 'model.progress', data: { model: folder, ...progress } }),
          ),
          device,
        )) as R & ModelDevice;
        ctx.telemetry({
          type_id: 'model.progress',
          data: { model: folder, status: 'loaded', device: loaded.device, reason: loaded.reason },
        });
        return { api, worker, loaded };
      } catch (error) {
        worker.terminate();
        throw ctx.error(
          `${options.what} could not be loaded: ${(error as Error).message}; Weft looks for model folders (Hugging Face layout, ONNX files) in the studio's Models, then the server's --models folder (where models.json may map the name to another folder), then --assets`,
          { phase: 'start', cause: error },
        );
      }
    },
    (model) => model.worker.terminate(),
  );
}
