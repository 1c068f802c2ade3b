import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Packet } from '../../src/engine';
import { defineNode, micros, NodeRegistry, Session } from '../../src/engine';
import { ALL_NODES } from '../../src/nodes';

const WIDTH = 320;
const HEIGHT = 240;
const FRAMES = 10;
const FRAME_US = 33_333;

function drawFrame(i: number): VideoFrame {
  const canvas = new OffscreenCanvas(WIDTH, HEIGHT);
  const g = canvas.getContext('2d');
  if (!g) throw new Error('no 2d context');
  g.fillStyle = `hsl(${i * 36} 80% 50%)`;
  g.fillRect(0, 0, WIDTH, HEIGHT);
  g.fillStyle = '#fff';
  g.fillRect(i * 20, 100, 40, 40);
  return new VideoFrame(canvas, { timestamp: i * FRAME_US, duration: FRAME_US });
}

describe('WebCodecs in headless Chromium', () => {
  it('encodes and decodes a few VP8 frames', async () => {
    const chunks: EncodedVideoChunk[] = [];
    let decoderConfig: VideoDecoderConfig | undefined;
    const encoder = new VideoEncoder({
      output: (chunk, meta) => {
        chunks.push(chunk);
        decoderConfig ??= meta?.decoderConfig;
      },
      error: (e) => {
        throw e;
      },
    });
    const config: VideoEncoderConfig = { codec: 'vp8', width: WIDTH, height: HEIGHT, bitrate: 500_000, framerate: 30 };
    expect((await VideoEncoder.isConfigSupported(config)).supported).toBe(true);
    encoder.configure(config);
    for (let i = 0; i < FRAMES; i++) {
      const frame = drawFrame(i);
      encoder.encode(frame, { keyFrame: i === 0 });
      frame.close();
    }
    await encoder.flush();
    encoder.close();
    expect(chunks).toHaveLength(FRAMES);
    expect(chunks[0]?.type).toBe('key');
    expect(decoderConfig?.codec).toBe('vp8');

    const decoded: { timestamp: number; width: number }[] = [];
    const decoder = new VideoDecoder({
      output: (frame) => {
        decoded.push({ timestamp: frame.timestamp, width: frame.displayWidth });
        frame.close();
      },
      error: (e) => {
        throw e;
      },
    });
    decoder.configure(decoderConfig as VideoDecoderConfig);
    for (const chunk of chunks) decoder.decode(chunk);
    await decoder.flush();
    decoder.close();
    expect(decoded.map((d) => d.timestamp)).toEqual(Array.from({ length: FRAMES }, (_, i) => i * FRAME_US));
    expect(decoded.every((d) => d.width === WIDTH)).toBe(true);
  });

  it('runs the engine on real VideoFrames: fan-out clones, every frame is closed', async () => {
    const received: number[] = [];
    const source = defineNode({
      kind: 'test::canvas_source',
      version: 1,
      description: 'Draws a few frames on a canvas.',
      categories: ['test'],
      params: z.strictObject({}),
      inputs: [],
      outputs: [{ name: 'out', produces: { kind: 'raw_video' }, cardinality: 'broadcast' }],
      create: () => ({
        async run(io) {
          for (let i = 0; i < FRAMES; i++) {
            const frame = drawFrame(i);
            const packet: Packet = {
              kind: 'raw_video',
              frame,
              meta: { timestamp: micros(frame.timestamp), duration: micros(FRAME_US) },
            };
            await io.output('out').send(packet);
          }
        },
      }),
    });
    const probe = defineNode({
      kind: 'test::probe',
      version: 1,
      description: 'Checks frames are usable, then closes them.',
      categories: ['test'],
      params: z.strictObject({}),
      inputs: [{ name: 'in', accepts: [{ kind: 'raw_video' }], cardinality: 'one' }],
      outputs: [],
      create: () => ({
        async run(io) {
          for await (const packet of io.input('in')) {
            if (packet.kind !== 'raw_video') throw new Error('expected video');
            received.push(packet.frame.codedWidth);
            packet.frame.close();
          }
        },
      }),
    });
    const registry = new NodeRegistry([...ALL_NODES, source, probe]);
    const session = new Session(
      {
        mode: 'oneshot',
        nodes: {
          src: { kind: 'test::canvas_source' },
          fan: { kind: 'core::passthrough' },
          a: { kind: 'test::probe' },
          b: { kind: 'core::sink' },
        },
        connections: [
          { from_node: 'src', from_pin: 'out', to_node: 'fan', to_pin: 'in' },
          { from_node: 'fan', from_pin: 'out', to_node: 'a', to_pin: 'in' },
          { from_node: 'fan', from_pin: 'out', to_node: 'b', to_pin: 'in' },
        ],
      },
      { registry, statsIntervalMs: 0 },
    );
    const result = await session.run();
    expect(result.openFrames).toBe(0);
    expect(received).toEqual(Array.from({ length: FRAMES }, () => WIDTH));
  });
});
