/**
 * Speech to text with transformers.js (Whisper family) in a Worker of its own, on
 * onnxruntime-web (WebGPU where there is a hardware adapter, else WebAssembly). Model files are asked of the node's host (its asset
 * service, `models/<folder>/…`), never of a hub. Side effect (entry file): exposes the API with comlink.
 */
import { expose } from 'comlink';
import type { AutomaticSpeechRecognitionPipeline } from '@huggingface/transformers';
import { pipeline } from '@huggingface/transformers';
import type { ModelDevice, ModelDeviceChoice, ModelProgress } from './model-files';
import { answerModelFiles, loadOnDevice, progressReporter } from './model-files';

let open: ((path: string) => Promise<Blob>) | undefined;
answerModelFiles(() => open);

let asr: AutomaticSpeechRecognitionPipeline | undefined;

/** What the speech-to-text node may ask. */
export interface WhisperApi {
  /** Loads model folder `folder` (under the host's `models/`), asking `files` for its files. */
  load(
    folder: string,
    files: (path: string) => Promise<Blob>,
    progress: (progress: ModelProgress) => void,
    choice: ModelDeviceChoice,
  ): Promise<{ multilingual: boolean } & ModelDevice>;
  /** The text of one speech segment (16 kHz mono). */
  transcribe(samples: Float32Array, options: { language?: string; maxNewTokens: number }): Promise<string>;
}

const api: WhisperApi = {
  async load(folder, files, progress, choice) {
    open = files;
    const loaded = await loadOnDevice(choice, (device) =>
      pipeline('automatic-speech-recognition', folder, {
        dtype: 'fp32',
        device,
        progress_callback: progressReporter(progress),
      }),
    );
    asr = loaded.model;
    const config = asr.model.generation_config as { is_multilingual?: boolean } | undefined;
    return { multilingual: config?.is_multilingual === true, device: loaded.device, reason: loaded.reason };
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
