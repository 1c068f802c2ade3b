/**
 * Text to speech with a transformers.js VITS model (MMS-TTS and other VITS exports) in a Worker
 * of its own, on onnxruntime-web (WebGPU where there is a hardware adapter, else WebAssembly). Model files are asked of the node's host
 * (its asset service), never of a hub. Side effect (entry file): exposes the API with comlink.
 */
import { expose, transfer } from 'comlink';
import type { TextToAudioPipeline } from '@huggingface/transformers';
import { pipeline } from '@huggingface/transformers';
import type { ModelDevice, ModelDeviceChoice, ModelProgress } from './model-files';
import { answerModelFiles, loadOnDevice, progressReporter } from './model-files';

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
    choice: ModelDeviceChoice,
  ): Promise<ModelDevice>;
  /** `text` spoken: mono samples and their rate. */
  speak(text: string): Promise<{ samples: Float32Array; rate: number }>;
}

const api: VitsApi = {
  async load(folder, files, progress, choice) {
    open = files;
    const loaded = await loadOnDevice(choice, (device) =>
      pipeline('text-to-speech', folder, { dtype: 'fp32', device, progress_callback: progressReporter(progress) }),
    );
    tts = loaded.model;
    return { device: loaded.device, reason: loaded.reason };
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
