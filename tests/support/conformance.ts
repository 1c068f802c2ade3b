/**
 * The contract every node kind meets, as one suite: it is described as JSON, negotiates with
 * typical input, processes and flushes, closes every frame, survives cancellation and upstream
 * failure without leaks, and reports its own errors with node, kind and pin.
 */
import { expect, it } from 'vitest';
import { z } from 'zod';
import type { AnyNodeDefinition, NodeHost, Packet, PacketType, Pipeline, SessionResult } from '../../src/engine';
import {
  closePacket,
  compileGraph,
  defineNode,
  NodeError,
  NodeRegistry,
  Session,
  VirtualClock,
} from '../../src/engine';
import { FakeFrame, Recorder, testNodes } from './fakes';

/** How to exercise one node kind. */
export interface Fixture {
  /** Params for the node under test. */
  params?: Record<string, unknown>;
  /** The type the feeding node declares on its output. Omit for source nodes. */
  inputType?: PacketType;
  /** Packets fed to the node's `in` pin (made fresh per run). */
  input?: () => Packet[];
  /** Checks what came out of `out` (omit for sinks). */
  check?: (output: Packet[]) => void;
  /** A packet the node must refuse with a `NodeError` naming it. */
  badInput?: () => Packet;
  /** Host services the node needs (job inputs and outputs). */
  host?: () => NodeHost;
  /** The session mode (default oneshot); `dynamic` for nodes that only run live. */
  mode?: 'oneshot' | 'dynamic';
}

function feed(packets: () => Packet[], type: PacketType, failAfter?: number): AnyNodeDefinition {
  return defineNode({
    kind: 'test::feed',
    version: 1,
    description: 'Feeds fixture packets.',
    categories: ['test'],
    params: z.strictObject({}),
    inputs: [],
    outputs: [{ name: 'out', produces: type, cardinality: 'broadcast' }],
    create: () => ({
      async run(io) {
        const list = packets();
        for (const [i, packet] of list.entries()) {
          if (failAfter !== undefined && i === failAfter) {
            for (const rest of list.slice(i)) closePacket(rest);
            throw new Error('feed failed on purpose');
          }
          await io.output('out').send(packet);
        }
        if (failAfter !== undefined) throw new Error('feed failed on purpose');
      },
    }),
  });
}

function setup(definition: AnyNodeDefinition, fixture: Fixture, packets: () => Packet[], failAfter?: number) {
  const recorder = new Recorder();
  const hasInput = fixture.inputType !== undefined;
  const hasOutput = fixture.check !== undefined;
  const registry = new NodeRegistry([
    definition,
    ...testNodes(recorder),
    ...(hasInput ? [feed(packets, fixture.inputType as PacketType, failAfter)] : []),
  ]);
  const pipeline: Pipeline = {
    mode: fixture.mode ?? 'oneshot',
    nodes: {
      ...(hasInput ? { feed: { kind: 'test::feed' } } : {}),
      dut: { kind: definition.kind, params: fixture.params ?? {} },
      ...(hasOutput ? { out: { kind: 'test::collect' } } : {}),
    },
    connections: [
      ...(hasInput ? [{ from_node: 'feed', from_pin: 'out', to_node: 'dut', to_pin: 'in' }] : []),
      ...(hasOutput ? [{ from_node: 'dut', from_pin: 'out', to_node: 'out', to_pin: 'in' }] : []),
    ],
  };
  return { registry, recorder, pipeline };
}

/** A session for a conformance run, on a virtual clock unless `realClock`. */
function makeSession(registry: NodeRegistry, pipeline: Pipeline, fixture: Fixture, realClock = false): Session {
  return new Session(pipeline, {
    registry,
    statsIntervalMs: 0,
    ...(realClock ? {} : { clock: new VirtualClock() }),
    ...(fixture.host ? { host: fixture.host() } : {}),
  });
}

/**
 * Runs a session to its end. A dynamic session does not end by itself: once the node under test
 * has finished its input it is stopped, as a user destroys a live session.
 */
async function runToEnd(session: Session, fixture: Fixture): Promise<SessionResult> {
  if (fixture.mode !== 'dynamic') return session.run();
  const finished = new Promise<void>((resolve) =>
    session.on((e) => {
      if (e.event === 'nodestatechanged' && e.node_id === 'dut' && (e.state === 'done' || e.state === 'failed'))
        resolve();
    }),
  );
  session.start();
  await finished;
  session.stop();
  return session.result();
}

/** Registers the conformance tests for one node kind. */
export function conformance(definition: AnyNodeDefinition, fixture: Fixture): void {
  const packets = fixture.input ?? (() => []);

  it('is described as JSON with a params schema and typed pins', () => {
    const d = new NodeRegistry([definition]).describe(definition.kind);
    expect(d).toBeDefined();
    expect(JSON.parse(JSON.stringify(d))).toEqual(d);
    expect(d?.description.length).toBeGreaterThan(10);
    expect(d?.param_schema.type).toBe('object');
    for (const pin of d?.inputs ?? []) expect(pin.accepts_types.length).toBeGreaterThan(0);
    for (const live of d?.live_params ?? []) expect(Object.keys(d?.param_schema.properties as object)).toContain(live);
  });

  it('negotiates with typical input', () => {
    const { registry, pipeline } = setup(definition, fixture, packets);
    expect(compileGraph(pipeline, registry).issues).toEqual([]);
  });

  it('processes, flushes and closes, leaving no frame open', async () => {
    const live = FakeFrame.live;
    const { registry, recorder, pipeline } = setup(definition, fixture, packets);
    const session = makeSession(registry, pipeline, fixture);
    const states: string[] = [];
    session.on((e) => e.event === 'nodestatechanged' && e.node_id === 'dut' && states.push(e.state));
    const result = await runToEnd(session, fixture);
    expect(states).toEqual(['initializing', 'running', 'flushing', 'done']);
    expect(result.openFrames).toBe(0);
    expect(FakeFrame.live).toBe(live);
    fixture.check?.(recorder.get('out'));
  });

  it('stops cleanly when canceled mid-stream', async () => {
    const live = FakeFrame.live;
    const { registry, pipeline } = setup(definition, fixture, packets);
    const session = makeSession(registry, pipeline, fixture, true);
    session.start();
    session.cancel();
    const result = await session.result();
    expect(result.state).toBe('canceled');
    expect(result.openFrames).toBe(0);
    expect(FakeFrame.live).toBe(live);
  });

  // A live session outlives a failed node, so this one is for oneshot runs.
  if (fixture.inputType && fixture.mode !== 'dynamic') {
    it('stops cleanly when its upstream fails, and the error names the upstream node', async () => {
      const live = FakeFrame.live;
      const { registry, pipeline } = setup(definition, fixture, packets, 1);
      const result = await makeSession(registry, pipeline, fixture).result();
      expect(result.state).toBe('failed');
      expect(result.error).toBeInstanceOf(NodeError);
      expect((result.error as NodeError).nodeId).toBe('feed');
      expect(result.openFrames).toBe(0);
      expect(FakeFrame.live).toBe(live);
    });
  }

  if (fixture.badInput) {
    const bad = fixture.badInput;
    it('reports bad input with a NodeError naming node, kind and pin', async () => {
      const { registry, pipeline } = setup(definition, fixture, () => [bad()]);
      const session = makeSession(registry, pipeline, fixture);
      // A live session outlives a failed node: there the node's own failure is the answer.
      const nodeFailure = new Promise<unknown>((resolve) =>
        session.on((e) => {
          if (e.event === 'nodestatechanged' && e.node_id === 'dut' && e.state === 'failed') resolve(e.error);
        }),
      );
      let failure: unknown;
      if (fixture.mode === 'dynamic') {
        session.start();
        failure = await nodeFailure;
        session.stop();
      }
      const result = await session.result();
      if (fixture.mode !== 'dynamic') {
        expect(result.state).toBe('failed');
        failure = result.error;
      }
      const error = failure as NodeError;
      expect(error).toBeInstanceOf(NodeError);
      expect(error).toMatchObject({ nodeId: 'dut', kind: definition.kind, pin: 'in' });
      expect(error.message.startsWith(`[${definition.kind}#dut:in]`)).toBe(true);
      expect(result.openFrames).toBe(0);
    });
  }
}
