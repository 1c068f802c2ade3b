/**
 * core::param_bridge: packets become live param updates of a sibling in a dynamic session, in
 * StreamKit's three mappings, once per distinct update, debounced on request; a refused update is
 * telemetry, not a failure; and in a oneshot run the node says it needs a live session.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Packet, SessionEvent } from '../../src/engine';
import { defineNode, micros, NodeRegistry, parsePipeline, Session } from '../../src/engine';
import { ALL_NODES } from '../../src/nodes';
import { applyTemplate, mapPacket } from '../../src/nodes/core/param-bridge';
import { emitterNode } from '../support/fakes';

const meta = (i: number) => ({ timestamp: micros(i * 40_000) });
const json = (data: unknown, i = 0): Packet => ({ kind: 'json', type_id: 'test/ctl@1', data, meta: meta(i) });
const text = (t: string, i = 0): Packet => ({ kind: 'text', text: t, meta: meta(i) });

/** A node with live params that records every tune. */
function knob(seen: Record<string, unknown>[]) {
  return defineNode({
    kind: 'test::knob',
    version: 1,
    description: 'Holds live params and records their changes.',
    categories: ['test'],
    params: z.strictObject({ level: z.number().default(1), label: z.string().default('') }),
    liveParams: ['level', 'label'],
    inputs: [],
    outputs: [],
    create: () => ({
      tune: (p) => seen.push({ ...p }),
      run: (io) => new Promise<void>((resolve) => io.signal.addEventListener('abort', () => resolve())),
    }),
  });
}

async function bridge(bridgeParams: string, packets: Packet[], gapMs = 0, mode = 'dynamic') {
  const seen: Record<string, unknown>[] = [];
  const events: SessionEvent[] = [];
  const registry = new NodeRegistry([...ALL_NODES, knob(seen), emitterNode(packets, gapMs)]);
  const { pipeline } = parsePipeline(`
mode: ${mode}
nodes:
  knob: { kind: test::knob }
  src: { kind: test::emit }
  bridge: { kind: core::param_bridge, params: ${bridgeParams}, needs: src }
`);
  const session = new Session(pipeline, { registry, statsIntervalMs: 0 });
  session.on((e) => events.push(e));
  const ended = new Promise<void>((resolve) =>
    session.on((e) => {
      if (e.event === 'nodestatechanged' && e.node_id === 'bridge' && (e.state === 'done' || e.state === 'failed'))
        resolve();
    }),
  );
  session.start();
  await ended;
  session.stop();
  const result = await session.result();
  return { seen, events, result, session };
}

describe('core::param_bridge', () => {
  it('tunes the sibling from custom packets (auto), once per distinct update', async () => {
    const { seen, events } = await bridge('{ target_node: knob }', [
      json({ level: 0.5 }),
      json({ level: 0.5 }, 1),
      json({ level: 0.25, label: 'quiet' }, 2),
    ]);
    expect(seen.map((p) => [p.level, p.label])).toEqual([
      [0.5, ''],
      [0.25, 'quiet'],
    ]);
    expect(events.filter((e) => e.event === 'nodeparamschanged' && e.node_id === 'knob')).toHaveLength(2);
  });

  it('fills a template: a lone placeholder keeps its type, one inside text is stringified', async () => {
    const { seen } = await bridge(
      '{ target_node: knob, mode: template, template: { level: "{{ v }}", label: "v={{ v }}" } }',
      [json({ v: 0.75 })],
    );
    expect(seen).toEqual([{ level: 0.75, label: 'v=0.75' }]);
    expect(applyTemplate({ a: ['{{ text }}'], b: 'say {{text}}!' }, { text: 'hi' })).toEqual({
      a: ['hi'],
      b: 'say hi!',
    });
  });

  it('debounces a burst to its newest update', async () => {
    const { seen } = await bridge(
      '{ target_node: knob, mode: template, template: { label: "{{ text }}" }, debounce_ms: 150 }',
      [text('a'), text('ab', 1), text('abc', 2)],
      10,
    );
    expect(seen.map((p) => p.label)).toEqual(['abc']);
  });

  it('reports an update the target refuses as telemetry and goes on', async () => {
    const { seen, events, result } = await bridge('{ target_node: knob }', [text('hello'), json({ level: 0.1 }, 1)]);
    // auto maps text to { properties: { text } }, which this target has no live param for.
    const refused = events.filter((e) => e.event === 'nodetelemetry' && e.type_id === 'param_bridge.refused');
    expect(refused).toHaveLength(1);
    expect(JSON.stringify(refused[0])).toMatch(/cannot change 'properties' while running/);
    expect(seen.map((p) => p.level)).toEqual([0.1]);
    expect(result.state).toBe('done');
  });

  it('maps raw payloads as StreamKit does', () => {
    expect(mapPacket(text('x'), 'raw', undefined)).toEqual({ text: 'x' });
    expect(mapPacket(json({ a: 1 }), 'raw', undefined)).toEqual({ a: 1 });
    expect(mapPacket(text('x'), 'auto', undefined)).toEqual({ properties: { text: 'x' } });
    expect(mapPacket(json([1, 2]), 'auto', undefined)).toBeUndefined();
  });

  it('fails in a oneshot run, saying it needs a live session', async () => {
    const registry = new NodeRegistry([...ALL_NODES, emitterNode([json({ level: 1 })])]);
    const { pipeline } = parsePipeline(
      'mode: oneshot\nnodes:\n  src: { kind: test::emit }\n  bridge: { kind: core::param_bridge, params: { target_node: x }, needs: src }\n',
    );
    const result = await new Session(pipeline, { registry, statsIntervalMs: 0 }).result();
    expect(result.state).toBe('failed');
    expect(result.error?.message).toMatch(/\[core::param_bridge#bridge\].*dynamic sessions only/);
  });

  it('wants a template in template mode', () => {
    const { pipeline } = parsePipeline(
      'nodes:\n  b: { kind: core::param_bridge, params: { target_node: x, mode: template } }\n',
    );
    expect(() => new Session(pipeline, { registry: new NodeRegistry(ALL_NODES) })).toThrow(
      /template.*required when mode is .template/,
    );
  });
});
