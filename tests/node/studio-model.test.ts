import { describe, expect, it } from 'vitest';
import { createRegistry } from '../../src/nodes';
import { compileGraph, parsePipeline } from '../../src/engine';
import type { GraphModel } from '../../src/studio/model';
import { autoLayout, decodeShare, diffBatch, encodeShare, fromYaml, newNodeId, toYaml } from '../../src/studio/model';

const TEXT = `mode: oneshot
nodes:
  bars: { kind: video::colorbars, params: { frame_count: 3 } }
  enc: { kind: video::encoder, needs: bars }
  mux: { kind: containers::muxer, params: { format: webm }, needs: { video: enc } }
  out: { kind: streamkit::http_output, needs: mux }
`;

describe('studio graph model', () => {
  it('round-trips pipeline YAML through the model (same compiled graph)', () => {
    const model = fromYaml(TEXT);
    const again = parsePipeline(toYaml(model)).pipeline;
    expect(again).toEqual(parsePipeline(TEXT).pipeline);
    expect(compileGraph(again, createRegistry()).issues).toEqual([]);
  });

  it('lays nodes out in columns by depth', () => {
    const xs = autoLayout(fromYaml(TEXT)).nodes.map((n) => n.x);
    expect(xs).toEqual([...xs].sort((a, b) => a - b));
    expect(new Set(xs).size).toBe(4);
  });

  it('names new nodes uniquely', () => {
    const model = fromYaml(TEXT);
    expect(newNodeId(model, 'video::encoder')).toBe('encoder');
    expect(
      newNodeId({ ...model, nodes: [...model.nodes, { ...model.nodes[0]!, id: 'encoder' }] }, 'video::encoder'),
    ).toBe('encoder_2');
  });

  it('turns graph edits into the engine batch for a running dynamic pipeline', () => {
    const before: GraphModel = fromYaml(TEXT);
    const after: GraphModel = {
      ...before,
      nodes: [
        ...before.nodes.filter((n) => n.id !== 'enc'),
        { id: 'enc2', kind: 'video::encoder', params: { codec: 'vp9' }, x: 0, y: 0 },
      ],
      edges: [
        ...before.edges.filter((e) => e.from !== 'enc' && e.to !== 'enc'),
        { from: 'bars', fromPin: 'out', to: 'enc2', toPin: 'in' },
        { from: 'enc2', fromPin: 'out', to: 'mux', toPin: 'video' },
      ],
    };
    expect(diffBatch(before, after)).toEqual([
      { action: 'removenode', node_id: 'enc' },
      { action: 'addnode', node_id: 'enc2', kind: 'video::encoder', params: { codec: 'vp9' } },
      { action: 'connect', from_node: 'bars', from_pin: 'out', to_node: 'enc2', to_pin: 'in' },
      { action: 'connect', from_node: 'enc2', from_pin: 'out', to_node: 'mux', to_pin: 'video' },
    ]);
    expect(diffBatch(before, before)).toEqual([]);
  });

  it('share codes decode to the same text', async () => {
    const code = await encodeShare(TEXT);
    expect(code).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(await decodeShare(code)).toBe(TEXT);
  });
});

describe('fromYaml with a previous graph', () => {
  const first = 'mode: oneshot\nnodes:\n  a: { kind: audio::sine }\n  b: { kind: core::sink, needs: a }\n';
  it('keeps the positions of an edited graph, and lays a replaced one out afresh', () => {
    const before = fromYaml(first);
    const moved = { ...before, nodes: before.nodes.map((n) => (n.id === 'b' ? { ...n, x: 999, y: 777 } : n)) };
    const edited = fromYaml(first.replace('needs: a', 'needs: a, params: {}'), moved);
    expect(edited.nodes.find((n) => n.id === 'b')).toMatchObject({ x: 999, y: 777 });
    const replaced = fromYaml(
      'mode: oneshot\nnodes:\n  t: { kind: audio::sine }\n  g: { kind: audio::gain, needs: t }\n  p: { kind: core::passthrough, needs: g }\n  b: { kind: core::sink, needs: p }\n',
      moved,
    );
    expect(replaced.nodes.find((n) => n.id === 'b')).not.toMatchObject({ x: 999, y: 777 });
  });
});
