import { readdirSync, readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compileGraph, PipelineError, parsePipeline, pipelineJsonSchema } from '../../src/engine';
import { createRegistry } from '../../src/nodes';

function issuesOf(text: string) {
  try {
    parsePipeline(text);
  } catch (error) {
    if (error instanceof PipelineError) return error.issues;
    throw error;
  }
  throw new Error('expected a PipelineError');
}

describe('pipeline format', () => {
  it('compiles steps into a linear chain step_0 → step_1 → …', () => {
    const { pipeline } = parsePipeline(`
mode: oneshot
steps:
  - kind: core::passthrough
  - kind: core::pacer
    params: { speed: 2 }
  - kind: core::sink
`);
    expect(Object.keys(pipeline.nodes)).toEqual(['step_0', 'step_1', 'step_2']);
    expect(pipeline.nodes.step_1).toEqual({ kind: 'core::pacer', params: { speed: 2 } });
    expect(pipeline.connections).toEqual([
      { from_node: 'step_0', from_pin: 'out', to_node: 'step_1', to_pin: 'in' },
      { from_node: 'step_1', from_pin: 'out', to_node: 'step_2', to_pin: 'in' },
    ]);
  });

  it('defaults to dynamic mode like StreamKit and keeps unknown top-level keys', () => {
    const { pipeline } = parsePipeline(
      'name: x\nclient: { watch: { audio: true } }\nnodes:\n  a: { kind: core::sink }\n',
    );
    expect(pipeline.mode).toBe('dynamic');
    expect(pipeline.extra).toEqual({ client: { watch: { audio: true } } });
  });

  it('expands every form of needs', () => {
    const { pipeline } = parsePipeline(`
mode: oneshot
nodes:
  a: { kind: core::passthrough }
  b: { kind: core::passthrough }
  one: { kind: core::sink, needs: a }
  pin: { kind: core::sink, needs: a.video/hd }
  obj: { kind: core::sink, needs: { node: b, mode: best_effort } }
  single: { kind: core::sink, needs: [a] }
  list: { kind: audio::mixer, needs: [a, { node: b, mode: best_effort }] }
  map: { kind: x::y, needs: { video: a, audio: { node: b.out, mode: reliable } } }
`);
    const byTarget = (id: string) => pipeline.connections.filter((c) => c.to_node === id);
    expect(byTarget('one')).toEqual([{ from_node: 'a', from_pin: 'out', to_node: 'one', to_pin: 'in' }]);
    expect(byTarget('pin')).toEqual([{ from_node: 'a', from_pin: 'video/hd', to_node: 'pin', to_pin: 'in' }]);
    expect(byTarget('obj')).toEqual([
      { from_node: 'b', from_pin: 'out', to_node: 'obj', to_pin: 'in', mode: 'best_effort' },
    ]);
    expect(byTarget('single')).toEqual([{ from_node: 'a', from_pin: 'out', to_node: 'single', to_pin: 'in' }]);
    expect(byTarget('list')).toEqual([
      { from_node: 'a', from_pin: 'out', to_node: 'list', to_pin: 'in_0' },
      { from_node: 'b', from_pin: 'out', to_node: 'list', to_pin: 'in_1', mode: 'best_effort' },
    ]);
    expect(byTarget('map')).toEqual([
      { from_node: 'a', from_pin: 'out', to_node: 'map', to_pin: 'video' },
      { from_node: 'b', from_pin: 'out', to_node: 'map', to_pin: 'audio' },
    ]);
    // StreamKit's mixer auto-config: num_inputs from the edge count outside dynamic mode.
    expect(pipeline.nodes.list?.params).toEqual({ num_inputs: 2 });
  });

  it('accepts JSON and the flat nodes + connections form', () => {
    const { pipeline } = parsePipeline(
      JSON.stringify({
        mode: 'oneshot',
        nodes: { a: { kind: 'core::passthrough' }, b: { kind: 'core::sink' } },
        connections: [{ from_node: 'a', from_pin: 'out', to_node: 'b', to_pin: 'in' }],
      }),
    );
    expect(pipeline.connections).toHaveLength(1);
    expect(pipeline.mode).toBe('oneshot');
  });

  it('reports YAML syntax errors with line and column', () => {
    const issues = issuesOf('nodes:\n  a: { kind: core::sink\n  b: [\n');
    expect(issues[0]?.code).toBe('syntax');
    expect(issues[0]?.position?.line).toBeGreaterThanOrEqual(2);
  });

  it('reports duplicate node ids with their position', () => {
    const issues = issuesOf('nodes:\n  a: { kind: core::sink }\n  a: { kind: core::sink }\n');
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ code: 'duplicate_id', position: { line: 3, col: 3 } });
  });

  it('reports shape errors with the path, line and column', () => {
    const issues = issuesOf('nodes:\n  a:\n    kind: core::sink\n    parms: { x: 1 }\n');
    expect(issues[0]).toMatchObject({ code: 'schema', node: 'a', position: { line: 4 } });
    expect(issues[0]?.hint).toContain("'parms'");
  });

  it("refuses 'node' as a pin name in a needs map", () => {
    const issues = issuesOf(
      'nodes:\n  a: { kind: core::sink }\n  b: { kind: core::sink, needs: { node: a, other: a } }\n',
    );
    expect(issues.map((i) => i.message).join(' ')).toMatch(/node|Unrecognized/);
    expect(issues[0]?.node).toBe('b');
  });

  it('rejects dots in node ids (needs splits at the first dot)', () => {
    const issues = issuesOf('nodes:\n  a.b: { kind: core::sink }\n');
    expect(issues[0]?.message).toMatch(/dots/);
  });

  it('rejects an empty document', () => {
    expect(issuesOf('   \n')[0]?.code).toBe('empty');
  });

  it('keeps the committed JSON Schema in step with the zod schema', () => {
    const committed: unknown = JSON.parse(
      readFileSync(new URL('../../schema/pipeline.schema.json', import.meta.url), 'utf8'),
    );
    expect(committed).toEqual(pipelineJsonSchema());
  });
});

describe('samples', () => {
  it('every sample pipeline parses and validates without errors', () => {
    const dir = new URL('../../samples/', import.meta.url);
    const root = fileURLToPath(dir);
    const files = readdirSync(root, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'))
      .map((f) => relative(root, `${root}/${f}`));
    expect(files.length).toBeGreaterThanOrEqual(7);
    for (const file of files) {
      const { pipeline, source } = parsePipeline(readFileSync(new URL(file, dir), 'utf8'));
      const errors = compileGraph(pipeline, createRegistry(), { source }).issues.filter((i) => i.severity === 'error');
      expect(errors, file).toEqual([]);
    }
  });
});
