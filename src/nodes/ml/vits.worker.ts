/**
 * Text to speech with a transformers.js VITS model (MMS-TTS and other VITS exports) in a Worker
 * of its own, on onnxruntime-web's WebAssembly backend. Model files are asked of the node's host
 * (its asset service), never of a hub. Side effect (entry file): exposes the API with comlink.
 */
import { expose, transfer } from 'comlink';
import type { TextToAudioPipeline } from '@huggingface/transformers';
import { pipeline } from '@huggingface/transformers';
import type { ModelProgress } from './model-files';
import { answerModelFiles, progressReporter } from './model-files';

let open: ((path: string) => Promise<Blob>) | undefined;
answerModelFiles(() => open);

let tts: TextToAudioPipeline | undefined;

/** What the TTS node may ask. */
export interface VitsApi {
  /** Loads model folder `folder` (under the host's `models/`), asking `files` for its files. */
  load(
    folder: string,
    files: (path: string) => Promise<Blob>,
    progress: (progress: ModelProgress) => void,
  ): Promise<void>;
  /** `text` spoken: mono samples and their rate. */
  speak(text: string): Promise<{ samples: Float32Array; rate: number }>;
}

const api: VitsApi = {
  async load(folder, files, progress) {
    open = files;
    tts = await pipeline('text-to-speech', folder, {
      dtype: 'fp32',
      device: 'wasm',
      progress_callback: progressReporter(progress),
    });
  },
  async speak(text) {
    if (!tts) throw new Error('no TTS model is loaded');
    const out = await tts(text);
    const audio = (Array.isArray(out) ? out[0] : out) as { audio: Float32Array; sampling_rate: number } | undefined;
    if (!audio) throw new Error('the model made no audio');
    const samples = audio.audio.slice();
    return transfer({ samples, rate: audio.sampling_rate }, [samples.buffer]);
  },
};

expose(api);
