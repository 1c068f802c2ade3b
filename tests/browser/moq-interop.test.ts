/**
 * Interop with the MoQ ecosystem's own players and publishers, unmodified, against Weft's relay:
 * `<moq-watch>` (@moq/watch) plays what Weft's publisher node sends, and Weft's subscriber node
 * decodes what `<moq-publish>` (@moq/publish) sends from Chromium's fake camera.
 */
import '@moq/publish/element';
import '@moq/watch/element';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { z } from 'zod';
import type { SessionResult } from '../../src/engine';
import { closePacket, defineNode, NodeRegistry, parsePipeline, Session } from '../../src/engine';
import { ALL_NODES } from '../../src/nodes';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

function start(text: string, registry: NodeRegistry): Session {
  const { pipeline, source } = parsePipeline(text);
  return new Session(pipeline, { registry, host: {}, source, statsIntervalMs: 0, stallTimeoutMs: 20_000 });
}

/** Distinct colours in a 16x16 grid sampled from the canvas: colour bars give several, black gives one. */
function coloursOn(canvas: HTMLCanvasElement): number {
  const probe = document.createElement('canvas');
  probe.width = 16;
  probe.height = 16;
  const ctx = probe.getContext('2d', { willReadFrequently: true })!;
  ctx.drawImage(canvas, 0, 0, 16, 16);
  const data = ctx.getImageData(0, 0, 16, 16).data;
  const seen = new Set<string>();
  for (let i = 0; i < data.length; i += 4) seen.add(`${data[i]! >> 5},${data[i + 1]! >> 5},${data[i + 2]! >> 5}`);
  return seen.size;
}

const mounted: HTMLElement[] = [];
afterEach(() => {
  for (const el of mounted.splice(0)) el.remove();
});

describe('MoQ interop with @moq/watch and @moq/publish', () => {
  const relay = inject('moqRelay');

  it('<moq-watch> plays a broadcast from transport::moq::publisher', async () => {
    const publisher = start(
      `
mode: oneshot
nodes:
  bars:
    kind: video::colorbars
    params: { width: 320, height: 240, fps: 30, frame_count: 240, pixel_format: i420 }
  venc:
    kind: video::vp9::encoder
    params: { keyframe_interval: 30 }
    needs: bars
  pace:
    kind: core::pacer
    needs: venc
  tone:
    kind: audio::sine
    params: { duration_ms: 8000 }
  aenc:
    kind: audio::opus::encoder
    needs: tone
  apace:
    kind: core::pacer
    needs: aenc
  pub:
    kind: transport::moq::publisher
    params: { url: "${relay}", broadcast: interop/weft, audio: true, video: true }
    needs: { in: apace, in_1: pace }
`,
      new NodeRegistry(ALL_NODES),
    );
    const published = publisher.result();
    const watch = document.createElement('moq-watch');
    watch.setAttribute('url', relay);
    watch.setAttribute('name', 'interop/weft');
    watch.setAttribute('muted', '');
    watch.setAttribute('visible', 'always');
    const canvas = document.createElement('canvas');
    watch.append(canvas);
    document.body.append(watch);
    mounted.push(watch);

    const frames = await until('30 frames decoded by <moq-watch>', () => {
      const count = watch.video.out.stats.peek()?.frameCount ?? 0;
      return count >= 30 ? count : undefined;
    });
    expect(frames).toBeGreaterThanOrEqual(30);
    expect(watch.video.out.display.peek()).toEqual({ width: 320, height: 240 });
    // The renderer drew the bars, not a blank canvas.
    await until('colour bars on the canvas', () => (coloursOn(canvas) >= 5 ? true : undefined));
    watch.remove();
    const result: SessionResult = await published;
    expect(result.state, JSON.stringify(result.error)).toBe('done');
  });

  it('transport::moq::subscriber decodes a <moq-publish> camera broadcast', async () => {
    const frames: { width: number; height: number }[] = [];
    const registry = new NodeRegistry([
      ...ALL_NODES,
      defineNode({
        kind: 'test::count_frames',
        version: 1,
        description: 'Counts decoded frames.',
        categories: ['test'],
        params: z.strictObject({}),
        inputs: [{ name: 'in', accepts: [{ kind: 'raw_video' }], cardinality: 'one' }],
        outputs: [],
        create: () => ({
          async run(io) {
            for await (const packet of io.input('in')) {
              if (packet.kind === 'raw_video')
                frames.push({ width: packet.frame.displayWidth, height: packet.frame.displayHeight });
              closePacket(packet);
            }
          },
        }),
      }),
    ]);
    const publish = document.createElement('moq-publish');
    publish.setAttribute('url', relay);
    publish.setAttribute('name', 'interop/camera');
    publish.setAttribute('muted', '');
    publish.setAttribute('preview', 'none');
    publish.setAttribute('source', 'camera');
    document.body.append(publish);
    mounted.push(publish);

    const subscriber = start(
      `
mode: dynamic
nodes:
  sub:
    kind: transport::moq::subscriber
    params: { url: "${relay}", broadcast: interop/camera }
  dec:
    kind: video::decoder
    needs: { in: sub.video/hd }
  count:
    kind: test::count_frames
    needs: dec
`,
      registry,
    );
    subscriber.start();
    try {
      await until('30 camera frames through Weft', () => (frames.length >= 30 ? true : undefined), 30_000);
    } finally {
      publish.remove();
    }
    expect(frames[0]!.width).toBeGreaterThan(0);
    expect(frames.every((f) => f.width === frames[0]!.width && f.height === frames[0]!.height)).toBe(true);
    subscriber.stop();
    const result = await subscriber.result();
    expect(result.openFrames).toBe(0);
  });
});
