import { z } from 'zod';
import { closePacket, defineNode } from '../../engine';
import { requireKind } from '../media/require-kind';

const params = z.strictObject({
  width: z.number().int().min(2).max(7680),
  height: z.number().int().min(2).max(7680),
  /** contain: fit inside, bars around; cover: fill, crop the overflow; stretch: ignore aspect ratio. */
  fit: z.enum(['contain', 'cover', 'stretch']).default('contain'),
  /** Colour of the bars in `contain` mode (CSS colour). */
  background: z.string().default('#000000'),
});

/** Where the source rectangle lands in the target, for each fit mode. */
export function placement(
  fit: 'contain' | 'cover' | 'stretch',
  src: { width: number; height: number },
  dst: { width: number; height: number },
): { sx: number; sy: number; sw: number; sh: number; dx: number; dy: number; dw: number; dh: number } {
  const full = { sx: 0, sy: 0, sw: src.width, sh: src.height, dx: 0, dy: 0, dw: dst.width, dh: dst.height };
  if (fit === 'stretch') return full;
  const scale =
    fit === 'contain'
      ? Math.min(dst.width / src.width, dst.height / src.height)
      : Math.max(dst.width / src.width, dst.height / src.height);
  if (fit === 'contain') {
    const dw = Math.round(src.width * scale);
    const dh = Math.round(src.height * scale);
    return { ...full, dx: Math.floor((dst.width - dw) / 2), dy: Math.floor((dst.height - dh) / 2), dw, dh };
  }
  const sw = dst.width / scale;
  const sh = dst.height / scale;
  return { ...full, sx: (src.width - sw) / 2, sy: (src.height - sh) / 2, sw, sh };
}

/** `video::scale`: resizes frames with the browser's canvas scaler (contain, cover or stretch). */
export const scale = defineNode({
  kind: 'video::scale',
  version: 1,
  description: 'Resizes frames to width×height with the browser’s scaler: contain (bars), cover (crop) or stretch.',
  categories: ['video', 'filters'],
  params,
  inputs: [{ name: 'in', accepts: [{ kind: 'raw_video' }], cardinality: 'one' }],
  outputs: [{ name: 'out', produces: { kind: 'raw_video' }, cardinality: 'broadcast' }],
  negotiate: ({ params: p }) => new Map([['out', { kind: 'raw_video', width: p.width, height: p.height }]]),
  create(ctx) {
    const { width, height, fit, background } = ctx.params;
    const canvas = new OffscreenCanvas(width, height);
    const g = canvas.getContext('2d', { alpha: false });
    return {
      async run(io) {
        if (!g) throw ctx.error('this browser gives no 2D canvas context', { phase: 'start' });
        g.imageSmoothingQuality = 'high';
        const out = io.output('out');
        for await (const packet of io.input('in')) {
          requireKind(ctx, packet, 'raw_video');
          let frame: VideoFrame;
          try {
            const src = packet.frame;
            const r = placement(fit, { width: src.displayWidth, height: src.displayHeight }, { width, height });
            if (fit === 'contain') {
              g.fillStyle = background;
              g.fillRect(0, 0, width, height);
            }
            g.drawImage(src, r.sx, r.sy, r.sw, r.sh, r.dx, r.dy, r.dw, r.dh);
            frame = new VideoFrame(canvas, {
              timestamp: src.timestamp,
              ...(src.duration !== null ? { duration: src.duration } : {}),
            });
          } finally {
            closePacket(packet);
          }
          await out.send({ kind: 'raw_video', frame, meta: packet.meta });
        }
      },
    };
  },
});
