/**
 * `video::compositor` by its pixels: placement, opacity, z-order, rotation, circle crop, mirroring,
 * crop/zoom, aspect fit, text and images, YUV inputs of odd sizes, the media-clock frame rate of
 * oneshot runs, and a live session where an input comes and goes and a layer moves (`tunenode`).
 */
import fontUrl from '@fontsource/dejavu-sans/files/dejavu-sans-latin-400-normal.woff2?url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { NodeHost, Pipeline } from '../../src/engine';
import {
  BUNDLED_FONT_ASSETS,
  closePacket,
  defineNode,
  ManualClock,
  micros,
  NodeRegistry,
  Session,
} from '../../src/engine';
import { ALL_NODES } from '../../src/nodes';
import { PixelConverter } from '../../src/nodes/media/pixel-formats';

type Rgb = [number, number, number];
const W = 64;
const H = 48;
const BLUE: Rgb = [0, 0, 255];
const RED: Rgb = [255, 0, 0];
const GREEN: Rgb = [0, 255, 0];

/** A source frame painted by `paint` (a canvas frame: BGRA). */
function canvasFrame(
  width: number,
  height: number,
  timestamp: number,
  paint: (g: OffscreenCanvasRenderingContext2D) => void,
  duration = 40_000,
): VideoFrame {
  const canvas = new OffscreenCanvas(width, height);
  const g = canvas.getContext('2d', { alpha: false });
  if (!g) throw new Error('no 2d context');
  paint(g);
  return new VideoFrame(canvas, { timestamp, duration });
}
const flat = (rgb: Rgb, width = W, height = H, timestamp = 0, duration = 40_000) =>
  canvasFrame(
    width,
    height,
    timestamp,
    (g) => {
      g.fillStyle = `rgb(${rgb.join(' ')})`;
      g.fillRect(0, 0, width, height);
    },
    duration,
  );
/** Left half `a`, right half `b` (or top/bottom with `vertical`). */
const halves = (a: Rgb, b: Rgb, vertical = false) =>
  canvasFrame(W, H, 0, (g) => {
    g.fillStyle = `rgb(${a.join(' ')})`;
    g.fillRect(0, 0, W, H);
    g.fillStyle = `rgb(${b.join(' ')})`;
    if (vertical) g.fillRect(0, H / 2, W, H / 2);
    else g.fillRect(W / 2, 0, W / 2, H);
  });

/** A flat YUV frame (BT.709 limited range) in I420 or NV12, any size. */
function yuvFrame(format: 'I420' | 'NV12', width: number, height: number, [r, g, b]: Rgb): VideoFrame {
  const [R, G, B] = [r / 255, g / 255, b / 255];
  const y = 0.2126 * R + 0.7152 * G + 0.0722 * B;
  const Y = Math.round(16 + 219 * y);
  const U = Math.round(128 + (224 * (B - y)) / 1.8556);
  const V = Math.round(128 + (224 * (R - y)) / 1.5748);
  const cw = Math.ceil(width / 2);
  const ch = Math.ceil(height / 2);
  const bytes = new Uint8Array(width * height + 2 * cw * ch);
  bytes.fill(Y, 0, width * height);
  if (format === 'I420') {
    bytes.fill(U, width * height, width * height + cw * ch);
    bytes.fill(V, width * height + cw * ch);
  } else {
    for (let i = width * height; i < bytes.length; i += 2) {
      bytes[i] = U;
      bytes[i + 1] = V;
    }
  }
  return new VideoFrame(bytes, {
    format,
    codedWidth: width,
    codedHeight: height,
    timestamp: 0,
    duration: 40_000,
    colorSpace: { primaries: 'bt709', transfer: 'bt709', matrix: 'bt709', fullRange: false },
  });
}

/** Frames of each test source, by `test::frames` param `name`. */
const SOURCES = new Map<string, () => VideoFrame[]>();
/**
 * The layout sources send: the canvas's own RGB (the Canvas2D backend draws them) or I420 (the
 * planar backend composites them in YUV). Each backend runs the same tests.
 */
let sourceFormat: 'canvas' | 'I420' = 'canvas';
const converter = new PixelConverter('bt709');

const framesNode = defineNode({
  kind: 'test::frames',
  version: 1,
  description: 'Sends the frames registered under its name (oneshot).',
  categories: ['test'],
  params: z.strictObject({ name: z.string() }),
  inputs: [],
  outputs: [{ name: 'out', produces: { kind: 'raw_video' }, cardinality: 'broadcast' }],
  create: (ctx) => ({
    async run(io) {
      for (const made of SOURCES.get(ctx.params.name)?.() ?? []) {
        let frame = made;
        if (sourceFormat === 'I420' && made.format !== 'I420' && made.format !== 'NV12') {
          frame = await converter.convert(made, 'I420');
          made.close();
        }
        await io.output('out').send({
          kind: 'raw_video',
          frame,
          meta: { timestamp: micros(frame.timestamp), duration: micros(frame.duration ?? 40_000) },
        });
      }
    },
  }),
});

/** A live source: one frame of a colour, then it stays open until stopped. */
const stillNode = defineNode({
  kind: 'test::still',
  version: 1,
  description: 'Sends one flat frame, then holds its stream open (dynamic sessions).',
  categories: ['test'],
  params: z.strictObject({ rgb: z.array(z.number()).length(3) }),
  inputs: [],
  outputs: [{ name: 'out', produces: { kind: 'raw_video' }, cardinality: 'broadcast' }],
  create: (ctx) => ({
    async run(io) {
      const frame = flat(ctx.params.rgb as Rgb, 32, 24);
      await io.output('out').send({ kind: 'raw_video', frame, meta: { timestamp: micros(0) } });
      await new Promise<void>((resolve) => io.signal.addEventListener('abort', () => resolve(), { once: true }));
    },
  }),
});

interface Picture {
  timestamp: number;
  format: string | null;
  width: number;
  height: number;
  rgba: Uint8Array;
}
let pictures: Picture[] = [];

const pixelsNode = defineNode({
  kind: 'test::pixels',
  version: 1,
  description: 'Reads every frame as RGBA, then closes it.',
  categories: ['test'],
  params: z.strictObject({}),
  inputs: [{ name: 'in', accepts: [{ kind: 'raw_video' }], cardinality: 'one' }],
  outputs: [],
  create: () => ({
    async run(io) {
      for await (const packet of io.input('in')) {
        if (packet.kind !== 'raw_video') throw new Error('not video');
        const f = packet.frame;
        const rgba = new Uint8Array(f.displayWidth * f.displayHeight * 4);
        try {
          await f.copyTo(rgba, { format: 'RGBA' });
          pictures.push({
            timestamp: f.timestamp,
            format: f.format,
            width: f.displayWidth,
            height: f.displayHeight,
            rgba,
          });
        } finally {
          closePacket(packet);
        }
      }
    },
  }),
});

const registry = new NodeRegistry([...ALL_NODES, framesNode, stillNode, pixelsNode]);

/** Serves the bundled font as the server does (the asset service). */
const host: NodeHost = {
  openAsset: async (path) => {
    if (path !== BUNDLED_FONT_ASSETS.regular) throw new Error(`no asset '${path}'`);
    return (await fetch(fontUrl)).blob();
  },
};

/** Runs a oneshot compositor over the named sources (pins in order) and returns its pictures. */
async function composite(params: Record<string, unknown>, sources: Record<string, () => VideoFrame[]>) {
  pictures = [];
  const nodes: Pipeline['nodes'] = { comp: { kind: 'video::compositor', params: { width: W, height: H, ...params } } };
  const connections: Pipeline['connections'] = [];
  for (const [pin, make] of Object.entries(sources)) {
    const name = `${pin}-${Math.random()}`;
    SOURCES.set(name, make);
    nodes[`src_${pin}`] = { kind: 'test::frames', params: { name } };
    connections.push({ from_node: `src_${pin}`, from_pin: 'out', to_node: 'comp', to_pin: pin });
  }
  nodes.out = { kind: 'test::pixels' };
  connections.push({ from_node: 'comp', from_pin: 'out', to_node: 'out', to_pin: 'in' });
  const session = new Session({ mode: 'oneshot', nodes, connections }, { registry, host, statsIntervalMs: 0 });
  const result = await session.result();
  if (result.state !== 'done') throw result.error ?? new Error(result.state);
  expect(result.openFrames).toBe(0);
  return pictures;
}

/** The RGB at (x, y) of a picture. */
function at(p: Picture | undefined, x: number, y: number): Rgb {
  if (!p) throw new Error('no picture');
  const i = (y * p.width + x) * 4;
  return [p.rgba[i] ?? -1, p.rgba[i + 1] ?? -1, p.rgba[i + 2] ?? -1];
}

/**
 * Saturated primaries do not survive 8-bit limited-range YUV exactly (pure blue reads back as
 * about 1, 0, 243): YUV inputs get that much more slack.
 */
const YUV_SLACK = 10;

function near(actual: Rgb, expected: Rgb, tolerance = 6): void {
  if (sourceFormat === 'I420') tolerance += YUV_SLACK;
  for (let c = 0; c < 3; c++) {
    expect(
      Math.abs((actual[c] ?? 0) - (expected[c] ?? 0)),
      `${actual.join()} vs ${expected.join()}`,
    ).toBeLessThanOrEqual(tolerance);
  }
}

const one = (frame: () => VideoFrame) => () => [frame()];

describe.each([
  ['Canvas2D backend (RGB inputs)', 'canvas'],
  ['planar backend (I420 inputs)', 'I420'],
] as const)('video::compositor, %s', (_name, format) => {
  beforeAll(() => {
    sourceFormat = format;
  });
  afterAll(() => {
    sourceFormat = 'canvas';
  });

  it('draws a layer at its rect over the background input, and the background elsewhere', async () => {
    const [p] = await composite(
      { layers: { in_1: { rect: { x: 10, y: 8, width: 20, height: 16 }, aspect_fit: false } } },
      { in_0: one(() => flat(BLUE)), in_1: one(() => flat(RED, 16, 16)) },
    );
    expect(p && [p.width, p.height]).toEqual([W, H]);
    // YUV inputs are composited in YUV (no RGB round trip); RGB ones on the canvas.
    if (format === 'I420') expect(p?.format).toBe('I420');
    else expect(p?.format).toMatch(/^(RGB|BGR)[AX]$/);
    near(at(p, 20, 16), RED);
    near(at(p, 11, 9), RED);
    near(at(p, 28, 22), RED);
    near(at(p, 8, 16), BLUE);
    near(at(p, 32, 16), BLUE);
    near(at(p, 20, 26), BLUE);
    near(at(p, 60, 44), BLUE);
  });

  it('leaves the canvas black where no input is drawn, and places an unconfigured second input as a PiP', async () => {
    const [p] = await composite({}, { in_0: one(() => flat(BLUE, 32, 48)), in_1: one(() => flat(RED)) });
    // in_0 (32×48) is fitted into the 64×48 canvas: bars left and right.
    near(at(p, 2, 24), [0, 0, 0]);
    near(at(p, 24, 10), BLUE);
    // in_1: a third of the canvas in the bottom-right corner, 20 px in.
    near(at(p, W - 20 - 10, H - 20 - 8), RED);
    near(at(p, W - 10, H - 5), [0, 0, 0]);
  });

  it('blends by opacity', async () => {
    const [p] = await composite(
      { layers: { in_1: { opacity: 0.5 } } },
      { in_0: one(() => flat(BLUE)), in_1: one(() => flat(RED)) },
    );
    near(at(p, 32, 24), [128, 0, 128], 3);
  });

  it('stacks by z_index, not by pin order', async () => {
    const [p] = await composite(
      { layers: { in_0: { z_index: 2 }, in_1: { z_index: 1, rect: { x: 0, y: 0, width: 32, height: 24 } } } },
      { in_0: one(() => flat(RED)), in_1: one(() => flat(GREEN)) },
    );
    near(at(p, 10, 10), RED);
  });

  it('rotates about the rect centre', async () => {
    const bar = { rect: { x: 12, y: 20, width: 40, height: 8 }, aspect_fit: false, rotation_degrees: 90 };
    const [p] = await composite({ layers: { in_1: bar } }, { in_0: one(() => flat(BLUE)), in_1: one(() => flat(RED)) });
    near(at(p, 32, 8), RED); // the bar now stands upright through the centre
    near(at(p, 32, 40), RED);
    near(at(p, 14, 24), BLUE); // its old ends are background
    near(at(p, 50, 24), BLUE);
  });

  it('crops to a circle', async () => {
    const circle = { rect: { x: 12, y: 4, width: 40, height: 40 }, crop_shape: 'circle' };
    const [p] = await composite(
      { layers: { in_1: circle } },
      { in_0: one(() => flat(BLUE)), in_1: one(() => flat(RED, 40, 40)) },
    );
    near(at(p, 32, 24), RED);
    near(at(p, 32, 6), RED);
    near(at(p, 14, 6), BLUE); // the rect's corner is outside the circle
    near(at(p, 50, 42), BLUE);
  });

  it('mirrors horizontally and vertically', async () => {
    const [h] = await composite({ layers: { in: { mirror_horizontal: true } } }, { in: one(() => halves(RED, GREEN)) });
    near(at(h, 8, 24), GREEN);
    near(at(h, 56, 24), RED);
    const [v] = await composite(
      { layers: { in: { mirror_vertical: true } } },
      { in: one(() => halves(RED, GREEN, true)) },
    );
    near(at(v, 32, 6), GREEN);
    near(at(v, 32, 42), RED);
  });

  it('zooms into the part crop_x/crop_y centre on', async () => {
    const [p] = await composite(
      { layers: { in: { crop_zoom: 2, crop_x: 0.25, crop_y: 0.5 } } },
      { in: one(() => halves(RED, GREEN)) },
    );
    near(at(p, 2, 24), RED);
    near(at(p, 61, 24), RED);
  });

  it('takes I420 and NV12 inputs of odd sizes', async () => {
    const [p] = await composite(
      {
        layers: {
          in_0: { rect: { x: 0, y: 0, width: 32, height: 48 }, aspect_fit: false },
          in_1: { rect: { x: 32, y: 0, width: 32, height: 48 }, aspect_fit: false },
        },
      },
      { in_0: one(() => yuvFrame('I420', 33, 17, RED)), in_1: one(() => yuvFrame('NV12', 21, 35, GREEN)) },
    );
    // Saturated colours lose a little to 8-bit limited-range YUV.
    near(at(p, 16, 24), RED, 12);
    near(at(p, 48, 24), GREEN, 12);
  });

  it('draws text where asked, in its colour, clipped to its rect', async () => {
    const rect = { x: 4, y: 4, width: 40, height: 20 };
    const [p] = await composite(
      { text_overlays: [{ text: 'Weft Weft Weft', rect, color: [255, 0, 0, 255], font_size: 16 }] },
      { in: one(() => flat([0, 0, 0])) },
    );
    if (!p) throw new Error('no picture');
    let inside = 0;
    let outside = 0;
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const [r, g, b] = at(p, x, y);
        const lit = r > 96;
        if (!lit) continue;
        expect(g + b).toBeLessThan(r); // red text
        if (x >= rect.x && x < rect.x + rect.width && y >= rect.y && y < rect.y + rect.height) inside++;
        else outside++;
      }
    }
    expect(inside).toBeGreaterThan(40);
    expect(outside).toBe(0);
  });

  it('fails at start naming the overlay whose font is missing', async () => {
    await expect(
      composite(
        {
          text_overlays: [
            { id: 'title', text: 'x', rect: { x: 0, y: 0, width: 10, height: 10 }, font_name: 'fonts/Nope.ttf' },
          ],
        },
        { in: one(() => flat(BLUE)) },
      ),
    ).rejects.toThrow(/text_overlays\[0\] \(title\)\.font_name: font 'fonts\/Nope\.ttf' could not be read/);
  });

  it('draws an image overlay fitted into its rect', async () => {
    const canvas = new OffscreenCanvas(10, 20);
    const g = canvas.getContext('2d');
    if (!g) throw new Error('no 2d context');
    g.fillStyle = 'rgb(0 255 0)';
    g.fillRect(0, 0, 10, 20);
    const png = new Uint8Array(await (await canvas.convertToBlob({ type: 'image/png' })).arrayBuffer());
    const data_base64 = btoa(String.fromCharCode(...png));
    const [p] = await composite(
      { image_overlays: [{ data_base64, rect: { x: 20, y: 4, width: 40, height: 40 } }] },
      { in: one(() => flat(BLUE)) },
    );
    // 10×20 fitted into 40×40: 20×40, centred at x 30–50.
    near(at(p, 40, 24), GREEN);
    near(at(p, 25, 24), BLUE);
    near(at(p, 55, 24), BLUE);
  });

  it('holds its frame rate on the media clock with inputs at other rates', async () => {
    // in_0: 10 fps, four frames of changing red; in_1: 50 fps, twenty frames of changing green.
    const slow = () => Array.from({ length: 4 }, (_, i) => flat([60 * (i + 1), 0, 0], W, H, i * 100_000, 100_000));
    const fast = () => Array.from({ length: 20 }, (_, i) => flat([0, 10 * (i + 1), 0], 8, 8, i * 20_000, 20_000));
    const out = await composite(
      { fps: 25, layers: { in_1: { rect: { x: 48, y: 0, width: 16, height: 16 }, aspect_fit: false } } },
      { in_0: slow, in_1: fast },
    );
    expect(out.map((p) => p.timestamp)).toEqual(Array.from({ length: 10 }, (_, n) => n * 40_000));
    out.forEach((p, n) => {
      const t = n * 40_000;
      near(at(p, 10, 30), [60 * (Math.floor(t / 100_000) + 1), 0, 0], 3);
      near(at(p, 56, 8), [0, 10 * (Math.floor(t / 20_000) + 1), 0], 3);
    });
  });

  it('sends the output_format asked for', async () => {
    for (const [format, expected] of [
      ['i420', 'I420'],
      ['nv12', 'NV12'],
      ['rgba8', 'RGBA'],
    ] as const) {
      const [p] = await composite({ output_format: format }, { in: one(() => flat(RED)) });
      expect(p?.format).toBe(expected);
      near(at(p, 32, 24), RED, 8);
    }
  });
});

describe('video::compositor gpu_mode', () => {
  it("fails at start, saying why, when 'gpu' is asked for and the host has no GPU; 'auto' uses the CPU", async () => {
    await expect(composite({ gpu_mode: 'gpu' }, { in: one(() => flat(RED)) })).rejects.toThrow(
      /gpu_mode is 'gpu' but this host offers no GPU/,
    );
    const [p] = await composite({ gpu_mode: 'auto' }, { in: one(() => flat(RED)) });
    near(at(p, 32, 24), RED);
  });
});

describe('video::compositor in a live session', () => {
  const settle = async () => {
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setTimeout(resolve, 0));
  };

  it('draws an input added while running, follows a moved layer, and drops a removed input', async () => {
    pictures = [];
    const clock = new ManualClock();
    const session = new Session(
      {
        mode: 'dynamic',
        nodes: {
          bg: { kind: 'test::still', params: { rgb: BLUE } },
          comp: { kind: 'video::compositor', params: { width: W, height: H, fps: 10 } },
          out: { kind: 'test::pixels' },
        },
        connections: [
          { from_node: 'bg', from_pin: 'out', to_node: 'comp', to_pin: 'in_0' },
          { from_node: 'comp', from_pin: 'out', to_node: 'out', to_pin: 'in' },
        ],
      },
      { registry, host, clock, statsIntervalMs: 0 },
    );
    session.start();
    const tick = async () => {
      const before = pictures.length;
      clock.advance(micros(100_000));
      await expect.poll(() => pictures.length, { interval: 5 }).toBeGreaterThan(before);
      return pictures[pictures.length - 1];
    };
    await expect.poll(() => pictures.length, { interval: 5 }).toBe(1);
    near(at(pictures[0], 32, 24), BLUE);

    const rect = { x: 0, y: 0, width: 16, height: 12 };
    session.applyBatch([
      { action: 'addnode', node_id: 'pip', kind: 'test::still', params: { rgb: RED } },
      { action: 'connect', from_node: 'pip', from_pin: 'out', to_node: 'comp', to_pin: 'in_1' },
    ]);
    session.tuneNode('comp', { layers: { in_1: { rect, aspect_fit: false } } });
    await settle();
    let p = await tick();
    near(at(p, 8, 6), RED);
    near(at(p, 40, 30), BLUE);

    session.tuneNode('comp', { layers: { in_1: { rect: { ...rect, x: 40, y: 30 }, aspect_fit: false } } });
    p = await tick();
    near(at(p, 8, 6), BLUE);
    near(at(p, 48, 36), RED);

    session.applyBatch([{ action: 'removenode', node_id: 'pip' }]);
    await settle();
    p = await tick();
    near(at(p, 48, 36), BLUE);
    // Timestamps follow the session clock at 1/fps steps.
    expect(pictures.map((x) => x.timestamp)).toEqual(pictures.map((_, n) => n * 100_000));

    session.cancel();
    const result = await session.result();
    expect(result.openFrames).toBe(0);
  });
});
