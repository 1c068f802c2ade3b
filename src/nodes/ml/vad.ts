/**
 * `plugin::native::vad` (StreamKit's kind and params): voice activity detection with Silero VAD on
 * onnxruntime-web, in a Worker shared by the session's VAD nodes (the model loads once). Input is
 * 16 kHz audio (several channels are averaged); `events` mode emits StreamKit's `plugin::native::vad/vad-event@1` packets
 * (`speech_start` with its time, `speech_end` with its duration), `filtered_audio` passes only the
 * audio packets that hold speech. With no Silero model configured (StreamKit's samples name
 * ten-vad, a sherpa-onnx model), the Silero v5 weights that ship in `@ricky0123/vad-web` are used.
 */
import { transfer, wrap } from 'comlink';
import type { Remote } from 'comlink';
import { z } from 'zod';
import type { NodeContext, OutputPinSpec, Packet } from '../../engine';
import { closePacket, defineNode, micros } from '../../engine';
import { readPlanar } from '../media/audio-data';
import type { SileroApi } from './silero.worker';
import { SpeechSegmenter } from './speech-segments';

/** StreamKit's type id of VAD events. */
export const VAD_EVENT_TYPE_ID = 'plugin::native::vad/vad-event@1';
/** The rate Silero (and StreamKit's VAD) works at. */
export const VAD_RATE = 16_000;
/** Samples per Silero frame. */
export const FRAME = 512;
const FRAME_MS = (FRAME * 1000) / VAD_RATE;

const params = z.strictObject({
  /** A Silero model among the host's assets; anything else (ten-vad) means the bundled Silero v5. */
  model_path: z.string().default('models/ten-vad.onnx'),
  output_mode: z.enum(['events', 'filtered_audio']).default('events'),
  threshold: z.number().min(0).max(1).default(0.5),
  min_silence_duration_s: z.number().min(0).max(10).default(0.5),
  min_speech_duration_s: z.number().min(0).max(10).default(0.25),
  max_speech_duration_s: z.number().positive().max(600).default(30),
  /** Accepted for StreamKit; Silero reads 512-sample (32 ms) windows. */
  window_size: z.number().int().positive().default(FRAME),
  num_threads: z.number().int().min(1).max(64).default(1),
  provider: z.string().default('cpu'),
  debug: z.boolean().default(false),
});
export interface SharedVad {
  api: Remote<SileroApi>;
  worker: Worker;
}

/** The Silero v5 weights `@ricky0123/vad-web` ships, from Weft's own build (imported only in a browser). */
async function fetchBundledModel(signal: AbortSignal): Promise<ArrayBuffer> {
  const { default: url } = await import('@ricky0123/vad-web/dist/silero_vad_v5.onnx?url');
  return (await fetch(new URL(url, globalThis.location.href), { signal })).arrayBuffer();
}

/** StreamKit's default VAD model path of its Whisper node: the bundled Silero stands in when it is absent. */
export const STREAMKIT_DEFAULT_VAD = 'models/silero_vad.onnx';

/**
 * The session's Silero worker for `modelPath`, loaded once per model: the host's model when the
 * path names a Silero one (failing, naming it, when it is not there, unless `fallback`: then the
 * bundled one stands in), else the bundled Silero v5.
 */
export function sharedVad(ctx: NodeContext<unknown>, modelPath: string, fallback = false): Promise<SharedVad> {
  const own = /silero/i.test(modelPath) && ctx.host.openAsset ? modelPath : undefined;
  // Loading is not cancelled with a node: the model is the session's, shared by its nodes.
  const signal = new AbortController().signal;
  return ctx.shared(
    `silero-vad:${own ?? 'bundled-v5'}`,
    async () => {
      let bytes: ArrayBuffer | undefined;
      try {
        bytes = own ? await (await ctx.host.openAsset?.(own, signal))?.arrayBuffer() : undefined;
      } catch (error) {
        if (!fallback)
          throw ctx.error(
            `the VAD model '${own ?? ''}' could not be read: ${(error as Error).message}; Weft looks for models/… in the server's --models folder (then --assets), or the studio's assets; name no Silero model (e.g. StreamKit's models/ten-vad.onnx) to use the bundled Silero v5`,
            { phase: 'start', cause: error },
          );
      }
      bytes ??= await fetchBundledModel(signal);
      const worker = new Worker(new URL('./silero.worker.ts', import.meta.url), { type: 'module', name: 'weft-vad' });
      const api = wrap<SileroApi>(worker);
      try {
        await api.load(transfer(bytes, [bytes]));
      } catch (error) {
        worker.terminate();
        throw ctx.error(`the VAD model could not be loaded: ${(error as Error).message}`, {
          phase: 'start',
          cause: error,
        });
      }
      return { api, worker };
    },
    (vad) => vad.worker.terminate(),
  );
}

/** The channels averaged into one (the model hears one channel). */
export function mono(channels: Float32Array[]): Float32Array {
  const [first, ...rest] = channels;
  if (!first) return new Float32Array(0);
  if (rest.length === 0) return first;
  const out = first.slice();
  for (const c of rest) for (let i = 0; i < out.length; i++) out[i] = (out[i] ?? 0) + (c[i] ?? 0);
  for (let i = 0; i < out.length; i++) out[i] = (out[i] ?? 0) / channels.length;
  return out;
}

export const vad = defineNode({
  kind: 'plugin::native::vad',
  version: 1,
  description:
    'Voice activity detection (Silero VAD in WebAssembly): speech_start / speech_end events, or only the audio that holds speech. 16 kHz in.',
  categories: ['ml', 'audio'],
  params,
  inputs: [{ name: 'in', accepts: [{ kind: 'raw_audio' }], cardinality: 'one' }],
  outputs: (p): OutputPinSpec[] => [
    {
      name: 'out',
      produces: p.output_mode === 'events' ? { kind: 'json', type_id: VAD_EVENT_TYPE_ID } : { kind: 'raw_audio' },
      cardinality: 'broadcast',
    },
  ],
  // The model loads while the node is initializing, which the stall watchdog waits for.
  create: async (ctx) => {
    const shared = await sharedVad(ctx, ctx.params.model_path);
    let stream: { vad: SharedVad; id: number } | undefined;
    return {
      async run(io) {
        const p = ctx.params;
        stream = { vad: shared, id: await shared.api.open() };
        const out = io.output('out');
        const segments = new SpeechSegmenter({
          threshold: p.threshold,
          minSilenceMs: p.min_silence_duration_s * 1000,
          minSpeechMs: p.min_speech_duration_s * 1000,
          maxSpeechMs: p.max_speech_duration_s * 1000,
          frameMs: FRAME_MS,
        });
        let originMs: number | undefined;
        let framed = 0;
        /** Audio packets of a segment not yet confirmed (filtered mode). */
        let held: Packet[] = [];
        const event = (data: Record<string, unknown>, atMs: number): Promise<void> =>
          out.send({ kind: 'json', type_id: VAD_EVENT_TYPE_ID, data, meta: { timestamp: micros(atMs * 1000) } });
        try {
          for await (const packet of io.input('in')) {
            if (packet.kind !== 'raw_audio') {
              closePacket(packet);
              throw ctx.error(`expects raw audio, got a ${packet.kind} packet`, { pin: 'in' });
            }
            const data = packet.data;
            if (data.sampleRate !== VAD_RATE) {
              const got = data.sampleRate;
              closePacket(packet);
              throw ctx.error(
                `expects 16 kHz audio, got ${got} Hz; put audio::resampler (target_sample_rate: 16000) before it`,
                { pin: 'in' },
              );
            }
            originMs ??= (packet.meta.timestamp ?? 0) / 1000;
            const samples = mono(readPlanar(data).channels);
            const probabilities = await shared.api.push(stream.id, transfer(samples, [samples.buffer]));
            let confirmed = false;
            let ended = false;
            for (const probability of probabilities) {
              const atMs = originMs + (framed * 1000) / VAD_RATE;
              framed += FRAME;
              const verdict = segments.push(probability, atMs);
              confirmed ||= verdict.confirmed;
              for (const e of verdict.events) {
                if (e.type === 'end') ended = true;
                if (p.output_mode === 'events') {
                  await (e.type === 'start'
                    ? event({ event_type: 'speech_start', timestamp_ms: Math.round(e.atMs) }, e.atMs)
                    : event(
                        {
                          event_type: 'speech_end',
                          timestamp_ms: Math.round(e.atMs),
                          duration_ms: Math.round(e.durationMs),
                        },
                        e.atMs,
                      ));
                }
              }
            }
            if (p.output_mode === 'events') {
              closePacket(packet);
              continue;
            }
            // filtered_audio: speech packets go on; those of a segment still unconfirmed wait.
            if (confirmed) {
              for (const h of held) await out.send(h);
              held = [];
            }
            if (segments.inSpeech && !segments.confirmedSpeech) held.push(packet);
            else if (segments.inSpeech || ended || confirmed) await out.send(packet);
            else {
              for (const h of held) closePacket(h);
              held = [];
              closePacket(packet);
            }
          }
          const last = (originMs ?? 0) + (framed * 1000) / VAD_RATE;
          for (const e of segments.flush(last)) {
            if (e.type === 'end' && p.output_mode === 'events')
              await event(
                { event_type: 'speech_end', timestamp_ms: Math.round(e.atMs), duration_ms: Math.round(e.durationMs) },
                e.atMs,
              );
          }
        } finally {
          for (const h of held) closePacket(h);
        }
      },
      async close() {
        if (stream) await stream.vad.api.close(stream.id);
        stream = undefined;
      },
    };
  },
});
