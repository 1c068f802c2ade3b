import { z } from 'zod';
import type { NodeDefinition } from '../../engine';
import { defineNode, micros } from '../../engine';
import { framesToMicros, makeAudioData } from '../media/audio-data';

const params = z.strictObject({
  /** Tone frequency in Hz. */
  frequency: z.number().positive().max(24_000).default(440),
  /** Peak amplitude, 0–1. */
  amplitude: z.number().min(0).max(1).default(0.5),
  sample_rate: z.number().int().min(8000).max(192_000).default(48_000),
  channels: z.number().int().min(1).max(8).default(2),
  /** Length in milliseconds; 0 = endless, paced in real time. */
  duration_ms: z.number().int().min(0).default(0),
  /** Samples per channel per packet (960 = 20 ms at 48 kHz). */
  frame_size: z.number().int().min(1).max(48_000).default(960),
});
type Params = z.infer<typeof params>;

function makeTone(kind: string, description: string, silent: boolean): NodeDefinition<Params> {
  return defineNode({
    kind,
    version: 1,
    description,
    categories: ['audio', 'sources'],
    params,
    inputs: [],
    outputs: [{ name: 'out', produces: { kind: 'raw_audio' }, cardinality: 'broadcast' }],
    negotiate: ({ params: p }) =>
      new Map([['out', { kind: 'raw_audio', sample_rate: p.sample_rate, channels: p.channels }]]),
    create(ctx) {
      const p = ctx.params;
      const total = p.duration_ms > 0 ? Math.round((p.duration_ms * p.sample_rate) / 1000) : Infinity;
      return {
        async run(io) {
          const out = io.output('out');
          const started = ctx.clock.now();
          for (let done = 0; done < total;) {
            const n = Math.min(p.frame_size, total - done);
            const timestamp = framesToMicros(done, p.sample_rate);
            if (total === Infinity) {
              const wait = started + timestamp - ctx.clock.now();
              if (wait > 0) await ctx.clock.sleep(micros(wait), io.signal);
            }
            const plane = new Float32Array(n);
            if (!silent) {
              const w = (2 * Math.PI * p.frequency) / p.sample_rate;
              for (let i = 0; i < n; i++) plane[i] = p.amplitude * Math.sin(w * (done + i));
            }
            const data = makeAudioData({
              sampleRate: p.sample_rate,
              channels: Array.from({ length: p.channels }, () => plane),
              timestamp,
            });
            done += n;
            await out.send({
              kind: 'raw_audio',
              data,
              meta: { timestamp, duration: framesToMicros(n, p.sample_rate) },
            });
          }
        },
      };
    },
  });
}

/** `audio::sine`: a sine tone. */
export const sine = makeTone(
  'audio::sine',
  'Generates a sine tone (frequency, amplitude, rate, channels, length).',
  false,
);
/** `audio::silence`: silence of a given format and length. */
export const silence = makeTone(
  'audio::silence',
  'Generates silence of a given sample rate, channel count and length.',
  true,
);
