/**
 * `plugin::native::whisper` (StreamKit's kind and the params that make sense here): speech to text
 * with a Whisper model on transformers.js, in a Worker of its own shared by the session (the model
 * loads once). Silero VAD cuts the 16 kHz audio into speech segments (`vad_threshold`,
 * `min_silence_duration_ms`, `max_segment_duration_secs`); each segment becomes one `Transcription`
 * packet with its time. Models come from the host's `models/` folder: StreamKit's whisper.cpp file
 * names (`models/ggml-base.en-q5_1.bin`) map onto transformers.js folders (`models/whisper-base.en`).
 */
import { z } from 'zod';
import type { Micros, NodeContext } from '../../engine';
import { closePacket, defineNode, micros } from '../../engine';
import { readPlanar } from '../media/audio-data';
import type { SpeechEvent } from './speech-segments';
import { SpeechSegmenter } from './speech-segments';
import { FRAME, mono, sharedVad, STREAMKIT_DEFAULT_VAD, VAD_RATE } from './vad';
import type { ModelWorker } from './model-worker';
import { deviceChoice, sharedModelWorker } from './model-worker';
import type { WhisperApi } from './whisper.worker';

/** Audio kept from before a segment's onset, so its first syllable is not cut (ms). */
const PRE_ROLL_MS = 200;
/** Shortest speech worth transcribing (ms). */
const MIN_SPEECH_MS = 250;

const params = z.strictObject({
  /** A transformers.js Whisper folder under the host's models (`models/whisper-base.en`), or StreamKit's ggml file name. */
  model_path: z.string().default('models/ggml-base.en-q5_1.bin'),
  /** The spoken language (multilingual models); English-only models ignore it. */
  language: z
    .string()
    .regex(/^[a-z]{2,3}$/, "a language code such as 'en'")
    .default('en'),
  vad_model_path: z.string().default(STREAMKIT_DEFAULT_VAD),
  vad_threshold: z.number().min(0).max(1).default(0.5),
  min_silence_duration_ms: z.number().int().min(100).max(5000).default(700),
  max_segment_duration_secs: z.number().min(5).max(120).default(30),
  /** Most tokens a segment may produce (Weft's; Whisper's own limit is 448). */
  max_new_tokens: z.number().int().min(1).max(440).default(224),
  /** Accepted for StreamKit; transformers.js decides these itself. */
  n_threads: z.number().int().min(0).max(32).default(0),
  /** WebGPU (true) or WebAssembly (false); unset, WebGPU where there is a hardware adapter. */
  use_gpu: z.boolean().optional(),
  gpu_device: z.number().int().min(0).max(7).default(0),
  suppress_blank: z.boolean().default(true),
  suppress_non_speech_tokens: z.boolean().default(true),
  /** Report speech start/end as telemetry (`vad.speech_start`, `vad.speech_end`), as StreamKit does; not on a pin. */
  emit_vad_events: z.boolean().default(false),
});
type Params = z.infer<typeof params>;

/** The model folder a `model_path` names: StreamKit's whisper.cpp files map to transformers.js folders. */
export function whisperFolder(modelPath: string): string {
  const name = modelPath.replace(/^(?:\.\/)?models\//, '');
  const ggml = /^ggml-(tiny|base|small|medium|large(?:-v\d)?(?:-turbo)?)(\.en)?(?:-q\d_\d)?\.bin$/.exec(name);
  return ggml ? `whisper-${ggml[1] ?? ''}${ggml[2] ?? ''}` : name.replace(/\/+$/, '');
}

function sharedWhisper(ctx: NodeContext<Params>): Promise<ModelWorker<WhisperApi, { multilingual: boolean }>> {
  const folder = whisperFolder(ctx.params.model_path);
  return sharedModelWorker<WhisperApi, { multilingual: boolean }>(ctx, {
    device: deviceChoice(ctx.params.use_gpu),
    key: 'whisper',
    folder,
    spawn: () => new Worker(new URL('./whisper.worker.ts', import.meta.url), { type: 'module', name: 'weft-whisper' }),
    what: `the Whisper model 'models/${folder}' (model_path '${ctx.params.model_path}')`,
  });
}

/** StreamKit's out-of-band VAD events of its Whisper node: `vad.speech_start` and `vad.speech_end` telemetry. */
function vadTelemetry(ctx: NodeContext<Params>) {
  let counter = 0;
  let segmentId: string | undefined;
  let startMs = 0;
  return {
    start(atMs: number, probability: number): void {
      counter += 1;
      startMs = Math.round(atMs);
      segmentId = `seg-${startMs}-${counter}`;
      ctx.telemetry({
        type_id: 'vad.speech_start',
        data: {
          segment_id: segmentId,
          start_time_ms: startMs,
          speech_probability: probability,
          threshold: ctx.params.vad_threshold,
        },
      });
    },
    end(e: Extract<SpeechEvent, { type: 'end' }>): void {
      if (segmentId === undefined) return;
      const end = Math.round(e.atMs);
      ctx.telemetry({
        type_id: 'vad.speech_end',
        data: {
          segment_id: segmentId,
          start_time_ms: startMs,
          end_time_ms: end,
          duration_ms: end - startMs,
          reason: e.reason,
        },
      });
      segmentId = undefined;
    },
  };
}

export const whisper = defineNode({
  kind: 'plugin::native::whisper',
  version: 1,
  description:
    'Speech to text (Whisper on transformers.js, WebGPU or WebAssembly): Silero VAD cuts 16 kHz audio into speech segments, each one Transcription packet with its time.',
  categories: ['ml', 'audio'],
  params,
  inputs: [{ name: 'in', accepts: [{ kind: 'raw_audio' }], cardinality: 'one' }],
  outputs: [{ name: 'out', produces: { kind: 'transcription' }, cardinality: 'broadcast' }],
  // The models load while the node is initializing, which the stall watchdog waits for.
  create: async (ctx) => {
    const [model, vad] = await Promise.all([
      sharedWhisper(ctx),
      sharedVad(ctx, ctx.params.vad_model_path, ctx.params.vad_model_path === STREAMKIT_DEFAULT_VAD),
    ]);
    let vadStream: { close: () => Promise<void> } | undefined;
    return {
      async run(io) {
        const p = ctx.params;
        const stream = await vad.api.open();
        vadStream = { close: () => vad.api.close(stream) };
        const segments = new SpeechSegmenter({
          threshold: p.vad_threshold,
          minSilenceMs: p.min_silence_duration_ms,
          minSpeechMs: MIN_SPEECH_MS,
          maxSpeechMs: p.max_segment_duration_secs * 1000,
          frameMs: (FRAME * 1000) / VAD_RATE,
        });
        const out = io.output('out');
        const vadEvents = p.emit_vad_events ? vadTelemetry(ctx) : undefined;
        const language = model.loaded.multilingual ? p.language : undefined;
        /** Samples since `heldFromMs` (a pre-roll while silent, the segment while speaking). */
        let held: Float32Array[] = [];
        let heldFromMs = 0;
        let heldSamples = 0;
        let originMs: number | undefined;
        let framed = 0;
        let received = 0;
        const preRoll = (PRE_ROLL_MS * VAD_RATE) / 1000;
        const emit = async (startMs: number, endMs: number): Promise<void> => {
          const from = Math.max(0, Math.round(((startMs - PRE_ROLL_MS - heldFromMs) * VAD_RATE) / 1000));
          const to = Math.round(((endMs - heldFromMs) * VAD_RATE) / 1000);
          const all = new Float32Array(heldSamples);
          let at = 0;
          for (const part of held) {
            all.set(part, at);
            at += part.length;
          }
          const samples = all.slice(from, Math.min(all.length, to));
          const text = await model.api.transcribe(samples, {
            ...(language ? { language } : {}),
            maxNewTokens: p.max_new_tokens,
          });
          const start: Micros = micros(Math.round(startMs * 1000));
          const end: Micros = micros(Math.round(endMs * 1000));
          await out.send({
            kind: 'transcription',
            text,
            segments: [{ text, start, end }],
            ...(language ? { language } : {}),
            meta: { timestamp: start, duration: micros(end - start) },
          });
        };
        for await (const packet of io.input('in')) {
          if (packet.kind !== 'raw_audio') {
            closePacket(packet);
            throw ctx.error(`expects raw audio, got a ${packet.kind} packet`, { pin: 'in' });
          }
          if (packet.data.sampleRate !== VAD_RATE) {
            const got = packet.data.sampleRate;
            closePacket(packet);
            throw ctx.error(
              `expects 16 kHz audio, got ${got} Hz; put audio::resampler (target_sample_rate: 16000) before it`,
              { pin: 'in' },
            );
          }
          originMs ??= (packet.meta.timestamp ?? 0) / 1000;
          const samples = mono(readPlanar(packet.data).channels);
          closePacket(packet);
          if (heldSamples === 0) heldFromMs = originMs + (received * 1000) / VAD_RATE;
          held.push(samples);
          heldSamples += samples.length;
          received += samples.length;
          const probabilities = await vad.api.push(stream, samples.slice());
          for (const probability of probabilities) {
            const atMs = originMs + (framed * 1000) / VAD_RATE;
            framed += FRAME;
            for (const e of segments.push(probability, atMs).events) {
              if (e.type === 'start') vadEvents?.start(e.atMs, probability);
              else {
                vadEvents?.end(e);
                await emit(e.startMs, e.atMs);
              }
            }
          }
          // While silent, keep only the pre-roll: memory stays flat between segments.
          if (!segments.inSpeech && heldSamples > preRoll * 2) {
            const all = new Float32Array(heldSamples);
            let at = 0;
            for (const part of held) {
              all.set(part, at);
              at += part.length;
            }
            const keep = all.slice(all.length - preRoll);
            heldFromMs += ((all.length - preRoll) * 1000) / VAD_RATE;
            held = [keep];
            heldSamples = keep.length;
          }
        }
        const last = (originMs ?? 0) + (framed * 1000) / VAD_RATE;
        for (const e of segments.flush(last)) {
          if (e.type !== 'end') continue;
          vadEvents?.end(e);
          await emit(e.startMs, e.atMs);
        }
      },
      async close() {
        await vadStream?.close();
        vadStream = undefined;
      },
    };
  },
});
