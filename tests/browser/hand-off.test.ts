/**
 * Frames handed to another Worker: a node transfers real `VideoFrame`s to a Worker, which owns
 * and closes them there. With `ctx.handOff` the session's accounting forgets them (no false leak);
 * without it, the transferred frames would still count as open here.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineNode, micros, NodeRegistry, parsePipeline, Session } from '../../src/engine';

const WORKER = `
let closed = 0;
onmessage = (event) => {
  const frame = event.data;
  const info = { timestamp: frame.timestamp, width: frame.codedWidth };
  frame.close();
  closed++;
  postMessage({ ...info, closed });
};`;

function frame(i: number): VideoFrame {
  const pixels = new Uint8Array(16 * 16 * 4).fill(200);
  return new VideoFrame(pixels, { format: 'RGBA', codedWidth: 16, codedHeight: 16, timestamp: i * 40_000 });
}

function handOffNodes(worker: Worker, useHandOff: boolean) {
  const registry = new NodeRegistry();
  registry.register(
    defineNode({
      kind: 'test::frames',
      version: 1,
      description: 'Sends three real frames.',
      categories: ['test'],
      params: z.strictObject({}),
      inputs: [],
      outputs: [{ name: 'out', produces: { kind: 'raw_video' }, cardinality: 'broadcast' }],
      create: () => ({
        async run(io) {
          for (let i = 0; i < 3; i++) {
            const f = frame(i);
            await io.output('out').send({ kind: 'raw_video', frame: f, meta: { timestamp: micros(f.timestamp) } });
          }
        },
      }),
    }),
  );
  registry.register(
    defineNode({
      kind: 'test::to_worker',
      version: 1,
      description: 'Transfers each frame to a Worker.',
      categories: ['test'],
      params: z.strictObject({}),
      inputs: [{ name: 'in', accepts: [{ kind: 'raw_video' }], cardinality: 'one' }],
      outputs: [],
      create: (ctx) => ({
        async run(io) {
          for await (const packet of io.input('in')) {
            if (packet.kind !== 'raw_video') continue;
            if (useHandOff) ctx.handOff(packet.frame);
            worker.postMessage(packet.frame, [packet.frame]);
          }
        },
      }),
    }),
  );
  return registry;
}

async function run(useHandOff: boolean) {
  const worker = new Worker(URL.createObjectURL(new Blob([WORKER], { type: 'text/javascript' })));
  const seen: { timestamp: number; width: number; closed: number }[] = [];
  const allClosed = new Promise<void>((resolve) => {
    worker.onmessage = (e: MessageEvent<{ timestamp: number; width: number; closed: number }>) => {
      seen.push(e.data);
      if (e.data.closed === 3) resolve();
    };
  });
  const pipeline = parsePipeline(
    'mode: oneshot\nnodes:\n  src: { kind: test::frames }\n  w: { kind: test::to_worker, needs: src }\n',
  ).pipeline;
  const result = await new Session(pipeline, {
    registry: handOffNodes(worker, useHandOff),
    statsIntervalMs: 0,
  }).result();
  await allClosed;
  worker.terminate();
  return { result, seen };
}

describe('frames handed between Workers', () => {
  it('are owned and closed by the receiving Worker, and not counted as open here', async () => {
    const { result, seen } = await run(true);
    expect(result.state).toBe('done');
    expect(seen.map((s) => [s.timestamp, s.width])).toEqual([
      [0, 16],
      [40_000, 16],
      [80_000, 16],
    ]);
    expect(result.openFrames).toBe(0);
  });

  it('would read as open (a false leak) without the hand-off', async () => {
    const { result } = await run(false);
    expect(result.openFrames).toBe(3);
  });
});
