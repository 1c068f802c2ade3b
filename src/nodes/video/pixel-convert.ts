import { z } from 'zod';
import type { PixelFormat } from '../../engine';
import { closePacket, defineNode } from '../../engine';
import { requireKind } from '../media/require-kind';
import type { TargetFormat } from '../media/pixel-formats';
import { PixelConverter } from '../media/pixel-formats';

/** StreamKit's names for the layouts, and the WebCodecs names Weft's frames carry. */
export const PIXEL_FORMATS = { nv12: 'NV12', i420: 'I420', rgba8: 'RGBA' } as const satisfies Record<
  string,
  TargetFormat & PixelFormat
>;

const params = z.strictObject({
  /** The layout of the frames that leave the node. */
  output_format: z.enum(['nv12', 'i420', 'rgba8']).default('nv12'),
  /** YUV matrix used when converting from RGB (Weft); YUV inputs keep theirs. */
  matrix: z.enum(['bt709', 'bt601']).default('bt709'),
});

/** `video::pixel_convert`: converts raw frames between RGBA8, I420 and NV12 (StreamKit's kind). */
export const pixelConvert = defineNode({
  kind: 'video::pixel_convert',
  version: 1,
  description:
    'Converts raw frames to NV12, I420 or RGBA8 (WebGL2 shader for YUV, the browser’s copy for RGBA); no-op when the format already matches.',
  categories: ['video', 'filters'],
  params,
  inputs: [{ name: 'in', accepts: [{ kind: 'raw_video' }], cardinality: 'one' }],
  outputs: [{ name: 'out', produces: { kind: 'raw_video' }, cardinality: 'broadcast' }],
  negotiate: ({ params: p, inputs }) => {
    const upstream = inputs.get('in');
    const size =
      upstream?.kind === 'raw_video' && upstream.width && upstream.height
        ? { width: upstream.width, height: upstream.height }
        : {};
    return new Map([['out', { kind: 'raw_video', ...size, pixel_format: PIXEL_FORMATS[p.output_format] }]]);
  },
  create(ctx) {
    const converter = new PixelConverter(ctx.params.matrix);
    const target = PIXEL_FORMATS[ctx.params.output_format];
    return {
      async run(io) {
        const out = io.output('out');
        for await (const packet of io.input('in')) {
          requireKind(ctx, packet, 'raw_video');
          if (packet.frame.format === target) {
            await out.send(packet);
            continue;
          }
          let frame: VideoFrame;
          try {
            frame = await converter.convert(packet.frame, target);
          } catch (error) {
            throw ctx.error(
              `cannot convert a ${packet.frame.format ?? 'opaque'} frame to ${target}: ${(error as Error).message}`,
              { pin: 'in' },
            );
          } finally {
            closePacket(packet);
          }
          await out.send({ kind: 'raw_video', frame, meta: packet.meta });
        }
      },
      close() {
        converter.close();
      },
    };
  },
});
