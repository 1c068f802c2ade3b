import { z } from 'zod';
import type { InputPinSpec, Micros, NodeIO } from '../../engine';
import { closePacket, defineNode, micros } from '../../engine';
import { requireKind } from '../media/require-kind';
import { framesToMicros, makeAudioData, readPlanar } from '../media/audio-data';

/** Samples per channel in each mixed packet, per 48 kHz (20 ms). */
const MIX_FRAME_MS = 20;

const params = z.strictObject({
  /** Inputs to create (`in_0` … `in_{N-1}`); filled in from the edge count in oneshot pipelines. */
  num_inputs: z.number().int().min(1).max(64).nullable().default(null),
  /**
   * Dynamic sessions: how long to wait for a silent input before mixing without it (null = wait
   * forever). Oneshot runs always wait, so that the result does not depend on timing.
   */
  sync_timeout_ms: z.number().int().min(0).nullable().default(100),
  /** StreamKit's clocked mode (fixed tick with jitter buffers) is not available in Weft yet. */
  clocked: z.null().default(null),
});

interface Lane {
  planes: Float32Array[];
  ended: boolean;
  lastData: number;
}

/** `audio::mixer`: sums several audio inputs into one (StreamKit's `num_inputs`, `sync_timeout_ms`). */
export const mixer = defineNode({
  kind: 'audio::mixer',
  version: 1,
  description:
    'Sums several audio inputs (pins in_0, in_1, …) into one stream; mono inputs are spread to all channels.',
  categories: ['audio', 'mixing'],
  params,
  inputs: (p): InputPinSpec[] => [
    ...Array.from({ length: p.num_inputs ?? 0 }, (_, i) => ({
      name: `in_${i}`,
      accepts: [{ kind: 'raw_audio' as const }],
      cardinality: 'one' as const,
    })),
    { name: 'in', accepts: [{ kind: 'raw_audio' }], cardinality: { dynamic: 'in' } },
  ],
  outputs: [{ name: 'out', produces: { kind: 'raw_audio' }, cardinality: 'broadcast' }],
  create(ctx) {
    const lanes = new Map<string, Lane>();
    let rate: number | undefined;
    let channels = 1;
    let start: Micros | undefined;
    let emitted = 0;
    const frameSize = (): number => Math.round(((rate ?? 48_000) * MIX_FRAME_MS) / 1000);
    const waitAll = ctx.mode === 'oneshot' || ctx.params.sync_timeout_ms === null;

    const ready = (): boolean => {
      const live = [...lanes.values()];
      if (live.length === 0) return false;
      const n = frameSize();
      const now = performance.now();
      return (
        live.some((l) => (l.planes[0]?.length ?? 0) >= n) &&
        live.every(
          (l) =>
            (l.planes[0]?.length ?? 0) >= n ||
            l.ended ||
            (!waitAll && now - l.lastData > (ctx.params.sync_timeout_ms ?? Infinity)),
        )
      );
    };

    const mixOut = async (io: NodeIO, n: number): Promise<void> => {
      const mixed = Array.from({ length: channels }, () => new Float32Array(n));
      for (const lane of lanes.values()) {
        const have = Math.min(n, lane.planes[0]?.length ?? 0);
        for (let c = 0; c < channels; c++) {
          const src = lane.planes[Math.min(c, lane.planes.length - 1)];
          const dst = mixed[c];
          if (!src || !dst) continue;
          for (let i = 0; i < have; i++) dst[i] = (dst[i] ?? 0) + (src[i] ?? 0);
        }
        lane.planes = lane.planes.map((p) => p.subarray(have));
      }
      const timestamp = micros((start ?? 0) + framesToMicros(emitted, rate ?? 48_000));
      emitted += n;
      const data = makeAudioData({ sampleRate: rate ?? 48_000, channels: mixed, timestamp });
      await io
        .output('out')
        .send({ kind: 'raw_audio', data, meta: { timestamp, duration: framesToMicros(n, rate ?? 48_000) } });
    };

    return {
      async run(io) {
        for (;;) {
          const next = await io.recvAny();
          if (!next) break;
          const { pin, packet } = next;
          requireKind(ctx, packet, 'raw_audio', pin);
          let audio;
          try {
            audio = readPlanar(packet.data);
          } finally {
            closePacket(packet);
          }
          rate ??= audio.sampleRate;
          if (audio.sampleRate !== rate) {
            throw ctx.error(
              `input is ${audio.sampleRate} Hz but the mix runs at ${rate} Hz; put an audio::resampler before this input`,
              { pin },
            );
          }
          start = start === undefined ? audio.timestamp : (Math.min(start, audio.timestamp) as Micros);
          channels = Math.max(channels, audio.channels.length);
          const lane = lanes.get(pin) ?? { planes: [], ended: false, lastData: 0 };
          lanes.set(pin, lane);
          lane.lastData = performance.now();
          lane.planes =
            lane.planes.length === 0
              ? audio.channels
              : audio.channels.map((p, c) => {
                  const prev = lane.planes[Math.min(c, lane.planes.length - 1)] ?? new Float32Array();
                  const joined = new Float32Array(prev.length + p.length);
                  joined.set(prev);
                  joined.set(p, prev.length);
                  return joined;
                });
          for (const name of io.connectedInputs()) {
            if (!lanes.has(name)) lanes.set(name, { planes: [], ended: false, lastData: performance.now() });
          }
          // An input that has finished contributes silence from now on.
          for (const [name, l] of lanes) l.ended = io.input(name).finished;
          while (ready()) await mixOut(io, frameSize());
        }
      },
      async flush(io) {
        for (const lane of lanes.values()) lane.ended = true;
        for (;;) {
          const left = Math.max(0, ...[...lanes.values()].map((l) => l.planes[0]?.length ?? 0));
          if (left === 0) break;
          await mixOut(io, Math.min(left, frameSize()));
        }
      },
    };
  },
});
