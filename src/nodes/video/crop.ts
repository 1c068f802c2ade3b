import { z } from 'zod';
import { closePacket, defineNode } from '../../engine';
import { requireKind } from '../media/require-kind';

const params = z.strictObject({
  x: z.number().int().min(0).default(0),
  y: z.number().int().min(0).default(0),
  width: z.number().int().min(2),
  height: z.number().int().min(2),
});

/** `video::crop`: keeps a rectangle of each frame, without copying pixels (a new visible rectangle). */
export const crop = defineNode({
  kind: 'video::crop',
  version: 1,
  description:
    'Keeps the rectangle x, y, width, height of each frame. Zero-copy: the frame’s visible rectangle changes.',
  categories: ['video', 'filters'],
  params,
  inputs: [{ name: 'in', accepts: [{ kind: 'raw_video' }], cardinality: 'one' }],
  outputs: [{ name: 'out', produces: { kind: 'raw_video' }, cardinality: 'broadcast' }],
  negotiate: ({ params: p }) => new Map([['out', { kind: 'raw_video', width: p.width, height: p.height }]]),
  create: (ctx) => ({
    async run(io) {
      const out = io.output('out');
      for await (const packet of io.input('in')) {
        requireKind(ctx, packet, 'raw_video');
        let frame: VideoFrame;
        try {
          const src = packet.frame;
          const { x, y, width, height } = ctx.params;
          const base = src.visibleRect ?? { x: 0, y: 0, width: src.codedWidth, height: src.codedHeight };
          if (x + width > base.width || y + height > base.height) {
            throw ctx.error(
              `the crop ${width}x${height}+${x}+${y} does not fit in the ${base.width}x${base.height} frame`,
              { pin: 'in' },
            );
          }
          // 4:2:0 and 4:2:2 planes need even offsets; round the origin down to keep the size.
          const even = (v: number): number => (src.format?.startsWith('I4') || src.format === 'NV12' ? v - (v % 2) : v);
          frame = new VideoFrame(src, { visibleRect: { x: base.x + even(x), y: base.y + even(y), width, height } });
        } finally {
          closePacket(packet);
        }
        await out.send({ kind: 'raw_video', frame, meta: packet.meta });
      }
    },
  }),
});
