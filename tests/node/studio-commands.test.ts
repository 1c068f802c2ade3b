/** The studio's editing commands and shortcut keys, as pure functions of the graph model. */
import { describe, expect, it } from 'vitest';
import { addNode, connect, copySelection, paste, removeSelection, setParam } from '../../src/studio/commands';
import type { GraphModel } from '../../src/studio/model';
import { actionFor } from '../../src/studio/shortcuts';

const base: GraphModel = {
  mode: 'oneshot',
  nodes: [
    { id: 'tone', kind: 'audio::sine', params: {}, x: 0, y: 0 },
    { id: 'gain', kind: 'audio::gain', params: { gain: 2 }, x: 250, y: 0 },
  ],
  edges: [{ from: 'tone', fromPin: 'out', to: 'gain', toPin: 'in' }],
};

describe('studio commands', () => {
  it('add a node to the right with a fresh id', () => {
    const { model, id } = addNode(base, 'audio::gain');
    expect(id).not.toBe('gain');
    expect(model.nodes.at(-1)).toMatchObject({ id, kind: 'audio::gain', x: 500 });
  });

  it('remove selected nodes with their edges, or one selected edge', () => {
    expect(removeSelection(base, new Set(['tone']), undefined)).toMatchObject({ nodes: [{ id: 'gain' }], edges: [] });
    const edge = base.edges[0];
    expect(removeSelection(base, new Set(), edge).edges).toEqual([]);
  });

  it('copy and paste rename clashing ids and keep the edges between them', () => {
    const text = copySelection(base, new Set(['tone', 'gain']));
    const { model, ids } = paste(base, text);
    expect(ids).toHaveLength(2);
    expect(ids).not.toContain('tone');
    expect(model.edges).toHaveLength(2);
    const [from, to] = ids;
    expect(model.edges[1]).toMatchObject({ from, to });
    expect(() => paste(base, 'not: [a pipeline')).toThrow();
  });

  it('set and clear a param', () => {
    expect(setParam(base, 'gain', 'gain', 3).nodes[1]?.params).toEqual({ gain: 3 });
    expect(setParam(base, 'gain', 'gain', undefined).nodes[1]?.params).toEqual({});
  });

  it('refuse a self-loop and a taken input before validation', () => {
    expect(connect(base, { from: 'gain', fromPin: 'out', to: 'gain', toPin: 'in' })).toHaveProperty('refused');
    // Anything else is left to validation (types, cycles).
    expect(connect(base, { from: 'gain', fromPin: 'out', to: 'tone', toPin: 'in' })).toHaveProperty('model');
    expect(connect(base, { from: 'tone', fromPin: 'out', to: 'gain', toPin: 'in' })).toMatchObject({
      refused: expect.stringContaining('already takes tone.out') as string,
    });
  });

  it('map keys to shortcut actions', () => {
    const key = (k: string, mods: Partial<Record<'ctrlKey' | 'metaKey' | 'shiftKey', boolean>> = {}) =>
      actionFor({ key: k, ctrlKey: false, metaKey: false, shiftKey: false, ...mods });
    expect(key('z', { ctrlKey: true })).toBe('undo');
    expect(key('Z', { ctrlKey: true, shiftKey: true })).toBe('redo');
    expect(key('y', { metaKey: true })).toBe('redo');
    expect(key('Enter', { ctrlKey: true })).toBe('run');
    expect(key('Backspace')).toBe('remove');
    expect(key('f')).toBe('fit');
    expect(key('f', { ctrlKey: true })).toBeUndefined();
    expect(key('?')).toBe('toggleHelp');
    expect(key('a')).toBeUndefined();
  });
});
