import { describe, expect, it } from 'vitest';
import type { Issue } from '../../src/engine';
import { compileGraph, parsePipeline } from '../../src/engine';
import { testRegistry } from '../support/fakes';

const { registry } = testRegistry();

function check(text: string): Issue[] {
  const { pipeline, source } = parsePipeline(text);
  return compileGraph(pipeline, registry, { source }).issues;
}

describe('validation', () => {
  it('accepts a valid pipeline and resolves passthrough types from upstream', () => {
    const { pipeline } = parsePipeline(`
mode: oneshot
nodes:
  src: { kind: test::source, params: { type: text } }
  pass: { kind: core::passthrough, needs: src }
  json: { kind: core::json_serialize, needs: pass }
  out: { kind: core::sink, needs: json }
`);
    const { graph, issues } = compileGraph(pipeline, registry);
    expect(issues).toEqual([]);
    expect(graph?.nodes.get('pass')?.outputTypes.get('out')).toEqual({ kind: 'text' });
    expect(graph?.nodes.get('json')?.outputTypes.get('out')).toEqual({
      kind: 'binary',
      content_type: 'application/json',
    });
    expect(graph?.order).toEqual(['src', 'pass', 'json', 'out']);
  });

  it('reports every problem at once, each with node, pin or param and a hint', () => {
    const issues = check(`
mode: oneshot
nodes:
  src: { kind: test::source, params: { count: -1 } }
  pacer: { kind: core::pacr, needs: src }
  chunk: { kind: core::text_chunker, params: { split_mode: paragraphs, chunk_word: 3 }, needs: src }
  json: { kind: core::json_serialize, needs: nowhere }
  good: { kind: test::source }
  pass: { kind: core::passthrough, needs: good.video }
  lonely: { kind: core::sink }
`);
    const codes = issues.map((i) => i.code).sort();
    expect(codes).toEqual(
      [
        'invalid_param',
        'invalid_param',
        'invalid_param',
        'missing_input',
        'unknown_kind',
        'unknown_node',
        'unknown_pin',
      ].sort(),
    );
    for (const issue of issues) {
      expect(issue.node).toBeTruthy();
      expect(issue.hint).toBeTruthy();
      expect(issue.position?.line).toBeGreaterThan(0);
    }
    const unknown = issues.find((i) => i.code === 'unknown_kind');
    expect(unknown?.message).toContain("'core::pacr'");
    expect(unknown?.hint).toContain("'core::pacer'");
    const count = issues.find((i) => i.param === 'count');
    expect(count).toMatchObject({ node: 'src', code: 'invalid_param' });
    expect(count?.hint).toMatch(/≥ 0/);
    const mode = issues.find((i) => i.param === 'split_mode');
    expect(mode?.hint).toContain('"sentences"');
    const typo = issues.find((i) => i.param === 'chunk_word');
    expect(typo?.hint).toContain("did you mean 'chunk_words'");
    expect(issues.find((i) => i.code === 'unknown_node')?.message).toContain("'nowhere'");
    expect(issues.find((i) => i.code === 'unknown_pin')).toMatchObject({ node: 'good', pin: 'video' });
    expect(issues.find((i) => i.code === 'unknown_pin')?.hint).toBe('output pins: out');
    expect(issues.find((i) => i.code === 'missing_input')).toMatchObject({ node: 'lonely', pin: 'in' });
  });

  it('names both types on a mismatch', () => {
    const issues = check(`
mode: oneshot
nodes:
  src: { kind: test::source, params: { type: video } }
  json: { kind: core::json_serialize, needs: src }
  out: { kind: core::sink, needs: json }
`);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ code: 'type_mismatch', node: 'json', pin: 'in' });
    expect(issues[0]?.message).toContain('raw_video(I420)');
    expect(issues[0]?.message).toContain('text | transcription | json');
  });

  it('rejects cycles unless a node may close one', () => {
    const issues = check(`
mode: oneshot
nodes:
  a: { kind: core::passthrough, needs: c }
  b: { kind: core::passthrough, needs: a }
  c: { kind: core::passthrough, needs: b }
`);
    expect(issues.map((i) => i.code)).toEqual(['cycle']);
    expect(issues[0]?.message).toBe('circular dependency: a -> b -> c -> a');
  });

  it('enforces one edge per input pin', () => {
    const { registry: r } = testRegistry();
    const issues = compileGraph(
      {
        mode: 'oneshot',
        nodes: { a: { kind: 'test::source' }, b: { kind: 'test::source' }, s: { kind: 'core::sink' } },
        connections: [
          { from_node: 'a', from_pin: 'out', to_node: 's', to_pin: 'in' },
          { from_node: 'b', from_pin: 'out', to_node: 's', to_pin: 'in' },
        ],
      },
      r,
    ).issues;
    expect(issues.map((i) => i.code)).toEqual(['cardinality']);
  });

  it('refuses dynamic-only nodes in oneshot pipelines; missing inputs are only warnings in dynamic mode', () => {
    expect(check('mode: oneshot\nnodes:\n  live: { kind: test::live_only }\n').map((i) => i.code)).toEqual(['mode']);
    const dynamic = check('mode: dynamic\nnodes:\n  live: { kind: test::live_only }\n  s: { kind: core::sink }\n');
    expect(dynamic).toEqual([expect.objectContaining({ code: 'missing_input', severity: 'warning' })]);
  });

  it('wires dynamic pin families (in_0, in_1, …)', () => {
    const issues = check(`
mode: oneshot
nodes:
  a: { kind: test::source }
  b: { kind: test::source }
  m: { kind: test::merge, needs: [a, b] }
  s: { kind: core::sink, needs: m }
`);
    expect(issues).toEqual([]);
  });

  it('describes every kind as JSON with a params JSON Schema', () => {
    const d = registry.describe('core::pacer');
    expect(d?.live_params).toEqual(['speed']);
    expect(d?.inputs[0]).toMatchObject({ name: 'in', cardinality: 'one', accepts_types: [{ kind: 'any' }] });
    expect((d?.param_schema.properties as Record<string, { default?: unknown }>).speed?.default).toBe(1);
    const roundTrip = JSON.parse(JSON.stringify(registry.describeAll())) as unknown[];
    expect(roundTrip).toHaveLength(registry.kinds().length);
  });
});
