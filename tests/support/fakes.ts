/**
 * Test-only synthetic nodes and a fake frame type, so that the engine's ownership rules can be
 * checked in Node without WebCodecs.
 */
import { z } from 'zod';
import type { AnyNodeDefinition, Micros, Packet, PacketType } from '../../src/engine';
import { closePacket, defineNode, micros, NodeRegistry } from '../../src/engine';
import { ALL_NODES } from '../../src/nodes';

/** A stand-in for `VideoFrame`: counts live instances, refuses use after close. */
export class FakeFrame {
  static live = 0;
  closed = false;
  readonly timestamp: number;
  constructor(timestamp: number) {
    this.timestamp = timestamp;
    FakeFrame.live++;
  }
  clone(): FakeFrame {
    if (this.closed) throw new Error('FakeFrame.clone: frame is closed');
    return new FakeFrame(this.timestamp);
  }
  close(): void {
    if (this.closed) return;
    this.closed = true;
    FakeFrame.live--;
  }
}

/** A raw-video packet holding a fake frame. */
export function fakeVideoPacket(i: number, frameDuration = 40_000): Packet {
  return {
    kind: 'raw_video',
    frame: new FakeFrame(i * frameDuration) as unknown as VideoFrame,
    meta: { timestamp: micros(i * frameDuration), duration: micros(frameDuration), sequence: i },
  };
}

/** A text packet. */
export function textPacket(text: string, i = 0): Packet {
  return { kind: 'text', text, meta: { sequence: i, timestamp: micros(i * 1000) } };
}

const sourceParams = z.strictObject({
  count: z.number().int().min(0).default(5),
  type: z.enum(['video', 'text']).default('video'),
  /** Fail after emitting this many packets (run phase). */
  fail_after: z.number().int().min(0).optional(),
  /** Never end (dynamic tests): emit `count` packets, then wait for abort. */
  endless: z.boolean().default(false),
  frame_duration_us: z.number().int().min(1).default(40_000),
});

const outputType = (type: 'video' | 'text'): PacketType =>
  type === 'video' ? { kind: 'raw_video', pixel_format: 'I420' } : { kind: 'text' };

/** Records what test sinks received, per node id. */
export class Recorder {
  readonly received = new Map<string, Packet[]>();
  /** Clock time at which each packet arrived, per node id. */
  readonly times = new Map<string, number[]>();
  /** Called as a `test::collect` node receives its packet number `index`. */
  onReceive: ((nodeId: string, index: number) => void) | undefined;
  get(id: string): Packet[] {
    return this.received.get(id) ?? [];
  }
}

/** Builds the synthetic nodes; `recorder` collects what `test::collect` nodes see. */
export function testNodes(recorder: Recorder): AnyNodeDefinition[] {
  const source = defineNode({
    kind: 'test::source',
    version: 1,
    description: 'Emits `count` synthetic packets (fake frames or text).',
    categories: ['test'],
    params: sourceParams,
    inputs: [],
    outputs: [{ name: 'out', produces: { kind: 'raw_video' }, cardinality: 'broadcast' }],
    negotiate: ({ params }) => new Map([['out', outputType(params.type)]]),
    create: (ctx) => ({
      async run(io) {
        const out = io.output('out');
        for (let i = 0; i < ctx.params.count; i++) {
          if (ctx.params.fail_after === i) throw new Error(`synthetic failure after ${i} packets`);
          await out.send(
            ctx.params.type === 'video'
              ? fakeVideoPacket(i, ctx.params.frame_duration_us)
              : textPacket(`packet ${i}`, i),
          );
        }
        if (ctx.params.endless) {
          await new Promise((_, reject) => {
            if (io.signal.aborted) reject(io.signal.reason as Error);
            io.signal.addEventListener('abort', () => reject(io.signal.reason as Error), { once: true });
          });
        }
      },
    }),
  });

  const collect = defineNode({
    kind: 'test::collect',
    version: 1,
    description: 'Keeps what it receives in the test recorder (and closes frames).',
    categories: ['test'],
    params: z.strictObject({
      delay_us: z.number().int().min(0).default(0),
      keep_frames_open: z.boolean().default(false),
    }),
    inputs: [{ name: 'in', accepts: [{ kind: 'any' }], cardinality: 'one' }],
    outputs: [],
    create: (ctx) => ({
      async run(io) {
        const list: Packet[] = [];
        const times: number[] = [];
        recorder.received.set(ctx.nodeId, list);
        recorder.times.set(ctx.nodeId, times);
        for await (const packet of io.input('in')) {
          list.push(packet);
          times.push(ctx.clock.now());
          recorder.onReceive?.(ctx.nodeId, list.length - 1);
          if (ctx.params.delay_us > 0) await new Promise((r) => setTimeout(r, ctx.params.delay_us / 1000));
          if (!ctx.params.keep_frames_open) closePacket(packet);
        }
      },
    }),
  });

  const merge = defineNode({
    kind: 'test::merge',
    version: 1,
    description: 'Forwards packets from a dynamic family of inputs (exercises recvAny).',
    categories: ['test'],
    params: z.strictObject({ num_inputs: z.number().int().min(0).default(0) }),
    inputs: (p) => [
      ...Array.from({ length: p.num_inputs }, (_, i) => ({
        name: `in_${i}`,
        accepts: [{ kind: 'any' as const }],
        cardinality: 'one' as const,
      })),
      { name: 'in', accepts: [{ kind: 'any' }], cardinality: { dynamic: 'in' } },
    ],
    outputs: [{ name: 'out', produces: { kind: 'passthrough' }, cardinality: 'broadcast' }],
    create: () => ({
      async run(io) {
        const out = io.output('out');
        for (;;) {
          const next = await io.recvAny();
          if (!next) return;
          await out.send(next.packet);
        }
      },
    }),
  });

  const fail = defineNode({
    kind: 'test::fail',
    version: 1,
    description: 'Fails in the given phase.',
    categories: ['test'],
    params: z.strictObject({
      phase: z.enum(['start', 'run', 'flush', 'close']).default('run'),
      after: z.number().int().default(0),
    }),
    inputs: [{ name: 'in', accepts: [{ kind: 'any' }], cardinality: 'one' }],
    outputs: [{ name: 'out', produces: { kind: 'passthrough' }, cardinality: 'broadcast' }],
    create: (ctx) => {
      const boom = (): never => {
        throw new Error(`synthetic ${ctx.params.phase} failure`);
      };
      return {
        start: () => (ctx.params.phase === 'start' ? boom() : undefined),
        async run(io) {
          let n = 0;
          for await (const packet of io.input('in')) {
            if (ctx.params.phase === 'run' && n++ >= ctx.params.after) {
              closePacket(packet);
              boom();
            }
            await io.output('out').send(packet);
          }
        },
        flush: () => (ctx.params.phase === 'flush' ? boom() : Promise.resolve()),
        close: () => (ctx.params.phase === 'close' ? boom() : undefined),
      };
    },
  });

  const dynamicOnly = defineNode({
    kind: 'test::live_only',
    version: 1,
    description: 'A node that only runs in dynamic pipelines.',
    categories: ['test'],
    params: z.strictObject({}),
    modes: 'dynamic',
    inputs: [],
    outputs: [{ name: 'out', produces: { kind: 'text' }, cardinality: 'broadcast' }],
    create: () => ({ run: () => Promise.resolve() }),
  });

  return [source, collect, merge, fail, dynamicOnly];
}

/** A registry with every shipped node plus the synthetic ones. */
export function testRegistry(recorder = new Recorder()): { registry: NodeRegistry; recorder: Recorder } {
  return { registry: new NodeRegistry([...ALL_NODES, ...testNodes(recorder)]), recorder };
}

/** Microseconds helper for expectations. */
export const us = (n: number): Micros => micros(n);

/** A `test::emit` node that sends the given packets in order, `gapMs` apart (real time), on a pin that produces `produces`. */
export function emitterNode(packets: Packet[], gapMs = 0, produces: PacketType = { kind: 'any' }): AnyNodeDefinition {
  return defineNode({
    kind: 'test::emit',
    version: 1,
    description: 'Emits fixed packets.',
    categories: ['test'],
    params: z.strictObject({}),
    inputs: [],
    outputs: [{ name: 'out', produces, cardinality: 'broadcast' }],
    create: () => ({
      async run(io) {
        for (const p of packets) {
          await io.output('out').send(p);
          if (gapMs) await new Promise((r) => setTimeout(r, gapMs));
        }
      },
    }),
  });
}
