/**
 * Validation is bounded and linear: every input has a size limit that is refused with an issue
 * (never a crash, never an echo of the input), and the work grows with the pipeline's size, not
 * with its square.
 */
import { describe, expect, it } from 'vitest';
import type { Issue } from '../../src/engine';
import { checkPipelineText, formatIssue, MAX_NODES, MAX_PIPELINE_BYTES } from '../../src/engine';
import { HEADLESS_HOST } from '../../src/headless/protocol';
import { createRegistry } from '../../src/nodes';

const registry = createRegistry();

/** A chain of `n` passthrough nodes, each needing the one before (`bad`: needing a missing id). */
function chain(n: number, options: { kind?: string; bad?: boolean } = {}): string {
  const lines = ['mode: dynamic', 'nodes:'];
  for (let i = 0; i < n; i++) {
    const needs = i === 0 ? '' : `, needs: ${options.bad ? 'x' : 'n'}${i - 1}`;
    lines.push(`  n${i}: { kind: ${options.kind ?? 'core::passthrough'}${needs} }`);
  }
  return lines.join('\n');
}

/** The fastest of `runs` timings of `fn`, in ms (the minimum is the least disturbed by other load). */
function fastest(fn: () => void, runs = 3): number {
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    fn();
    best = Math.min(best, performance.now() - t);
  }
  return best;
}

const messages = (issues: Issue[]) => issues.map(formatIssue).join('\n');

describe('validation bounds', () => {
  it('validates a 10k-node pipeline, and the work grows linearly with its size', { timeout: 60_000 }, () => {
    const big = checkPipelineText(chain(10_000), registry);
    expect(big.valid).toBe(true);
    expect(Object.keys(big.pipeline?.nodes ?? {})).toHaveLength(10_000);
    // Quadratic work would make 8x the nodes cost 64x; linear costs about 8x, up to 25x seen on a
    // loaded machine (GC, caches). Half the quadratic cost tells them apart.
    for (const variant of [{}, { kind: 'core::passthru' }, { bad: true }]) {
      const small = fastest(() => checkPipelineText(chain(500, variant), registry), 5);
      const large = fastest(() => checkPipelineText(chain(4_000, variant), registry), 3);
      expect(large / small, `variant ${JSON.stringify(variant)}`).toBeLessThan(32);
    }
  });

  it('reports every problem of a large broken pipeline, with hints only for the first few', () => {
    const check = checkPipelineText(chain(2_000, { bad: true }), registry);
    const unknown = check.issues.filter((i) => i.code === 'unknown_node');
    expect(unknown).toHaveLength(1_999);
    expect(unknown[0]?.hint).toContain("did you mean 'n0'");
    expect(unknown.at(-1)?.hint).toBe('check the node ids in needs');
  });

  it('refuses a huge kind string at once, without echoing it', () => {
    const text = `nodes:\n  a: { kind: "${'x'.repeat(900_000)}" }\n`;
    const check = checkPipelineText(text, registry);
    expect(check.valid).toBe(false);
    expect(check.issues[0]).toMatchObject({ node: 'a', param: 'nodes.a.kind' });
    expect(messages(check.issues).length).toBeLessThan(500);
  });

  it('refuses documents over the size limit', () => {
    const text = `name: "${'x'.repeat(MAX_PIPELINE_BYTES)}"\nsteps:\n  - kind: core::passthrough\n`;
    const check = checkPipelineText(text, registry);
    expect(check.issues).toMatchObject([{ code: 'too_large' }]);
    expect(messages(check.issues).length).toBeLessThan(300);
  });

  it('refuses more nodes than the limit', () => {
    const nodes = Object.fromEntries(
      Array.from({ length: MAX_NODES + 1 }, (_, i) => [`n${i}`, { kind: 'core::sink' }]),
    );
    const check = checkPipelineText(JSON.stringify({ mode: 'dynamic', nodes }), registry);
    expect(check.issues).toMatchObject([{ code: 'too_large' }]);
  });

  it('turns a YAML alias bomb into a syntax issue', () => {
    const bomb = [
      'a: &a ["x","x","x","x","x","x","x","x","x"]',
      'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]',
      'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]',
      'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]',
      'e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]',
      'f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]',
      'nodes:',
      '  a: { kind: core::sink, params: *f }',
    ].join('\n');
    const check = checkPipelineText(bomb, registry);
    expect(check.valid).toBe(false);
    expect(check.issues[0]).toMatchObject({ code: 'syntax' });
    expect(check.issues[0]?.message).toContain('alias');
  });

  it('turns a document nested too deeply into an issue', () => {
    const deep = `nodes:\n  a: { kind: core::sink, params: ${'['.repeat(20_000)}${']'.repeat(20_000)} }\n`;
    const check = checkPipelineText(deep, registry);
    expect(check.valid).toBe(false);
  });

  it('still reports duplicate node ids, in one pass', () => {
    const check = checkPipelineText('nodes:\n  a: { kind: core::sink }\n  a: { kind: core::sink }\n', registry);
    expect(check.issues[0]).toMatchObject({ code: 'duplicate_id', position: { line: 3, col: 3 } });
  });

  it('reads JSON documents with JSON.parse, still reporting duplicate ids and positions', () => {
    const dup = '{"mode": "dynamic",\n "nodes": {"a": {"kind": "core::sink"},\n  "a": {"kind": "core::sink"}}}';
    const check = checkPipelineText(dup, registry);
    expect(check.issues[0]).toMatchObject({ code: 'duplicate_id', position: { line: 3, col: 3 } });
    // Keys inside strings and nested objects are not confused with node ids.
    const ok = checkPipelineText(
      '{"mode":"dynamic","nodes":{"a":{"kind":"core::sink","params":{}},"b":{"kind":"core::passthrough","needs":"a\\"b"}}}',
      registry,
    );
    expect(ok.issues.some((i) => i.code === 'duplicate_id')).toBe(false);
    const bad = checkPipelineText('{"mode":"dynamic",\n"nodes":{"a":{"kind":"core::sinc"}}}', registry);
    expect(bad.issues[0]).toMatchObject({ code: 'unknown_kind', node: 'a', position: { line: 2 } });
  });

  it('refuses a document with both steps and nodes instead of dropping one', () => {
    const check = checkPipelineText(
      'steps:\n  - kind: core::passthrough\nnodes:\n  a: { kind: core::sink }\n',
      registry,
    );
    expect(check.valid).toBe(false);
    expect(check.issues[0]?.message).toContain("both 'steps:' and 'nodes:'");
  });

  it('refuses nodes a host cannot run, naming the node and what to do instead', () => {
    const text = 'mode: oneshot\nnodes:\n  cam: { kind: video::camera }\n  sink: { kind: core::sink, needs: cam }\n';
    expect(checkPipelineText(text, registry).valid).toBe(true); // no host given: no host check
    const check = checkPipelineText(text, registry, { host: HEADLESS_HOST });
    expect(check.valid).toBe(false);
    expect(check.issues[0]).toMatchObject({ code: 'unsupported_host', node: 'cam', position: { line: 3 } });
    expect(check.issues[0]?.message).toContain('capture devices');
    expect(check.issues[0]?.hint).toContain('studio tab');
  });
});
