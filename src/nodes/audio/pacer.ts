/**
 * `audio::pacer` (StreamKit): lets raw audio through at wall-clock speed and, for live use, keeps the
 * output continuous by inserting silence when the input runs dry.
 */
import { z } from 'zod';
import type { EndOfStream, Micros, Packet } from '../../engine';
import { END_OF_STREAM, PacketQueue, defineNode, micros } from '../../engine';
import { framesToMicros, makeAudioData, readPlanar } from '../media/audio-data';
import { requireKind } from '../media/require-kind';

const params = z.strictObject({
  /** Playback speed: 2 sends twice as fast as real time. Live-tunable. */
  speed: z.number().positive().max(100).default(1),
  /** Frames read ahead of the pacing point. */
  buffer_size: z.number().int().min(1).max(4096).default(32),
  /** Insert silence when no audio arrives in time, so the output never stalls. */
  generate_silence: z.boolean().default(true),
  /** With `initial_channels`: the format of the silence sent before the first frame arrives. */
  initial_sample_rate: z.number().int().min(8_000).max(384_000).nullable().default(null),
  initial_channels: z.number().int().min(1).max(32).nullable().default(null),
});

/** Length of an inserted silence frame when no input frame has set one: 20 ms, Opus' frame size. */
const SILENCE_FRAME_US = 20_000;

interface Format {
  sampleRate: number;
  channels: number;
  /** Frames per chunk, taken from the last input chunk. */
  frames: number;
}

function silence(format: Format, timestamp: Micros): Packet {
  const data = makeAudioData({
    sampleRate: format.sampleRate,
    channels: Array.from({ length: format.channels }, () => new Float32Array(format.frames)),
    timestamp,
  });
  return { kind: 'raw_audio', data, meta: { timestamp, duration: framesToMicros(format.frames, format.sampleRate) } };
}

/** Moves a chunk to `timestamp` (a copy; the original is closed). */
function restamp(data: AudioData, timestamp: Micros): AudioData {
  const planar = readPlanar(data);
  data.close();
  return makeAudioData({ ...planar, timestamp });
}

/** `audio::pacer`: real-time release of raw audio, filling gaps with silence. */
export const audioPacer = defineNode({
  kind: 'audio::pacer',
  version: 1,
  description:
    'Releases raw audio at wall-clock speed (scaled by speed); inserts silence when the input runs dry so live output stays continuous.',
  categories: ['audio', 'timing'],
  params,
  liveParams: ['speed'],
  inputs: [{ name: 'in', accepts: [{ kind: 'raw_audio' }], cardinality: 'one' }],
  outputs: [{ name: 'out', produces: { kind: 'passthrough' }, cardinality: 'broadcast' }],
  create(ctx) {
    const p = ctx.params;
    let speed = p.speed;
    let format: Format | undefined =
      p.initial_sample_rate && p.initial_channels
        ? {
            sampleRate: p.initial_sample_rate,
            channels: p.initial_channels,
            frames: Math.round((p.initial_sample_rate * SILENCE_FRAME_US) / 1_000_000),
          }
        : undefined;
    // Output position (µs of media sent; starts at the first frame's timestamp, or 0 with initial
    // silence) and the wall time at which position `origin` was due.
    let position: number | undefined;
    let baseline: { origin: number; wallOrigin: number } | undefined;
    const ahead = new PacketQueue('reliable', p.buffer_size);
    const dueAt = (at: number): number => (baseline ? baseline.wallOrigin + (at - baseline.origin) / speed : 0);

    return {
      tune(next) {
        if (baseline && position !== undefined) baseline = { origin: position, wallOrigin: ctx.clock.now() };
        speed = next.speed;
      },
      async run(io) {
        const out = io.output('out');
        const reader = (async () => {
          for await (const packet of io.input('in')) await ahead.push(packet);
          ahead.end();
        })();
        reader.catch((error: unknown) => ahead.fail(error));
        const wait = async (until: number, signal: AbortSignal = io.signal): Promise<void> => {
          const left = until - ctx.clock.now();
          if (left > 0) await ctx.clock.sleep(micros(left), signal);
        };
        /** Resolves 'late' when the next chunk is one chunk overdue, or never if `pending` wins. */
        const overdue = async (f: Format, at: number, signal: AbortSignal): Promise<'late' | undefined> => {
          try {
            await wait(dueAt(at) + framesToMicros(f.frames, f.sampleRate) / speed, signal);
            return 'late';
          } catch (error) {
            if (io.signal.aborted) throw error;
            return undefined; // the input won the race
          }
        };
        if (format && p.generate_silence) {
          position = 0;
          baseline = { origin: 0, wallOrigin: ctx.clock.now() };
        }
        let pending: Promise<Packet | EndOfStream> | undefined;
        try {
          for (;;) {
            pending ??= ahead.pull();
            if (format && position !== undefined && p.generate_silence) {
              const race = new AbortController();
              const first = await Promise.race([
                pending,
                overdue(format, position, AbortSignal.any([io.signal, race.signal])),
              ]);
              race.abort();
              if (first === 'late') {
                const packet = silence(format, micros(position));
                position += packet.meta.duration ?? 0;
                await out.send(packet);
                continue;
              }
            }
            const packet = await pending;
            pending = undefined;
            if (packet === END_OF_STREAM) break;
            requireKind(ctx, packet, 'raw_audio', 'in');
            const data = packet.data;
            format = { sampleRate: data.sampleRate, channels: data.numberOfChannels, frames: data.numberOfFrames };
            position ??= data.timestamp;
            baseline ??= { origin: position, wallOrigin: ctx.clock.now() };
            await wait(dueAt(position));
            const timestamp = micros(position);
            const duration = framesToMicros(data.numberOfFrames, data.sampleRate);
            const moved = data.timestamp === timestamp ? data : restamp(data, timestamp);
            position += duration;
            await out.send({ kind: 'raw_audio', data: moved, meta: { ...packet.meta, timestamp, duration } });
          }
        } catch (error) {
          ahead.fail(error);
          throw error;
        }
        await reader;
      },
    };
  },
});
