import { z } from 'zod';
import type { Micros, NodeIO } from '../../engine';
import { defineNode, micros } from '../../engine';
import { requireKind } from '../media/require-kind';

const params = z.strictObject({
  /** Output frames per second. */
  fps: z.number().positive().max(240),
});

/** `video::fps`: converts to a constant frame rate, repeating or dropping frames by timestamp. */
export const fps = defineNode({
  kind: 'video::fps',
  version: 1,
  description: 'Converts video to a constant frame rate: each output frame shows the latest input frame at its time.',
  categories: ['video', 'filters'],
  params,
  inputs: [{ name: 'in', accepts: [{ kind: 'raw_video' }], cardinality: 'one' }],
  outputs: [{ name: 'out', produces: { kind: 'passthrough' }, cardinality: 'broadcast' }],
  create(ctx) {
    const interval = 1_000_000 / ctx.params.fps;
    let last: VideoFrame | undefined;
    let lastEnd = 0;
    let index = 0;
    let origin: number | undefined;
    let rotation: 0 | 90 | 180 | 270 | undefined;
    const at = (n: number): Micros => micros((origin ?? 0) + n * interval);
    const emitUntil = async (io: NodeIO, until: number): Promise<void> => {
      while (last && at(index) < until) {
        const timestamp = at(index);
        const frame = new VideoFrame(last, { timestamp, duration: Math.round(interval) });
        index++;
        await io.output('out').send({
          kind: 'raw_video',
          frame,
          meta: { timestamp, duration: micros(interval), sequence: index - 1, ...(rotation ? { rotation } : {}) },
        });
      }
    };
    return {
      async run(io) {
        for await (const packet of io.input('in')) {
          requireKind(ctx, packet, 'raw_video');
          const ts = packet.frame.timestamp;
          rotation = packet.meta.rotation;
          origin ??= ts;
          await emitUntil(io, ts);
          last?.close();
          last = packet.frame;
          lastEnd = ts + (packet.frame.duration ?? interval);
        }
      },
      async flush(io) {
        await emitUntil(io, lastEnd);
      },
      close() {
        last?.close();
        last = undefined;
      },
    };
  },
});
