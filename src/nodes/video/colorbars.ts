import { z } from 'zod';
import type { Micros } from '../../engine';
import { defineNode, micros } from '../../engine';
import { PixelConverter } from '../media/pixel-formats';
import { PIXEL_FORMATS } from './pixel-convert';

const params = z.strictObject({
  width: z.number().int().min(16).max(7680).default(640),
  height: z.number().int().min(16).max(7680).default(480),
  fps: z.number().int().min(1).max(240).default(30),
  /** 0: endless, paced in real time; N: N frames as fast as downstream takes them. */
  frame_count: z.number().int().min(0).default(0),
  /** Layout of the frames: nv12, i420 or rgba8 (StreamKit's names, any case; `rgba` too). */
  pixel_format: z
    .string()
    .default('nv12')
    .refine((v) => v.toLowerCase() in FORMAT_NAMES, { message: 'expected nv12, i420 or rgba8' }),
  /** Draw the frame's timestamp. */
  draw_time: z.boolean().default(false),
  draw_time_use_pts: z.boolean().default(false),
  /** Accepted for StreamKit compatibility; the browser's sans-serif font is used. */
  draw_time_font_path: z.string().nullable().default(null),
  /** Scroll the bars horizontally. */
  animate: z.boolean().default(false),
  /** A moving square, so encoders see motion (Weft). */
  motion: z.boolean().default(true),
});

const FORMAT_NAMES: Record<string, keyof typeof PIXEL_FORMATS> = {
  nv12: 'nv12',
  i420: 'i420',
  rgba8: 'rgba8',
  rgba: 'rgba8',
};

/** SMPTE 75% colour bars, left to right. */
const BARS = ['#c0c0c0', '#c0c000', '#00c0c0', '#00c000', '#c000c0', '#c00000', '#0000c0'];

/** `video::colorbars`: SMPTE colour bars with optional motion, scrolling and a clock. */
export const colorbars = defineNode({
  kind: 'video::colorbars',
  version: 1,
  description:
    'Generates SMPTE 75% colour bars with a moving square (so encoders see motion), optional scrolling and clock.',
  categories: ['video', 'sources'],
  params,
  inputs: [],
  outputs: [{ name: 'out', produces: { kind: 'raw_video' }, cardinality: 'broadcast' }],
  negotiate: ({ params: p }) =>
    new Map([['out', { kind: 'raw_video', width: p.width, height: p.height, pixel_format: formatOf(p.pixel_format) }]]),
  create(ctx) {
    const p = ctx.params;
    const format = formatOf(p.pixel_format);
    const converter = new PixelConverter();
    const canvas = new OffscreenCanvas(p.width, p.height);
    const g = canvas.getContext('2d', { alpha: false });
    const frameUs = 1_000_000 / p.fps;
    const draw = (n: number, timestamp: Micros): void => {
      if (!g) return;
      const barWidth = p.width / BARS.length;
      const shift = p.animate ? (n * 4) % p.width : 0;
      BARS.forEach((color, i) => {
        g.fillStyle = color;
        // Scrolling draws each bar a second time one width to the left, to wrap around.
        for (const offset of p.animate ? [0, -p.width] : [0])
          g.fillRect(i * barWidth + shift + offset, 0, Math.ceil(barWidth), p.height * 0.75);
      });
      g.fillStyle = '#101010';
      g.fillRect(0, p.height * 0.75, p.width, p.height * 0.25);
      if (p.motion) {
        const size = Math.max(8, Math.round(p.height / 8));
        const x = Math.round((n * 7) % Math.max(1, p.width - size));
        g.fillStyle = '#ffffff';
        g.fillRect(x, p.height * 0.75 + (p.height * 0.25 - size) / 2, size, size);
      }
      if (p.draw_time) {
        const seconds = timestamp / 1_000_000;
        g.fillStyle = '#ffffff';
        g.font = `${Math.round(p.height / 12)}px sans-serif`;
        g.fillText(`${Math.floor(seconds / 60)}:${(seconds % 60).toFixed(2).padStart(5, '0')}`, 10, p.height - 10);
      }
    };
    return {
      async run(io) {
        if (!g) throw ctx.error('this browser gives no 2D canvas context', { phase: 'start' });
        const out = io.output('out');
        const started = ctx.clock.now();
        for (let n = 0; p.frame_count === 0 || n < p.frame_count; n++) {
          const timestamp = micros(n * frameUs);
          if (p.frame_count === 0) {
            const wait = started + timestamp - ctx.clock.now();
            if (wait > 0) await ctx.clock.sleep(micros(wait), io.signal);
          }
          draw(n, timestamp);
          const drawn = new VideoFrame(canvas, { timestamp, duration: Math.round(frameUs) });
          let frame: VideoFrame;
          try {
            frame = await converter.convert(drawn, format);
          } finally {
            drawn.close();
          }
          await out.send({
            kind: 'raw_video',
            frame,
            meta: { timestamp, duration: micros(frameUs), sequence: n, keyframe: n === 0 },
          });
        }
      },
      close() {
        converter.close();
      },
    };
  },
});

/** The WebCodecs layout for a `pixel_format` value. */
function formatOf(name: string): 'NV12' | 'I420' | 'RGBA' {
  return PIXEL_FORMATS[FORMAT_NAMES[name.toLowerCase()] ?? 'nv12'];
}
