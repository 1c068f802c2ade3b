import { describe, expect, it } from 'vitest';
import type { Pipeline, SessionEvent } from '../../src/engine';
import { CanceledError, DEFAULT_EDGE_CAPACITY, NodeError, parsePipeline, PacketQueue, Session } from '../../src/engine';
import { FakeFrame, fakeVideoPacket, testRegistry } from '../support/fakes';

function pipeline(text: string): Pipeline {
  return parsePipeline(text).pipeline;
}

function session(text: string, extra: Partial<ConstructorParameters<typeof Session>[1]> = {}) {
  const { registry, recorder } = testRegistry();
  const s = new Session(pipeline(text), { registry, statsIntervalMs: 0, ...extra });
  const events: SessionEvent[] = [];
  s.on((e) => events.push(e));
  return { session: s, recorder, events };
}

describe('scheduler', () => {
  it('runs a linear pipeline to completion and reports node states and stats', async () => {
    const {
      session: s,
      recorder,
      events,
    } = session(`
mode: oneshot
nodes:
  src: { kind: test::source, params: { count: 20 } }
  pass: { kind: core::passthrough, needs: src }
  out: { kind: test::collect, needs: pass }
`);
    const result = await s.run();
    expect(result.state).toBe('done');
    expect(result.openFrames).toBe(0);
    expect(recorder.get('out').map((p) => p.meta.sequence)).toEqual([...Array(20).keys()]);
    expect(result.stats.pass).toMatchObject({ packets_in: 20, packets_out: 20, errors: 0, queue_depth: 0 });
    const states = events
      .filter((e) => e.event === 'nodestatechanged' && e.node_id === 'pass')
      .map((e) => (e as { state: string }).state);
    expect(states).toEqual(['initializing', 'running', 'flushing', 'done']);
    expect(events.at(-1)).toEqual({ event: 'sessionstatechanged', state: 'done' });
    expect(s.state).toBe('done');
  });

  it('fans out by cloning frames; every consumer closes its own and nothing leaks', async () => {
    const live = FakeFrame.live;
    const { session: s, recorder } = session(`
mode: oneshot
nodes:
  src: { kind: test::source, params: { count: 10 } }
  fan: { kind: core::passthrough, needs: src }
  a: { kind: test::collect, needs: fan }
  b: { kind: test::collect, needs: fan }
  c: { kind: core::sink, needs: fan }
`);
    const result = await s.run();
    expect(result.openFrames).toBe(0);
    expect(FakeFrame.live).toBe(live);
    const a = recorder.get('a');
    const b = recorder.get('b');
    expect(a).toHaveLength(10);
    expect(b).toHaveLength(10);
    // Each consumer held a distinct frame object.
    for (let i = 0; i < 10; i++) {
      const fa = (a[i] as { frame: unknown }).frame;
      const fb = (b[i] as { frame: unknown }).frame;
      expect(fa).not.toBe(fb);
    }
  });

  it('reports frames a node forgot to close', async () => {
    const { session: s } = session(`
mode: oneshot
nodes:
  src: { kind: test::source, params: { count: 3 } }
  out: { kind: test::collect, params: { keep_frames_open: true }, needs: src }
`);
    const result = await s.run();
    expect(result.openFrames).toBe(3);
  });

  it('applies backpressure on reliable edges: a slow consumer bounds the queue', async () => {
    const { session: s, recorder } = session(`
mode: oneshot
nodes:
  src: { kind: test::source, params: { count: 60 } }
  slow: { kind: test::collect, params: { delay_us: 1000 }, needs: src }
`);
    // At each receive, how far ahead the producer got: bounded by the queue, not by the input size.
    let maxLead = 0;
    recorder.onReceive = (_node, index) => {
      maxLead = Math.max(maxLead, (s.stats().src?.packets_out ?? 0) - (index + 1));
    };
    const result = await s.run();
    expect(result.state).toBe('done');
    expect(maxLead).toBeGreaterThanOrEqual(DEFAULT_EDGE_CAPACITY);
    expect(maxLead).toBeLessThanOrEqual(DEFAULT_EDGE_CAPACITY + 1);
    expect(result.stats.slow?.packets_in).toBe(60);
  });

  it('drops the oldest packet on a full best-effort edge and closes it', async () => {
    const q = new PacketQueue('best_effort', 2);
    const packets = [0, 1, 2, 3].map((i) => fakeVideoPacket(i));
    for (const p of packets) await q.push(p);
    expect(q.dropped).toBe(2);
    const frames = packets.map((p) => (p as { frame: unknown }).frame as FakeFrame);
    expect(frames.map((f) => f.closed)).toEqual([true, true, false, false]);
    q.end();
    const first = await q.pull();
    expect(first).toBe(packets[2]);
    q.fail(new Error('test done'));
    expect(frames[3]?.closed).toBe(true);
  });

  it('best-effort edges never block the producer', async () => {
    const { session: s } = session(`
mode: oneshot
nodes:
  src: { kind: test::source, params: { count: 200 } }
  slow: { kind: test::collect, params: { delay_us: 2000 }, needs: { node: src, mode: best_effort } }
`);
    const result = await s.run();
    expect(result.stats.slow?.dropped).toBeGreaterThan(0);
    expect((result.stats.slow?.packets_in ?? 0) + (result.stats.slow?.dropped ?? 0)).toBe(200);
    expect(result.openFrames).toBe(0);
  });

  for (const phase of ['start', 'run', 'flush', 'close'] as const) {
    it(`stops the run on a ${phase} failure with a NodeError naming node, kind and phase, and closes everything`, async () => {
      const live = FakeFrame.live;
      const { session: s } = session(`
mode: oneshot
nodes:
  src: { kind: test::source, params: { count: 50 } }
  bad: { kind: test::fail, params: { phase: ${phase}, after: 3 }, needs: src }
  out: { kind: test::collect, needs: bad }
`);
      const error = await s.run().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(NodeError);
      const ne = error as NodeError;
      expect(ne).toMatchObject({ nodeId: 'bad', kind: 'test::fail', phase });
      expect(ne.message).toMatch(new RegExp(`^\\[test::fail#bad\\] ${phase}: synthetic ${phase} failure`));
      expect(s.state).toBe('failed');
      expect(s.openFrames).toBe(0);
      expect(FakeFrame.live).toBe(live);
    });
  }

  it('a failing source reports itself and downstream nodes are stopped', async () => {
    const { session: s } = session(`
mode: oneshot
nodes:
  src: { kind: test::source, params: { count: 10, fail_after: 4 } }
  out: { kind: test::collect, needs: src }
`);
    const result = await s.result();
    expect(result.state).toBe('failed');
    expect((result.error as NodeError).nodeId).toBe('src');
    expect(result.openFrames).toBe(0);
  });

  it('cancels through an AbortSignal and closes queued frames', async () => {
    const controller = new AbortController();
    const { session: s } = session(
      `
mode: oneshot
nodes:
  src: { kind: test::source, params: { count: 1000 } }
  slow: { kind: test::collect, params: { delay_us: 1000 }, needs: src }
`,
      { signal: controller.signal },
    );
    s.start();
    await new Promise((r) => setTimeout(r, 20));
    controller.abort(new CanceledError('user canceled'));
    const result = await s.result();
    expect(result.state).toBe('canceled');
    expect(result.error?.message).toBe('user canceled');
    expect(s.openFrames).toBe(0);
  });

  it('merges a dynamic family of inputs until every input ended', async () => {
    const { session: s, recorder } = session(`
mode: oneshot
nodes:
  a: { kind: test::source, params: { count: 7, type: text } }
  b: { kind: test::source, params: { count: 5, type: text } }
  m: { kind: test::merge, needs: [a, b] }
  out: { kind: test::collect, needs: m }
`);
    const result = await s.run();
    expect(result.state).toBe('done');
    expect(recorder.get('out')).toHaveLength(12);
  });

  it('publishes node stats periodically while running', async () => {
    const { session: s, events } = session(
      `
mode: oneshot
nodes:
  src: { kind: test::source, params: { count: 40 } }
  slow: { kind: test::collect, params: { delay_us: 1000 }, needs: src }
`,
      { statsIntervalMs: 5 },
    );
    await s.run();
    const stats = events.filter((e) => e.event === 'nodestatsupdated' && e.node_id === 'slow');
    expect(stats.length).toBeGreaterThan(1);
  });
});

describe('timing contract', () => {
  it('refuses a media packet whose timestamp is not integer microseconds, naming the node', async () => {
    const { registry } = testRegistry();
    const { z } = await import('zod');
    const { defineNode } = await import('../../src/engine');
    registry.register(
      defineNode({
        kind: 'test::bad_clock',
        version: 1,
        description: 'Sends a frame stamped in milliseconds with a fraction.',
        categories: ['test'],
        params: z.strictObject({}),
        inputs: [],
        outputs: [{ name: 'out', produces: { kind: 'raw_video' }, cardinality: 'broadcast' }],
        create: () => ({
          run: async (io) => {
            const packet = fakeVideoPacket(0);
            packet.meta.timestamp = 33.3 as never;
            await io.output('out').send(packet);
          },
        }),
      }),
    );
    const s = new Session(
      pipeline('mode: oneshot\nnodes:\n  src: { kind: test::bad_clock }\n  out: { kind: core::sink, needs: src }\n'),
      {
        registry,
        statsIntervalMs: 0,
      },
    );
    const result = await s.result();
    expect(result.error?.message).toBe(
      "[test::bad_clock#src] run: output 'out': timestamp 33.3 is not an integer (timestamps and durations are integer microseconds)",
    );
    expect(result.openFrames).toBe(0);
  });
});
