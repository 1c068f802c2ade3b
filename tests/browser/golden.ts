/**
 * The compositor's golden-image scenes and the means to compare renderings, shared by the suite
 * of the CPU backends (tests/browser) and of the WebGPU backend (tests/browser-gpu). Pictures are
 * compared as they reach an encoder, in I420 (PSNR over the Y, U and V samples, as ffmpeg's psnr
 * filter averages them): an RGB rendering is converted with Weft's own converter. The reference
 * PNGs in tests/golden are the Canvas2D backend's renderings, written with `WEFT_UPDATE_GOLDEN=1
 * npx vitest run --project browser tests/browser/compositor-golden.test.ts` and looked at.
 */
import fontUrl from '@fontsource/dejavu-sans/files/dejavu-sans-latin-400-normal.woff2?url';
import { commands } from 'vitest/browser';
import { PixelConverter } from '../../src/nodes/media/pixel-formats';
import type { SceneSources } from '../../src/nodes/video/compositor/canvas-backend';
import type { Draw } from '../../src/nodes/video/compositor/layout';
import { planScene } from '../../src/nodes/video/compositor/layout';
import type { LoadedFont } from '../../src/nodes/video/compositor/overlays';
import { compositorParams } from '../../src/nodes/video/compositor/params';

declare module 'vitest/browser' {
  interface BrowserCommands {
    writeGolden(name: string, base64: string): Promise<boolean>;
  }
}

/** Least PSNR between any two renderings of a scene. */
export const MIN_PSNR_DB = 40;

const GOLDEN = import.meta.glob<string>('../golden/*.png', { query: '?url', import: 'default', eager: true });

/**
 * A smooth test picture in I420 or NV12 (BT.709 limited range), made from in-gamut RGB so that a
 * round trip through RGB loses nothing but rounding: gradients and soft waves.
 */
export function picture(format: 'I420' | 'NV12', width: number, height: number, seed: number): VideoFrame {
  const rgb = (x: number, y: number): [number, number, number] => [
    128 + 100 * Math.sin((x + seed * 7) / 11),
    128 + 100 * Math.cos((y + seed * 5) / 9),
    128 + 100 * Math.sin((x + y + seed * 3) / 17),
  ];
  const yuv = ([r, g, b]: [number, number, number]): [number, number, number] => {
    const l = (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
    return [16 + 219 * l, 128 + (224 * (b / 255 - l)) / 1.8556, 128 + (224 * (r / 255 - l)) / 1.5748];
  };
  const cw = Math.ceil(width / 2);
  const ch = Math.ceil(height / 2);
  const base = width * height;
  const bytes = new Uint8Array(base + 2 * cw * ch);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) bytes[y * width + x] = Math.round(yuv(rgb(x, y))[0]);
  for (let y = 0; y < ch; y++) {
    for (let x = 0; x < cw; x++) {
      const [, u, v] = yuv(rgb(2 * x + 0.5, 2 * y + 0.5));
      if (format === 'I420') {
        bytes[base + y * cw + x] = Math.round(u);
        bytes[base + cw * ch + y * cw + x] = Math.round(v);
      } else {
        bytes[base + 2 * (y * cw + x)] = Math.round(u);
        bytes[base + 2 * (y * cw + x) + 1] = Math.round(v);
      }
    }
  }
  return new VideoFrame(bytes, {
    format,
    codedWidth: width,
    codedHeight: height,
    timestamp: 0,
    colorSpace: { primaries: 'bt709', transfer: 'bt709', matrix: 'bt709', fullRange: false },
  });
}

/** The font and image the overlay scenes use. */
export async function loadSceneAssets(): Promise<{ font: LoadedFont; logo: ImageBitmap }> {
  const face = new FontFace('golden-dejavu', await (await fetch(fontUrl)).arrayBuffer());
  await face.load();
  document.fonts.add(face);
  const canvas = new OffscreenCanvas(24, 24);
  const g = canvas.getContext('2d');
  if (!g) throw new Error('no 2d context');
  g.fillStyle = 'rgb(250 200 40)';
  g.beginPath();
  g.arc(12, 12, 11, 0, 2 * Math.PI);
  g.fill();
  g.fillStyle = 'rgb(20 40 160)';
  g.fillRect(6, 9, 12, 6);
  return { font: { family: 'golden-dejavu', weight: 400 }, logo: await createImageBitmap(canvas) };
}

export interface Scene {
  name: string;
  width?: number;
  height?: number;
  params: Record<string, unknown>;
  inputs: Record<string, () => VideoFrame>;
}

const rect = (x: number, y: number, width: number, height: number) => ({ x, y, width, height });
export const SCENES: Scene[] = [
  {
    name: 'pip',
    params: { layers: { in_1: { rect: rect(96, 50, 56, 32), aspect_fit: false } } },
    inputs: { in_0: () => picture('I420', 160, 90, 0), in_1: () => picture('NV12', 64, 48, 1) },
  },
  {
    name: 'opacity-zorder',
    params: {
      layers: {
        in_0: { z_index: 2, rect: rect(10, 10, 80, 50), opacity: 0.6, aspect_fit: false },
        in_1: { z_index: 1 },
      },
    },
    inputs: { in_0: () => picture('I420', 80, 50, 2), in_1: () => picture('I420', 160, 90, 3) },
  },
  {
    name: 'rotation-circle',
    params: {
      layers: {
        in_1: { rect: rect(40, 10, 70, 70), rotation_degrees: 30, crop_shape: 'circle', aspect_fit: false },
        in_2: { rect: rect(110, 40, 40, 30), rotation_degrees: -20, aspect_fit: false },
      },
    },
    inputs: {
      in_0: () => picture('I420', 160, 90, 4),
      in_1: () => picture('I420', 70, 70, 5),
      in_2: () => picture('NV12', 40, 30, 6),
    },
  },
  {
    name: 'mirror-crop',
    params: {
      layers: {
        in_0: { mirror_horizontal: true, crop_zoom: 1.5, crop_x: 0.3, crop_y: 0.6 },
        in_1: { rect: rect(100, 8, 50, 40), mirror_vertical: true, aspect_fit: true },
      },
    },
    inputs: { in_0: () => picture('I420', 160, 90, 7), in_1: () => picture('I420', 64, 64, 8) },
  },
  {
    name: 'overlays',
    params: {
      text_overlays: [
        { text: 'Weft 12:34', rect: rect(8, 6, 120, 30), font_size: 20, color: [255, 255, 255, 255] },
        {
          text: 'tilted',
          rect: rect(90, 50, 60, 24),
          font_size: 14,
          color: [255, 80, 80, 220],
          rotation_degrees: 15,
        },
      ],
      image_overlays: [{ data_base64: 'x', rect: rect(124, 6, 28, 28), opacity: 0.8 }],
    },
    inputs: { in_0: () => picture('I420', 160, 90, 9) },
  },
  {
    name: 'odd-size',
    width: 99,
    height: 57,
    params: { layers: { in_1: { rect: rect(51, 27, 41, 23), aspect_fit: false } } },
    inputs: { in_0: () => picture('I420', 37, 21, 10), in_1: () => picture('NV12', 33, 17, 11) },
  },
];

/** A scene's plan and sources, ready for any backend; `close()` closes its input frames. */
export function prepare(scene: Scene, assets: { font: LoadedFont; logo: ImageBitmap }) {
  const width = scene.width ?? 160;
  const height = scene.height ?? 90;
  const params = compositorParams.parse({ width, height, ...scene.params });
  const frames = new Map(Object.entries(scene.inputs).map(([pin, make]) => [pin, make()]));
  const images = params.image_overlays.map(() => assets.logo);
  const sources: SceneSources = { frames, images, fonts: params.text_overlays.map(() => assets.font) };
  const plan: Draw[] = planScene(
    params,
    [...frames].map(([pin, f]) => ({ pin, size: { width: f.displayWidth, height: f.displayHeight } })),
    images.map((i) => ({ width: i.width, height: i.height })),
  );
  return {
    width,
    height,
    plan,
    sources,
    init: { timestamp: 0, duration: 33_333 },
    close: () => frames.forEach((f) => f.close()),
  };
}

/** Weft's converter, for RGB renderings (CPU here; the same bytes as on a GPU machine). */
const converter = new PixelConverter('bt709', 'cpu');

/** RGBA bytes of a frame (sRGB), for the reference PNGs. */
export async function rgbaOf(frame: VideoFrame): Promise<Uint8ClampedArray> {
  const out = new Uint8ClampedArray(frame.displayWidth * frame.displayHeight * 4);
  await frame.copyTo(out, { format: 'RGBA', colorSpace: 'srgb' });
  return out;
}

/** The frame's I420 bytes (converted with Weft's converter when it is RGB). */
export async function i420Of(frame: VideoFrame): Promise<Uint8Array> {
  const yuv = frame.format === 'I420' ? frame : await converter.convert(frame, 'I420');
  try {
    const out = new Uint8Array(yuv.allocationSize());
    await yuv.copyTo(out);
    return out;
  } finally {
    if (yuv !== frame) yuv.close();
  }
}

/** PSNR over every sample, in dB (Infinity when equal). */
export function psnr(a: Uint8Array, b: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    sum += d * d;
  }
  return sum === 0 ? Infinity : 10 * Math.log10((255 * 255) / (sum / a.length));
}

export async function png(rgba: Uint8ClampedArray, width: number, height: number): Promise<string> {
  const canvas = new OffscreenCanvas(width, height);
  canvas.getContext('2d')?.putImageData(new ImageData(new Uint8ClampedArray(rgba), width, height), 0, 0);
  const bytes = new Uint8Array(await (await canvas.convertToBlob({ type: 'image/png' })).arrayBuffer());
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/** The reference PNG of a scene, in I420. */
export async function reference(name: string): Promise<Uint8Array | undefined> {
  const url = GOLDEN[`../golden/${name}.png`];
  if (!url) return undefined;
  const bitmap = await createImageBitmap(await (await fetch(url)).blob());
  const frame = new VideoFrame(bitmap, { timestamp: 0 });
  bitmap.close();
  try {
    return await i420Of(frame);
  } finally {
    frame.close();
  }
}

/** Writes a reference PNG (only when WEFT_UPDATE_GOLDEN=1; returns whether it wrote). */
export function writeGolden(name: string, base64: string): Promise<boolean> {
  return commands.writeGolden(name, base64);
}
