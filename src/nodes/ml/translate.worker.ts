/**
 * Text translation with transformers.js (OPUS-MT / Marian, NLLB) in a Worker of its own, on
 * onnxruntime-web (WebGPU where there is a hardware adapter, else WebAssembly). Model files are asked of the node's host (its asset
 * service), never of a hub. Side effect (entry file): exposes the API with comlink.
 */
import { expose } from 'comlink';
import type { TranslationPipeline } from '@huggingface/transformers';
import { pipeline } from '@huggingface/transformers';
import type { ModelDevice, ModelDeviceChoice, ModelProgress } from './model-files';
import { answerModelFiles, loadOnDevice, progressReporter } from './model-files';

let open: ((path: string) => Promise<Blob>) | undefined;
answerModelFiles(() => open);

let translator: TranslationPipeline | undefined;

/** What the translation node may ask. */
export interface TranslateApi {
  /** Loads model folder `folder` (under the host's `models/`), asking `files` for its files. */
  load(
    folder: string,
    files: (path: string) => Promise<Blob>,
    progress: (progress: ModelProgress) => void,
    choice: ModelDeviceChoice,
  ): Promise<ModelDevice>;
  /** `text` translated; NLLB models take `src_lang` / `tgt_lang` codes, OPUS-MT ones a fixed pair. */
  translate(text: string, options: { maxNewTokens: number; srcLang?: string; tgtLang?: string }): Promise<string>;
}

const api: TranslateApi = {
  async load(folder, files, progress, choice) {
    open = files;
    const loaded = await loadOnDevice(choice, (device) =>
      pipeline('translation', folder, { dtype: 'fp32', device, progress_callback: progressReporter(progress) }),
    );
    translator = loaded.model;
    return { device: loaded.device, reason: loaded.reason };
  },
  async translate(text, options) {
    if (!translator) throw new Error('no translation model is loaded');
    const out = await translator(text, {
      max_new_tokens: options.maxNewTokens,
      ...(options.srcLang ? { src_lang: options.srcLang } : {}),
      ...(options.tgtLang ? { tgt_lang: options.tgtLang } : {}),
    });
    const results = (Array.isArray(out) ? out : [out]) as { translation_text: string }[];
    return results
      .map((r) => r.translation_text)
      .join(' ')
      .trim();
  },
};

expose(api);
