/**
 * `plugin::native::kokoro` (StreamKit's kind and params): text to speech with Kokoro-82M through
 * kokoro-js (eSpeak NG phonemes, StyleTTS 2 on transformers.js) in a Worker shared by the session
 * (the model loads once). Each text packet (a sentence from `core::text_chunker`) becomes 24 kHz
 * mono audio. The model folder is a transformers.js Kokoro export (onnx-community's layout, with
 * `voices/<name>.bin`) under the host's `models/`; StreamKit's sherpa-onnx folder name can be
 * mapped onto one (models.json, or the studio's Models).
 */
import { z } from 'zod';
import { defineNode } from '../../engine';
import type { NodeContext } from '../../engine';
import type { KokoroApi } from './kokoro.worker';
import type { ModelWorker } from './model-worker';
import { deviceChoice, sharedModelWorker } from './model-worker';
import { speakSentences } from './speech-out';
import { modelFolder } from './translate';

const params = z.strictObject({
  /** A transformers.js Kokoro export under the host's models (`models/Kokoro-82M-v1.0-ONNX`). */
  model_dir: z.string().min(1),
  /** sherpa-onnx's speaker number: an index into the model's voices in kokoro-js's order (v1.0: 0 is af_alloy). */
  speaker_id: z.number().int().min(0).max(102).default(50),
  /** A voice by name (Weft's, e.g. `af_heart`); it wins over `speaker_id`. */
  voice: z
    .string()
    .regex(/^[a-z]{2}_[a-z]+$/, "a Kokoro voice name such as 'af_heart'")
    .optional(),
  speed: z.number().min(0.5).max(2).default(1),
  /** Accepted for StreamKit; onnxruntime-web decides its threads. */
  num_threads: z.number().int().min(1).max(16).default(4),
  /** Shorter texts wait to be joined with the next (StreamKit's sentence batching). */
  min_sentence_length: z.number().int().min(0).max(1000).default(10),
  /** Where the model runs (`cuda`/`tensorrt` mean WebGPU); unset, WebGPU where there is a hardware adapter. */
  execution_provider: z.enum(['auto', 'cpu', 'cuda', 'tensorrt']).optional(),
  /** Report `tts.start` / `tts.done` telemetry per sentence, as StreamKit does. */
  emit_telemetry: z.boolean().default(false),
  telemetry_preview_chars: z.number().int().min(0).max(1000).default(80),
});
type Params = z.infer<typeof params>;

function sharedKokoro(ctx: NodeContext<Params>): Promise<ModelWorker<KokoroApi, { voices: string[] }>> {
  const folder = modelFolder(ctx.params.model_dir);
  return sharedModelWorker<KokoroApi, { voices: string[] }>(ctx, {
    device: deviceChoice(ctx.params.execution_provider),
    key: 'kokoro',
    folder,
    spawn: () => new Worker(new URL('./kokoro.worker.ts', import.meta.url), { type: 'module', name: 'weft-kokoro' }),
    what: `the Kokoro model 'models/${folder}'`,
  });
}

export const kokoro = defineNode({
  kind: 'plugin::native::kokoro',
  version: 1,
  description:
    'Text to speech with Kokoro-82M (kokoro-js on transformers.js, WebGPU or WebAssembly): each sentence becomes 24 kHz mono audio.',
  categories: ['ml', 'audio'],
  params,
  inputs: [{ name: 'in', accepts: [{ kind: 'text' }, { kind: 'transcription' }], cardinality: 'one' }],
  outputs: [{ name: 'out', produces: { kind: 'raw_audio' }, cardinality: 'broadcast' }],
  // The model loads while the node is initializing, which the stall watchdog waits for.
  create: async (ctx) => {
    const { api, loaded } = await sharedKokoro(ctx);
    const p = ctx.params;
    const voice = p.voice ?? loaded.voices[p.speaker_id];
    if (voice === undefined || !loaded.voices.includes(voice)) {
      throw ctx.error(
        p.voice === undefined
          ? `speaker_id ${p.speaker_id} is not one of this model's ${loaded.voices.length} voices (0–${loaded.voices.length - 1}); or name one with 'voice'`
          : `the voice '${p.voice}' is not one of this model's: ${loaded.voices.join(', ')}`,
        { phase: 'start' },
      );
    }
    const problem = await api.voiceProblem(voice);
    if (problem !== null) throw ctx.error(`the voice '${voice}' cannot be used: ${problem}`, { phase: 'start' });
    const preview = (text: string) =>
      [...text].length > p.telemetry_preview_chars
        ? `${[...text].slice(0, p.telemetry_preview_chars).join('')}…`
        : text;
    return {
      run: (io) =>
        speakSentences(ctx, io, p.min_sentence_length, async (text) => {
          const about = {
            text_length: text.length,
            text_preview: preview(text),
            speaker_id: p.speaker_id,
            voice,
            speed: p.speed,
            device: loaded.device,
          };
          const started = performance.now();
          if (p.emit_telemetry) ctx.telemetry({ type_id: 'tts.start', data: about });
          const speech = await api.speak(text, { voice, speed: p.speed });
          if (p.emit_telemetry) {
            ctx.telemetry({
              type_id: 'tts.done',
              data: {
                ...about,
                audio_samples: speech.samples.length,
                audio_duration_ms: Math.round((speech.samples.length * 1000) / speech.rate),
                latency_ms: Math.round(performance.now() - started),
              },
            });
          }
          return speech;
        }),
    };
  },
});
