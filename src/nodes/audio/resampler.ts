import { z } from 'zod';
import type { Micros, NodeIO } from '../../engine';
import { closePacket, defineNode, micros } from '../../engine';
import { requireKind } from '../media/require-kind';
import { framesToMicros, makeAudioData, readPlanar } from '../media/audio-data';
import { remix } from './channels';

const params = z.strictObject({
  /** Output sample rate. */
  target_sample_rate: z.number().int().min(1).max(384_000),
  /** Accepted for StreamKit compatibility (its internal processing block size). */
  chunk_frames: z.number().int().min(1).default(960),
  /** Output frames per packet (0 = as they come). */
  output_frame_size: z.number().int().min(0).default(960),
  /** Output channel count (StreamKit's samples set it, e.g. mono for speech); default: as the input. */
  channels: z.number().int().min(1).max(8).optional(),
});

/**
 * Converts between sample rates with cubic (Catmull-Rom) interpolation. State carries across
 * packets, so packet boundaries leave no clicks.
 */
export class CubicResampler {
  readonly #ratio: number;
  /** Read position in the extended signal (3 history samples, then the block); 2 aligns output 0 with input 0. */
  #position = 2;
  #history: Float32Array[] = [];

  constructor(
    readonly inRate: number,
    readonly outRate: number,
    channels: number,
  ) {
    this.#ratio = inRate / outRate;
    this.#history = Array.from({ length: channels }, () => new Float32Array(3));
  }

  /** Resamples one block; returns as many output frames as the input covers. */
  process(input: Float32Array[]): Float32Array[] {
    const frames = input[0]?.length ?? 0;
    const out: number[][] = input.map(() => []);
    // Sample i of the extended signal: i < 3 is history, i ≥ 3 the new block.
    const at = (c: number, i: number): number => (i < 3 ? (this.#history[c]?.[i] ?? 0) : (input[c]?.[i - 3] ?? 0));
    let pos = this.#position;
    while (pos < frames) {
      const base = Math.floor(pos);
      const t = pos - base;
      for (let c = 0; c < input.length; c++) {
        const y0 = at(c, base);
        const y1 = at(c, base + 1);
        const y2 = at(c, base + 2);
        const y3 = at(c, base + 3);
        const v = y1 + 0.5 * t * (y2 - y0 + t * (2 * y0 - 5 * y1 + 4 * y2 - y3 + t * (3 * (y1 - y2) + y3 - y0)));
        out[c]?.push(v);
      }
      pos += this.#ratio;
    }
    this.#position = pos - frames;
    this.#history = input.map((_, c) => Float32Array.from([0, 1, 2], (k) => at(c, frames + k)));
    return out.map((samples) => Float32Array.from(samples));
  }
}

/** `audio::resampler`: changes the sample rate and re-packs the output into fixed-size packets. */
export const resampler = defineNode({
  kind: 'audio::resampler',
  version: 1,
  description: 'Changes the sample rate (cubic interpolation) and re-packs the output into fixed-size packets.',
  categories: ['audio', 'filters'],
  params,
  inputs: [{ name: 'in', accepts: [{ kind: 'raw_audio' }], cardinality: 'one' }],
  outputs: [{ name: 'out', produces: { kind: 'raw_audio' }, cardinality: 'broadcast' }],
  negotiate: ({ params: p, inputs }) => {
    const upstream = inputs.get('in');
    const channels = p.channels ?? (upstream?.kind === 'raw_audio' ? upstream.channels : undefined);
    return new Map([
      ['out', { kind: 'raw_audio', sample_rate: p.target_sample_rate, ...(channels ? { channels } : {}) }],
    ]);
  },
  create(ctx) {
    const target = ctx.params.target_sample_rate;
    const frameSize = ctx.params.output_frame_size;
    let state: CubicResampler | undefined;
    let pending: Float32Array[] = [];
    let start: Micros | undefined;
    let emitted = 0;
    const send = async (io: NodeIO, all: boolean): Promise<void> => {
      const available = pending[0]?.length ?? 0;
      const size = frameSize > 0 ? frameSize : available;
      let offset = 0;
      while (size > 0 && (available - offset >= size || (all && available - offset > 0))) {
        const n = Math.min(size, available - offset);
        const timestamp = micros((start ?? 0) + framesToMicros(emitted, target));
        const data = makeAudioData({
          sampleRate: target,
          channels: pending.map((p) => p.slice(offset, offset + n)),
          timestamp,
        });
        emitted += n;
        offset += n;
        await io
          .output('out')
          .send({ kind: 'raw_audio', data, meta: { timestamp, duration: framesToMicros(n, target) } });
      }
      pending = pending.map((p) => p.slice(offset));
    };
    return {
      async run(io) {
        for await (const packet of io.input('in')) {
          requireKind(ctx, packet, 'raw_audio');
          let audio;
          try {
            audio = readPlanar(packet.data);
          } finally {
            closePacket(packet);
          }
          start ??= audio.timestamp;
          if (state && state.inRate !== audio.sampleRate) {
            throw ctx.error(`the input rate changed from ${state.inRate} to ${audio.sampleRate} Hz mid-stream`, {
              pin: 'in',
            });
          }
          const planes = ctx.params.channels ? remix(audio.channels, ctx.params.channels) : audio.channels;
          const resampled =
            audio.sampleRate === target
              ? planes
              : (state ??= new CubicResampler(audio.sampleRate, target, planes.length)).process(planes);
          pending =
            pending.length === 0 ? resampled : pending.map((p, c) => concat(p, resampled[c] ?? new Float32Array()));
          await send(io, false);
        }
      },
      async flush(io) {
        await send(io, true);
      },
    };
  },
});

function concat(a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
