import { describe, expect, it, vi } from 'vitest';
import type { SessionEvent } from '../../src/engine';
import { parsePipeline, PipelineError, Session } from '../../src/engine';
import { testRegistry } from '../support/fakes';

/** Resolves once `predicate` holds (checked every few milliseconds; the test timeout is the limit). */
async function until(_s: Session, predicate: () => boolean): Promise<void> {
  await vi.waitFor(() => expect(predicate()).toBe(true), { timeout: 4_000, interval: 2 });
}

function liveSession(text: string) {
  const { registry, recorder } = testRegistry();
  const s = new Session(parsePipeline(text).pipeline, { registry, statsIntervalMs: 0 });
  const events: SessionEvent[] = [];
  s.on((e) => events.push(e));
  s.start();
  return { session: s, recorder, events };
}

const BASE = `
mode: dynamic
nodes:
  src: { kind: test::source, params: { count: 5, type: text, endless: true } }
  pace: { kind: core::pacer, params: { speed: 100 }, needs: src }
  out: { kind: test::collect, needs: pace }
`;

describe('dynamic sessions', () => {
  it('keeps running after sources go quiet and stops on request', async () => {
    const { session: s, recorder } = liveSession(BASE);
    await until(s, () => recorder.get('out').length === 5);
    expect(s.state).toBe('running');
    s.stop();
    const result = await s.result();
    expect(result.state).toBe('done');
    expect(result.openFrames).toBe(0);
  });

  it('adds, connects, tunes, disconnects and removes nodes while others keep running', async () => {
    const { session: s, recorder, events } = liveSession(BASE);
    await until(s, () => recorder.get('out').length === 5);

    s.addNode('src2', 'test::source', { count: 3, type: 'text', endless: true });
    s.addNode('tap', 'test::collect');
    s.connect('src2', 'out', 'tap', 'in');
    await until(s, () => recorder.get('tap').length === 3);
    expect(s.nodeStates()).toMatchObject({
      src: 'running',
      pace: 'running',
      out: 'running',
      src2: 'running',
      tap: 'running',
    });

    s.tuneNode('pace', { speed: 2 });
    expect(s.pipeline().nodes.pace?.params).toMatchObject({ speed: 2, buffer_size: 16 });

    s.disconnect('src2', 'out', 'tap', 'in');
    s.removeNode('src2');
    expect(Object.keys(s.pipeline().nodes)).toEqual(['src', 'pace', 'out', 'tap']);
    expect(s.pipeline().connections).toHaveLength(2);
    expect(s.nodeStates().tap).toBe('running'); // an input left without an edge waits for a new one

    const names = events.map((e) => e.event);
    for (const name of ['nodeadded', 'connectionadded', 'nodeparamschanged', 'connectionremoved', 'noderemoved']) {
      expect(names).toContain(name);
    }
    s.stop();
    expect((await s.result()).openFrames).toBe(0);
  });

  it('refuses params that are not live-tunable, naming the ones that are', () => {
    const { session: s } = liveSession(BASE);
    let error: unknown;
    try {
      s.tuneNode('pace', { buffer_size: 4 });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PipelineError);
    const issue = (error as PipelineError).issues[0];
    expect(issue).toMatchObject({ code: 'not_tunable', node: 'pace', param: 'buffer_size' });
    expect(issue?.hint).toContain('speed');
    expect(() => s.tuneNode('pace', { speed: -1 })).toThrow(/speed/);
    s.stop();
  });

  it('applies a batch atomically: one bad operation and nothing changes', async () => {
    const { session: s } = liveSession(BASE);
    const before = s.pipeline();
    const response = s.handle({
      action: 'applybatch',
      operations: [
        { action: 'addnode', node_id: 'extra', kind: 'test::collect' },
        { action: 'connect', from_node: 'pace', from_pin: 'out', to_node: 'extra', to_pin: 'in' },
        { action: 'addnode', node_id: 'bad', kind: 'core::nope' },
      ],
    });
    expect(response).toMatchObject({ action: 'batchapplied', success: false });
    expect((response as { errors: string[] }).errors.join()).toContain("unknown node kind 'core::nope'");
    expect(s.pipeline().nodes).toEqual(before.nodes);

    const ok = s.handle({
      action: 'applybatch',
      operations: [
        { action: 'addnode', node_id: 'extra', kind: 'test::collect' },
        { action: 'connect', from_node: 'pace', from_pin: 'out', to_node: 'extra', to_pin: 'in', mode: 'best_effort' },
      ],
    });
    expect(ok).toEqual({ action: 'batchapplied', success: true, errors: [] });
    expect(s.pipeline().connections).toContainEqual({
      from_node: 'pace',
      from_pin: 'out',
      to_node: 'extra',
      to_pin: 'in',
      mode: 'best_effort',
    });
    s.stop();
    await s.result();
  });

  it('answers StreamKit control messages', async () => {
    const { session: s } = liveSession(BASE);
    expect(
      s.handle({ action: 'validatebatch', operations: [{ action: 'addnode', node_id: 'x', kind: 'core::sinkk' }] }),
    ).toMatchObject({
      action: 'validationresult',
      errors: [expect.objectContaining({ error_type: 'error', node_id: 'x' })],
    });
    expect(s.handle({ action: 'addnode', node_id: 'x', kind: 'core::sink' })).toEqual({ action: 'success' });
    expect(
      s.handle({ action: 'connect', from_node: 'x', from_pin: 'out', to_node: 'out', to_pin: 'in' }),
    ).toMatchObject({ action: 'error' });
    expect(s.handle({ action: 'tunenode', node_id: 'pace', message: { UpdateParams: { speed: 3 } } })).toEqual({
      action: 'success',
    });
    expect(s.handle({ action: 'tunenode', node_id: 'x', message: 'Shutdown' })).toEqual({ action: 'success' });
    expect(s.handle({ action: 'removenode', node_id: 'ghost' })).toEqual({
      action: 'error',
      message: "[ghost] no node 'ghost' to remove (hint: see getpipeline for node ids)",
    });
    const bad = s.handle({ action: 'frobnicate' });
    expect(bad.action).toBe('error');
    expect((bad as { message: string }).message).toContain('invalid control request');
    expect(s.handle({ action: 'getpipeline' })).toMatchObject({ action: 'pipeline', pipeline: { mode: 'dynamic' } });
    s.stop();
    await s.result();
  });

  it('refuses live changes in oneshot sessions', () => {
    const { registry } = testRegistry();
    const s = new Session(
      parsePipeline('mode: oneshot\nnodes:\n  a: { kind: test::source }\n  b: { kind: core::sink, needs: a }\n')
        .pipeline,
      { registry },
    );
    expect(() => s.addNode('c', 'core::sink')).toThrow(/dynamic/);
  });

  it('a failing node in a dynamic session fails alone; the session keeps running', async () => {
    const { session: s, recorder } = liveSession(BASE);
    s.addNode('bad', 'test::fail', { phase: 'run', after: 0 });
    s.addNode('feed', 'test::source', { count: 2, type: 'text' });
    s.connect('feed', 'out', 'bad', 'in');
    await until(s, () => s.nodeStates().bad === 'failed');
    expect(s.state).toBe('running');
    expect(recorder.get('out')).toHaveLength(5);
    s.stop();
    expect((await s.result()).state).toBe('done');
  });
});
