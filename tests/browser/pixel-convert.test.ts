import { afterAll, describe, expect, it } from 'vitest';
import { PixelConverter } from '../../src/nodes/media/pixel-formats';
import { parsePipeline, Session } from '../../src/engine';
import { createRegistry } from '../../src/nodes';
import { probe, runText } from './harness';

const converters = { cpu: new PixelConverter('bt709', 'cpu'), webgl: new PixelConverter('bt709', 'webgl') };
afterAll(() => Object.values(converters).forEach((c) => c.close()));

/** A frame of one flat sRGB colour (canvas frames are BGRA). */
function flat(width: number, height: number, rgb: [number, number, number]): VideoFrame {
  const canvas = new OffscreenCanvas(width, height);
  const g = canvas.getContext('2d', { alpha: false });
  if (!g) throw new Error('no 2d context');
  g.fillStyle = `rgb(${rgb.join(' ')})`;
  g.fillRect(0, 0, width, height);
  return new VideoFrame(canvas, { timestamp: 40_000, duration: 20_000 });
}

/** The frame's bytes in its own layout, tightly packed. */
async function bytesOf(frame: VideoFrame): Promise<Uint8Array> {
  const out = new Uint8Array(frame.allocationSize());
  await frame.copyTo(out);
  return out;
}

/** BT.709 limited-range Y, U, V of an 8-bit RGB colour (Rec. ITU-R BT.709, 8-bit quantisation). */
function bt709([r, g, b]: [number, number, number]): [number, number, number] {
  const [R, G, B] = [r / 255, g / 255, b / 255];
  const y = 0.2126 * R + 0.7152 * G + 0.0722 * B;
  return [16 + 219 * y, 128 + (224 * (B - y)) / 1.8556, 128 + (224 * (R - y)) / 1.5748];
}

const COLOURS: [number, number, number][] = [
  [192, 192, 192],
  [192, 192, 0],
  [0, 192, 192],
  [0, 192, 0],
  [192, 0, 192],
  [192, 0, 0],
  [0, 0, 192],
  [255, 255, 255],
  [0, 0, 0],
];

describe.each(['cpu', 'webgl'] as const)('PixelConverter (%s)', (backend) => {
  const converter = converters[backend];
  it('uses the backend asked for', () => {
    expect(converter.yuvBackend).toBe(backend);
  });
  it('writes BT.709 limited-range I420 and NV12 from RGB, within one code value', async () => {
    for (const [width, height] of [
      [64, 48],
      [33, 17],
    ] as const) {
      for (const colour of COLOURS) {
        const src = flat(width, height, colour);
        const [ey, eu, ev] = bt709(colour);
        for (const format of ['I420', 'NV12'] as const) {
          const out = await converter.convert(src, format);
          expect(out.format).toBe(format);
          expect([out.codedWidth, out.codedHeight]).toEqual([width, height]);
          expect([out.timestamp, out.duration]).toEqual([40_000, 20_000]);
          expect(out.colorSpace.matrix).toBe('bt709');
          expect(out.colorSpace.fullRange).toBe(false);
          const bytes = await bytesOf(out);
          const cw = Math.ceil(width / 2);
          const ch = Math.ceil(height / 2);
          expect(bytes.length).toBe(width * height + 2 * cw * ch);
          const luma = bytes.subarray(0, width * height);
          const chroma = bytes.subarray(width * height);
          const u = format === 'I420' ? chroma.subarray(0, cw * ch) : chroma.filter((_, i) => i % 2 === 0);
          const v = format === 'I420' ? chroma.subarray(cw * ch) : chroma.filter((_, i) => i % 2 === 1);
          for (const [plane, expected] of [
            [luma, ey],
            [u, eu],
            [v, ev],
          ] as const) {
            expect(Math.max(...plane) - Math.min(...plane)).toBe(0);
            expect(Math.abs((plane[0] ?? -1) - expected), `${format} ${colour.join(',')}`).toBeLessThanOrEqual(1);
          }
          out.close();
        }
        src.close();
      }
    }
  });

  it('keeps edges where they are: a left/right split lands in the right columns of every plane', async () => {
    const canvas = new OffscreenCanvas(64, 32);
    const g = canvas.getContext('2d', { alpha: false });
    if (!g) throw new Error('no 2d context');
    g.fillStyle = 'rgb(255 255 255)';
    g.fillRect(0, 0, 64, 32);
    g.fillStyle = 'rgb(0 0 0)';
    g.fillRect(0, 0, 16, 8); // top-left block, 16x8
    const src = new VideoFrame(canvas, { timestamp: 0 });
    const out = await converter.convert(src, 'I420');
    const bytes = await bytesOf(out);
    expect(bytes[0]).toBe(16); // top-left luma is black
    expect(bytes[15]).toBe(16);
    expect(bytes[16]).toBe(235);
    expect(bytes[7 * 64]).toBe(16);
    expect(bytes[8 * 64]).toBe(235);
    src.close();
    out.close();
  });

  it('converts only the visible rectangle of a cropped frame', async () => {
    const canvas = new OffscreenCanvas(64, 32);
    const g = canvas.getContext('2d', { alpha: false });
    if (!g) throw new Error('no 2d context');
    g.fillStyle = 'rgb(255 0 0)';
    g.fillRect(0, 0, 32, 32);
    g.fillStyle = 'rgb(0 0 255)';
    g.fillRect(32, 0, 32, 32);
    const whole = new VideoFrame(canvas, { timestamp: 0 });
    const right = new VideoFrame(whole, { visibleRect: { x: 32, y: 0, width: 32, height: 32 } });
    const out = await converter.convert(right, 'NV12');
    expect([out.codedWidth, out.codedHeight]).toEqual([32, 32]);
    const luma = (await bytesOf(out)).subarray(0, 32 * 32);
    expect(Math.max(...luma)).toBe(Math.min(...luma));
    expect(Math.abs((luma[0] ?? 0) - bt709([0, 0, 255])[0])).toBeLessThanOrEqual(1);
    for (const f of [whole, right, out]) f.close();
  });

  it('moves bytes between I420 and NV12 exactly, odd sizes included', async () => {
    const width = 35;
    const height = 19;
    const cw = 18;
    const ch = 10;
    const size = width * height + 2 * cw * ch;
    const original = new Uint8Array(size);
    for (let i = 0; i < size; i++) original[i] = (i * 7919) % 251;
    const i420 = new VideoFrame(original, {
      format: 'I420',
      codedWidth: width,
      codedHeight: height,
      timestamp: 5,
      colorSpace: { matrix: 'smpte170m', primaries: 'smpte170m', transfer: 'smpte170m', fullRange: false },
    });
    const nv12 = await converter.convert(i420, 'NV12');
    const packed = await bytesOf(nv12);
    expect(packed.subarray(0, width * height)).toEqual(original.subarray(0, width * height));
    const u = original.subarray(width * height, width * height + cw * ch);
    const v = original.subarray(width * height + cw * ch);
    const uv = packed.subarray(width * height);
    expect(uv.filter((_, i) => i % 2 === 0)).toEqual(u);
    expect(uv.filter((_, i) => i % 2 === 1)).toEqual(v);
    expect(nv12.colorSpace.matrix).toBe('smpte170m');
    const back = await converter.convert(nv12, 'I420');
    expect(await bytesOf(back)).toEqual(original);
    for (const f of [i420, nv12, back]) f.close();
  });

  it('turns YUV into RGBA with the browser’s copy, and I420 → RGBA → I420 stays within 2 code values (RGB within 3)', async () => {
    const src = flat(32, 16, [0, 192, 192]);
    const yuv = await converter.convert(src, 'I420');
    const rgba = await converter.convert(yuv, 'RGBA');
    expect(rgba.format).toBe('RGBA');
    const pixels = await bytesOf(rgba);
    expect(pixels.length).toBe(32 * 16 * 4);
    // 8-bit YUV cannot hold every RGB value: a few code values of error are the quantisation.
    for (const [i, want] of [0, 192, 192, 255].entries())
      expect(Math.abs((pixels[i] ?? 0) - want), String(pixels.subarray(0, 4))).toBeLessThanOrEqual(3);
    const again = await converter.convert(rgba, 'I420');
    const a = await bytesOf(yuv);
    const b = await bytesOf(again);
    expect(Math.max(...a.map((x, i) => Math.abs(x - (b[i] ?? 0))))).toBeLessThanOrEqual(2);
    for (const f of [src, yuv, rgba, again]) f.close();
  });
});

describe('video::pixel_convert', () => {
  it('is what video::colorbars uses for its pixel_format (StreamKit default nv12)', async () => {
    for (const [pixelFormat, format] of [
      [undefined, 'NV12'],
      ['I420', 'I420'],
      ['rgba', 'RGBA'],
    ] as const) {
      const registry = createRegistry();
      const { pipeline } = parsePipeline(`
mode: oneshot
steps:
  - kind: video::colorbars
    params: { width: 64, height: 48, frame_count: 2${pixelFormat ? `, pixel_format: ${pixelFormat}` : ''} }
  - kind: core::sink
`);
      const session = new Session(pipeline, { registry, statsIntervalMs: 0 });
      const formats: (string | null)[] = [];
      const firstRows: Promise<Uint8Array>[] = [];
      session.tap((node, _pin, packet) => {
        if (node !== 'step_0' || packet.kind !== 'raw_video') return;
        formats.push(packet.frame.format);
        if (packet.frame.format === 'I420') firstRows.push(bytesOf(packet.frame));
      });
      session.start();
      const result = await session.result();
      expect(result.state).toBe('done');
      expect(formats).toEqual([format, format]);
      // The first column is the grey bar like its neighbours (no bleed from the last bar).
      for (const luma of await Promise.all(firstRows)) expect(luma[64 * 4]).toBe(luma[64 * 4 + 1]);
    }
  });

  it('feeds I420 colour bars to VP9 and NV12 to H.264', async () => {
    for (const [format, codec, container] of [
      ['i420', 'vp9', 'webm'],
      ['nv12', 'h264', 'mp4'],
    ] as const) {
      const { result, outputs } = await runText(`
mode: oneshot
steps:
  - kind: video::colorbars
    params: { width: 320, height: 180, frame_count: 12, pixel_format: rgba8 }
  - kind: video::pixel_convert
    params: { output_format: ${format} }
  - kind: video::encoder
    params: { codec: ${codec} }
  - kind: containers::muxer
    params: { format: ${container} }
  - kind: streamkit::http_output
`);
      expect(result.state, JSON.stringify(result)).toBe('done');
      const info = await probe(
        `pixel-convert-${format}.${container}`,
        outputs.get('output')?.bytes() ?? new Uint8Array(),
      );
      const video = info.streams.find((s) => s.codec_type === 'video');
      expect(video?.codec_name).toBe(codec);
      expect([video?.width, video?.height]).toEqual([320, 180]);
      expect(Number(video?.nb_read_frames)).toBe(12);
    }
  });
});
