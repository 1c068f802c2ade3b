/**
 * The MoQ nodes against a real relay (Weft's, started by the test project's global setup):
 * a pipeline publishes encoded video and audio, another subscribes, decodes and counts.
 */
import { describe, expect, inject, it } from 'vitest';
import { z } from 'zod';
import type { Packet, SessionResult } from '../../src/engine';
import { closePacket, defineNode, NodeRegistry, parsePipeline, Session } from '../../src/engine';
import { ALL_NODES } from '../../src/nodes';

interface Seen {
  frames: { width: number; height: number; timestamp: number }[];
  audio: number;
}

function collector(seen: Seen) {
  return defineNode({
    kind: 'test::collect_media',
    version: 1,
    description: 'Counts decoded frames and audio buffers.',
    categories: ['test'],
    params: z.strictObject({}),
    inputs: [{ name: 'in', accepts: [{ kind: 'any' }], cardinality: { dynamic: 'in' }, required: false }],
    outputs: [],
    create: () => ({
      async run(io) {
        for (;;) {
          const got = await io.recvAny();
          if (!got) return;
          const p: Packet = got.packet;
          if (p.kind === 'raw_video')
            seen.frames.push({
              width: p.frame.displayWidth,
              height: p.frame.displayHeight,
              timestamp: p.frame.timestamp,
            });
          if (p.kind === 'raw_audio') seen.audio++;
          closePacket(p);
        }
      },
    }),
  });
}

function start(text: string, registry: NodeRegistry): Session {
  const { pipeline, source } = parsePipeline(text);
  return new Session(pipeline, { registry, host: {}, source, statsIntervalMs: 0, stallTimeoutMs: 20_000 });
}

describe('transport::moq nodes', () => {
  const relay = inject('moqRelay');

  it('publishes video and audio to the relay and subscribes to them: catalog tracks become pins', async () => {
    const seen: Seen = { frames: [], audio: 0 };
    const registry = new NodeRegistry([...ALL_NODES, collector(seen)]);
    const subscriber = start(
      `
mode: oneshot
nodes:
  sub:
    kind: transport::moq::subscriber
    params: { url: "${relay}", broadcast: test/bars }
  vdec:
    kind: video::vp9::decoder
    needs: { in: sub.video/data }
  adec:
    kind: audio::opus::decoder
    needs: sub
  collect:
    kind: test::collect_media
    needs: { in: vdec, in_1: adec }
`,
      registry,
    );
    const subscribed = subscriber.result();
    // Give the subscriber its announcement wait before the broadcast starts.
    await new Promise((r) => setTimeout(r, 300));
    const publisher = start(
      `
mode: oneshot
nodes:
  bars:
    kind: video::colorbars
    params: { width: 320, height: 240, fps: 30, frame_count: 60, pixel_format: i420 }
  venc:
    kind: video::vp9::encoder
    params: { keyframe_interval: 15 }
    needs: bars
  pace:
    kind: core::pacer
    needs: venc
  tone:
    kind: audio::sine
    params: { duration_ms: 2000 }
  aenc:
    kind: audio::opus::encoder
    needs: tone
  apace:
    kind: core::pacer
    needs: aenc
  pub:
    kind: transport::moq::publisher
    params: { url: "${relay}", broadcast: test/bars, audio: true, video: true }
    needs: { in: apace, in_1: pace }
`,
      registry,
    );
    const published: SessionResult = await publisher.result();
    expect(published.state, JSON.stringify(published.error)).toBe('done');
    const result = await subscribed;
    expect(result.state, JSON.stringify(result.error)).toBe('done');
    // It joined at the start: every group, so nearly every frame, decoded at its size.
    expect(seen.frames.length).toBeGreaterThanOrEqual(45);
    expect(seen.frames.every((f) => f.width === 320 && f.height === 240)).toBe(true);
    expect(seen.audio).toBeGreaterThan(50);
    expect(result.openFrames).toBe(0);
  });

  it('fails naming the relay when none answers', async () => {
    const registry = new NodeRegistry(ALL_NODES);
    const session = start(
      `
mode: oneshot
nodes:
  sub:
    kind: transport::moq::subscriber
    params: { url: "http://127.0.0.1:9/moq", broadcast: nowhere, max_retries: 2, backoff_cap: 0.1 }
  sink:
    kind: core::sink
    needs: sub
`,
      registry,
    );
    const result = await session.result();
    expect(result.state).toBe('failed');
    expect(result.error?.message).toMatch(
      /\[transport::moq::subscriber#sub\].*could not connect to the MoQ relay at http:\/\/127\.0\.0\.1:9\/moq after 2 attempt/,
    );
  });
});
