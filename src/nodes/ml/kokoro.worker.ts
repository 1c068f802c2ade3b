/**
 * Text to speech with Kokoro (StyleTTS 2) through kokoro-js, on transformers.js and onnxruntime-web
 * (WebGPU where there is a hardware adapter, else WebAssembly), in a Worker of its own. kokoro-js
 * phonemizes with eSpeak NG (its `phonemizer` package) and reads each voice's style vectors; the
 * model folder and the voices (`voices/<name>.bin`) are asked of the node's host, never of a hub.
 * Side effect (entry file): exposes the API with comlink.
 */
import { expose, transfer } from 'comlink';
import { KokoroTTS } from 'kokoro-js';
import type { ModelDevice, ModelDeviceChoice, ModelProgress } from './model-files';
import { answerModelFiles, loadOnDevice, progressReporter } from './model-files';

/** Where kokoro-js fetches voices from (a hub URL it names itself): answered from the model folder instead. */
const KOKORO_VOICES =
  /^https:\/\/huggingface\.co\/onnx-community\/Kokoro-82M-v1\.0-ONNX\/resolve\/main\/voices\/([a-z_]+\.bin)$/;

/** A voice file: 510 style rows (one per token count) of 256 floats. */
const VOICE_BYTES = 510 * 256 * 4;

let open: ((path: string) => Promise<Blob>) | undefined;
let folder = '';
answerModelFiles(
  () => open,
  (url) => {
    const voice = KOKORO_VOICES.exec(url)?.[1];
    return voice === undefined ? undefined : `${folder}/voices/${voice}`;
  },
);

let tts: KokoroTTS | undefined;

/** What the Kokoro node may ask. */
export interface KokoroApi {
  /** Loads model folder `folder` (under the host's `models/`), asking `files` for its files. */
  load(
    folder: string,
    files: (path: string) => Promise<Blob>,
    progress: (progress: ModelProgress) => void,
    choice: ModelDeviceChoice,
  ): Promise<{ voices: string[] } & ModelDevice>;
  /** Why the model folder cannot speak with `voice` (its file is missing or not a Kokoro voice), or null. */
  voiceProblem(voice: string): Promise<string | null>;
  /** `text` spoken by `voice` at `speed`: mono samples and their rate. */
  speak(text: string, options: { voice: string; speed: number }): Promise<{ samples: Float32Array; rate: number }>;
}

const api: KokoroApi = {
  async load(name, files, progress, choice) {
    open = files;
    folder = name;
    const loaded = await loadOnDevice(choice, (device) =>
      KokoroTTS.from_pretrained(name, { dtype: 'fp32', device, progress_callback: progressReporter(progress) }),
    );
    tts = loaded.model;
    return { voices: Object.keys(tts.voices), device: loaded.device, reason: loaded.reason };
  },
  async voiceProblem(voice) {
    const path = `models/${folder}/voices/${voice}.bin`;
    try {
      const bytes = (await open?.(path))?.size ?? 0;
      return bytes === VOICE_BYTES ? null : `'${path}' is ${bytes} bytes, not a Kokoro voice (${VOICE_BYTES})`;
    } catch (error) {
      return `'${path}' could not be read (${(error as Error).message})`;
    }
  },
  async speak(text, options) {
    if (!tts) throw new Error('no Kokoro model is loaded');
    const audio = await tts.generate(text, { voice: options.voice as never, speed: options.speed });
    const samples = audio.data.slice(); // the chunks, joined
    return transfer({ samples, rate: audio.sampling_rate }, [samples.buffer]);
  },
};

expose(api);
