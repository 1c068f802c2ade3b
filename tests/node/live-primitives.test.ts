/**
 * The engine's primitives for live media, in the conformance style (real sessions, fake frames,
 * frame accounting checked): the latest-packet read under a fast producer, output pins created at
 * run time, the watchdog and abort grace on an injected clock (a slow-initializing node is not a
 * stall), shared resources, the session GPU, input types after a live connect, and frames handed
 * out of the session.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { AnyNodeDefinition, Packet, Pipeline, SessionEvent } from '../../src/engine';
import {
  ABORT_GRACE_MS,
  END_OF_STREAM,
  ManualClock,
  PacketQueue,
  NodeRegistry,
  Session,
  StalledError,
  closePacket,
  defineNode,
  fromMillis,
  parsePipeline,
} from '../../src/engine';
import { FakeFrame, fakeVideoPacket, testNodes, Recorder } from '../support/fakes';

const none = z.strictObject({});

/** A promise with its resolve function, for gating nodes from the test. */
function gate<T = void>(): { promise: Promise<T>; open: (value: T) => void } {
  let open!: (value: T) => void;
  const promise = new Promise<T>((resolve) => (open = resolve));
  return { promise, open };
}

/** Lets every pending promise callback and timer of 0 ms run. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

function registryWith(...nodes: AnyNodeDefinition[]) {
  const recorder = new Recorder();
  const registry = new NodeRegistry();
  for (const node of [...testNodes(recorder), ...nodes]) registry.register(node);
  return { registry, recorder };
}

function pipeline(text: string): Pipeline {
  return parsePipeline(text).pipeline;
}

afterEach(() => {
  expect(FakeFrame.live).toBe(0);
});

describe('latest-packet read', () => {
  it('gives the newest frame under a fast producer; older ones are dropped, closed and counted', async () => {
    const producerDone = gate();
    const seen: (number | null | undefined)[] = [];
    const reader = defineNode({
      kind: 'test::latest_reader',
      version: 1,
      description: 'Reads with latest() once the producer is done.',
      categories: ['test'],
      params: none,
      inputs: [
        {
          name: 'in',
          accepts: [{ kind: 'raw_video' }],
          cardinality: 'one',
          queue: { capacity: 4, mode: 'best_effort' },
        },
      ],
      outputs: [],
      create: () => ({
        async run(io) {
          const input = io.input('in');
          await producerDone.promise;
          const newest = input.latest();
          seen.push(newest ? (newest.meta.sequence ?? -1) : (newest ?? undefined));
          if (newest) closePacket(newest);
          await new Promise((resolve) => setTimeout(resolve, 0));
          const last = input.latest();
          seen.push(last ? -1 : last); // end of stream: undefined
        },
      }),
    });
    const { registry } = registryWith(reader);
    const session = new Session(
      pipeline(`
mode: oneshot
nodes:
  src: { kind: test::source, params: { count: 50 } }
  read: { kind: test::latest_reader, needs: src }
`),
      { registry, statsIntervalMs: 0 },
    );
    session.on((e: SessionEvent) => {
      if (e.event === 'nodestatechanged' && e.node_id === 'src' && e.state === 'done') producerDone.open();
    });
    const result = await session.result();
    expect(result.state).toBe('done');
    // The producer never waited on the slow reader (best effort, capacity 4): it finished first.
    expect(seen).toEqual([49, undefined]);
    expect(result.stats.read).toMatchObject({ packets_in: 1, dropped: 49 });
    expect(result.openFrames).toBe(0);
  });

  it('reads null, without waiting, when nothing is queued', async () => {
    const queue = new PacketQueue('best_effort', 2);
    expect(queue.takeLatest()).toBeNull();
    for (let i = 0; i < 3; i++) await queue.push(fakeVideoPacket(i));
    const newest = queue.takeLatest();
    expect(newest !== null && newest !== END_OF_STREAM ? newest.meta.sequence : -1).toBe(2);
    if (newest !== null && newest !== END_OF_STREAM) closePacket(newest);
    expect(queue.takeLatest()).toBeNull();
    expect(queue.dropped).toBe(2); // one on the full push, one older packet under the newest
    queue.end();
    expect(queue.takeLatest()).toBe(END_OF_STREAM);
  });
});

describe('output pins created at run time', () => {
  const catalog = defineNode({
    kind: 'test::catalog',
    version: 1,
    description: 'Learns its tracks while running (like a MoQ subscriber reading a catalog).',
    categories: ['test'],
    params: none,
    inputs: [],
    outputs: [
      {
        name: 'track',
        produces: { kind: 'any' },
        cardinality: 'broadcast',
        runtime: { pattern: /^(audio|video)\/[a-z]+$/ },
      },
    ],
    create: () => ({
      async run(io) {
        const video = io.createOutput('video/hd', { kind: 'raw_video', pixel_format: 'I420' });
        const audio = io.createOutput('audio/data', { kind: 'text' });
        for (let i = 0; i < 3; i++) await video.send(fakeVideoPacket(i));
        await audio.send({ kind: 'text', text: 'hello', meta: { sequence: 0 } });
      },
    }),
  });
  const videoOnly = defineNode({
    kind: 'test::video_only',
    version: 1,
    description: 'Accepts raw video only; records the type it was told.',
    categories: ['test'],
    params: none,
    inputs: [{ name: 'in', accepts: [{ kind: 'raw_video' }], cardinality: 'one' }],
    outputs: [],
    create: (ctx) => ({
      async run(io) {
        for await (const packet of io.input('in')) {
          types.push(ctx.inputTypes.get('in')?.kind ?? 'unknown');
          closePacket(packet);
        }
      },
    }),
  });
  let types: string[] = [];

  function catalogPipeline(videoConsumerPin: string): Pipeline {
    return pipeline(
      JSON.stringify({
        mode: 'oneshot',
        nodes: { sub: { kind: 'test::catalog' }, v: { kind: 'test::video_only' }, any: { kind: 'test::collect' } },
        connections: [
          { from_node: 'sub', from_pin: videoConsumerPin, to_node: 'v', to_pin: 'in' },
          { from_node: 'sub', from_pin: 'audio/data', to_node: 'any', to_pin: 'in' },
        ],
      }),
    );
  }

  it('carry packets once created; the consumer learns the real type', async () => {
    types = [];
    const { registry, recorder } = registryWith(catalog, videoOnly);
    const result = await new Session(catalogPipeline('video/hd'), { registry, statsIntervalMs: 0 }).result();
    expect(result.state).toBe('done');
    expect(types).toEqual(['raw_video', 'raw_video', 'raw_video']);
    expect(recorder.get('any').map((p) => (p.kind === 'text' ? p.text : p.kind))).toEqual(['hello']);
    expect(result.openFrames).toBe(0);
  });

  it('cut off a consumer that does not accept the type they turn out to have, naming both ends', async () => {
    const { registry } = registryWith(catalog, videoOnly);
    const text = JSON.stringify({
      mode: 'dynamic',
      nodes: { sub: { kind: 'test::catalog' }, v: { kind: 'test::video_only' } },
      connections: [{ from_node: 'sub', from_pin: 'audio/data', to_node: 'v', to_pin: 'in' }],
    });
    const session = new Session(pipeline(text), { registry, statsIntervalMs: 0 });
    const failed = new Promise<string>((resolve) =>
      session.on((e) => {
        if (e.event === 'nodestatechanged' && e.state === 'failed') resolve(e.error?.message ?? '');
      }),
    );
    session.start();
    const message = await failed;
    expect(message).toContain('[test::video_only#v');
    expect(message).toContain("'test::catalog#sub.audio/data' turned out to produce text");
    expect(message).toContain("'test::video_only#v.in' accepts raw_video");
    session.stop();
    expect((await session.result()).openFrames).toBe(0);
  });

  it('are refused at validation when the name is outside the family', () => {
    const { registry } = registryWith(catalog, videoOnly);
    expect(() => new Session(catalogPipeline('subtitles'), { registry })).toThrow(
      /no output pin 'subtitles'[\s\S]*names matching/,
    );
  });

  it('cannot be sent on before they are created', async () => {
    const eager = defineNode({
      kind: 'test::eager',
      version: 1,
      description: 'Sends on a runtime pin it never created.',
      categories: ['test'],
      params: none,
      inputs: [],
      outputs: [{ name: 'track', produces: { kind: 'any' }, cardinality: 'broadcast', runtime: { pattern: /^t\d$/ } }],
      create: () => ({
        async run(io) {
          await io.output('t1').send(fakeVideoPacket(0));
        },
      }),
    });
    const { registry } = registryWith(eager);
    const text = JSON.stringify({
      mode: 'oneshot',
      nodes: { e: { kind: 'test::eager' }, c: { kind: 'test::collect' } },
      connections: [{ from_node: 'e', from_pin: 't1', to_node: 'c', to_pin: 'in' }],
    });
    const result = await new Session(pipeline(text), { registry, statsIntervalMs: 0 }).result();
    expect(result.state).toBe('failed');
    expect(result.error?.message).toContain('never created (call io.createOutput first)');
  });
});

describe('the injected clock', () => {
  it('does not count a node that is still initializing as a stall, and catches the stall after', async () => {
    const loaded = gate();
    const slow = defineNode({
      kind: 'test::slow_model',
      version: 1,
      description: 'Takes a long time to load, then never sends.',
      categories: ['test'],
      params: none,
      inputs: [],
      outputs: [{ name: 'out', produces: { kind: 'text' }, cardinality: 'broadcast' }],
      create: async () => {
        await loaded.promise;
        return {
          run: (io) =>
            new Promise<void>((_, reject) =>
              io.signal.addEventListener('abort', () => reject(io.signal.reason as Error)),
            ),
        };
      },
    });
    const { registry } = registryWith(slow);
    const clock = new ManualClock();
    const session = new Session(
      pipeline('mode: oneshot\nnodes:\n  m: { kind: test::slow_model }\n  out: { kind: test::collect, needs: m }\n'),
      { registry, clock, statsIntervalMs: 0, stallTimeoutMs: 5_000 },
    );
    const result = session.result();
    for (let s = 0; s < 60; s++) {
      clock.advance(fromMillis(1_000)); // a minute of model loading: not a stall
      await settle();
    }
    expect(session.state).toBe('running');
    loaded.open();
    await settle();
    for (let s = 0; s < 7; s++) {
      clock.advance(fromMillis(1_000));
      await settle();
    }
    const outcome = await result;
    expect(outcome.state).toBe('failed');
    expect(outcome.error).toBeInstanceOf(StalledError);
    expect(outcome.error?.message).toContain('no packet moved for 5000 ms');
    expect(outcome.error?.message).toContain('[test::slow_model#m] running');
  });

  it('gives a node that ignores its signal the grace period on the clock, then stops waiting', async () => {
    const deaf = defineNode({
      kind: 'test::deaf',
      version: 1,
      description: 'Never returns and ignores its signal.',
      categories: ['test'],
      params: none,
      inputs: [],
      outputs: [{ name: 'out', produces: { kind: 'text' }, cardinality: 'broadcast' }],
      create: () => ({ run: () => new Promise<void>(() => undefined) }),
    });
    const { registry } = registryWith(deaf);
    const clock = new ManualClock();
    const session = new Session(pipeline('mode: dynamic\nnodes:\n  d: { kind: test::deaf }\n'), {
      registry,
      clock,
      statsIntervalMs: 0,
    });
    let settled = false;
    const result = session.result().then((r) => {
      settled = true;
      return r;
    });
    await settle();
    session.cancel();
    clock.advance(fromMillis(ABORT_GRACE_MS - 1));
    await settle();
    expect(settled).toBe(false);
    clock.advance(fromMillis(1));
    await settle();
    expect(settled).toBe(true);
    expect((await result).state).toBe('canceled');
  });
});

describe('host services', () => {
  it('share a resource per key, load it once, and dispose of it when the last holder closes', async () => {
    let loads = 0;
    const disposed: string[] = [];
    const user = defineNode({
      kind: 'test::model_user',
      version: 1,
      description: 'Holds a shared model.',
      categories: ['test'],
      params: none,
      inputs: [{ name: 'in', accepts: [{ kind: 'any' }], cardinality: 'one' }],
      outputs: [],
      create: async (ctx) => {
        const model = await ctx.shared(
          'model:tiny',
          () => {
            loads++;
            return Promise.resolve({ name: 'tiny' });
          },
          (m) => disposed.push(m.name),
        );
        const gpu = await ctx.gpu();
        return {
          async run(io) {
            for await (const p of io.input('in')) closePacket(p);
            expect(model.name).toBe('tiny');
            expect(gpu).toEqual({ device: null, reason: 'this host offers no GPU; use the CPU path' });
            expect(disposed).toEqual([]); // the other holder may still run
          },
        };
      },
    });
    const { registry } = registryWith(user);
    const result = await new Session(
      pipeline(`
mode: oneshot
nodes:
  src: { kind: test::source, params: { count: 3 } }
  a: { kind: test::model_user, needs: src }
  b: { kind: test::model_user, needs: src }
`),
      { registry, statsIntervalMs: 0 },
    ).result();
    expect(result.state).toBe('done');
    expect(loads).toBe(1);
    expect(disposed).toEqual(['tiny']);
  });

  it('forget a frame handed out of the session (no false leak), while the taker owns it', async () => {
    const taken: Packet[] = [];
    const handOff = defineNode({
      kind: 'test::hand_off',
      version: 1,
      description: 'Hands frames to another owner (as a Worker transfer would).',
      categories: ['test'],
      params: none,
      inputs: [{ name: 'in', accepts: [{ kind: 'raw_video' }], cardinality: 'one' }],
      outputs: [],
      create: (ctx) => ({
        async run(io) {
          for await (const packet of io.input('in')) {
            if (packet.kind === 'raw_video') ctx.handOff(packet.frame);
            taken.push(packet);
          }
        },
      }),
    });
    const { registry } = registryWith(handOff);
    const result = await new Session(
      pipeline(
        'mode: oneshot\nnodes:\n  src: { kind: test::source, params: { count: 4 } }\n  h: { kind: test::hand_off, needs: src }\n',
      ),
      { registry, statsIntervalMs: 0 },
    ).result();
    expect(result.openFrames).toBe(0); // not counted here: the taker owns them
    expect(FakeFrame.live).toBe(4); // and they are really still open
    for (const p of taken) closePacket(p);
  });

  it('a batch that connects a new input tells the node its resolved type', async () => {
    const seen: string[] = [];
    const typed = defineNode({
      kind: 'test::typed',
      version: 1,
      description: 'Records the type of its input.',
      categories: ['test'],
      params: none,
      inputs: [{ name: 'in', accepts: [{ kind: 'any' }], cardinality: 'one' }],
      outputs: [],
      create: (ctx) => ({
        async run(io) {
          for await (const p of io.input('in')) {
            const t = ctx.inputTypes.get('in');
            seen.push(t?.kind === 'raw_video' ? `raw_video/${t.pixel_format ?? '?'}` : (t?.kind ?? 'none'));
            closePacket(p);
          }
        },
      }),
    });
    const { registry } = registryWith(typed);
    const session = new Session(pipeline('mode: dynamic\nnodes:\n  t: { kind: test::typed }\n'), {
      registry,
      statsIntervalMs: 0,
    });
    session.start();
    session.applyBatch([
      { action: 'addnode', node_id: 'src', kind: 'test::source', params: { count: 2 } },
      { action: 'connect', from_node: 'src', from_pin: 'out', to_node: 't', to_pin: 'in' },
    ]);
    for (let i = 0; i < 20 && seen.length < 2; i++) await settle();
    expect(seen).toEqual(['raw_video/I420', 'raw_video/I420']);
    session.stop();
    expect((await session.result()).openFrames).toBe(0);
  });
});
