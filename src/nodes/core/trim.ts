import { z } from 'zod';
import type { Micros, Packet } from '../../engine';
import { closePacket, defineNode, fromMillis, micros } from '../../engine';
import { makeAudioData, readPlanar } from '../media/audio-data';

const params = z.strictObject({
  /** Keep media from this time on (milliseconds on the input's timeline). */
  start_ms: z.number().min(0).default(0),
  /** Keep media before this time; null keeps everything after start. */
  end_ms: z.number().positive().nullable().default(null),
  /** Move the kept media so that it starts at 0. */
  rebase: z.boolean().default(true),
});

/** Cuts the samples of an audio packet to [start, end); returns undefined when nothing is left. */
function trimAudio(data: AudioData, start: number, end: number, shift: number): AudioData | undefined {
  const t0 = data.timestamp;
  const rate = data.sampleRate;
  const first = Math.max(0, Math.round(((start - t0) * rate) / 1e6));
  const last = Math.min(data.numberOfFrames, Math.round(((end - t0) * rate) / 1e6));
  if (last <= first) return undefined;
  const audio = readPlanar(data);
  return makeAudioData({
    sampleRate: rate,
    channels: audio.channels.map((p) => p.subarray(first, last)),
    timestamp: micros(t0 + (first * 1e6) / rate - shift),
  });
}

/** `core::trim`: keeps raw audio and video between start and end, optionally rebased to 0. */
export const trim = defineNode({
  kind: 'core::trim',
  version: 1,
  description:
    'Keeps raw audio or video between start_ms and end_ms (audio cut to the sample), optionally moved to start at 0.',
  categories: ['core', 'timing'],
  params,
  inputs: [{ name: 'in', accepts: [{ kind: 'raw_video' }, { kind: 'raw_audio' }], cardinality: 'one' }],
  outputs: [{ name: 'out', produces: { kind: 'passthrough' }, cardinality: 'broadcast' }],
  create(ctx) {
    const start = fromMillis(ctx.params.start_ms);
    const end = ctx.params.end_ms === null ? Number.POSITIVE_INFINITY : fromMillis(ctx.params.end_ms);
    const shift = ctx.params.rebase ? start : 0;
    return {
      async run(io) {
        const out = io.output('out');
        for await (const packet of io.input('in')) {
          let next: Packet | undefined;
          try {
            const ts = packet.meta.timestamp ?? 0;
            if (packet.kind === 'raw_video') {
              if (ts >= start && ts < end) {
                const frame = new VideoFrame(packet.frame, { timestamp: ts - shift });
                next = { kind: 'raw_video', frame, meta: { ...packet.meta, timestamp: micros(ts - shift) } };
              } else if (ts >= end) io.stopInputs();
            } else if (packet.kind === 'raw_audio') {
              const data = trimAudio(packet.data, start, end, shift);
              if (data)
                next = {
                  kind: 'raw_audio',
                  data,
                  meta: { ...packet.meta, timestamp: data.timestamp as Micros, duration: micros(data.duration) },
                };
              else if (ts >= end) io.stopInputs();
            } else throw ctx.error(`trims raw audio or video, got ${packet.kind}`, { pin: 'in' });
          } finally {
            closePacket(packet);
          }
          if (next) await out.send(next);
        }
      },
    };
  },
});
