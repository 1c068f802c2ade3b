/**
 * Text translation with transformers.js (OPUS-MT / Marian, NLLB) in a Worker of its own, on
 * onnxruntime-web's WebAssembly backend. Model files are asked of the node's host (its asset
 * service), never of a hub. Side effect (entry file): exposes the API with comlink.
 */
import { expose } from 'comlink';
import type { TranslationPipeline } from '@huggingface/transformers';
import { pipeline } from '@huggingface/transformers';
import type { ModelProgress } from './model-files';
import { answerModelFiles, progressReporter } from './model-files';

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
  ): Promise<void>;
  /** `text` translated; NLLB models take `src_lang` / `tgt_lang` codes, OPUS-MT ones a fixed pair. */
  translate(text: string, options: { maxNewTokens: number; srcLang?: string; tgtLang?: string }): Promise<string>;
}

const api: TranslateApi = {
  async load(folder, files, progress) {
    open = files;
    translator = await pipeline('translation', folder, {
      dtype: 'fp32',
      device: 'wasm',
      progress_callback: progressReporter(progress),
    });
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
