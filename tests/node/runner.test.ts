/**
 * The runner, as every host uses it: one state machine from pipeline text to final state, with the
 * outputs' content types and sizes, progress, overrides and the node at fault.
 */
import { describe, expect, it } from 'vitest';
import type { ByteSink, RunProgress } from '../../src/engine';
import { PipelineRun } from '../../src/engine';
import { testRegistry } from '../support/fakes';

const { registry } = testRegistry();

/** An in-memory host output. */
function memoryHost() {
  const written = new Map<string, Uint8Array[]>();
  return {
    written,
    host: {
      openOutput: (name: string): Promise<ByteSink> => {
        const parts: Uint8Array[] = [];
        written.set(name, parts);
        return Promise.resolve({
          write: (data: Uint8Array) => {
            parts.push(data.slice());
            return Promise.resolve();
          },
          close: () => Promise.resolve(),
          abort: () => Promise.resolve(),
        });
      },
    },
  };
}

const TEXT_JOB = (extra = '') => `mode: oneshot
nodes:
  src: { kind: test::source, params: { type: text, count: 5 } }
  json: { kind: core::json_serialize, needs: src }
  ${extra}
  out: { kind: streamkit::http_output, params: { content_type: application/x-ndjson }, needs: json }
`;

describe('PipelineRun', () => {
  it('runs to succeeded with each output named, typed and sized', async () => {
    const { host, written } = memoryHost();
    const progress: RunProgress[] = [];
    const run = new PipelineRun({ registry, text: TEXT_JOB(), host, onProgress: (p) => progress.push(p) });
    expect(run.state).toBe('idle');
    const result = await run.execute();
    expect(run.state).toBe('succeeded');
    expect(result.state).toBe('succeeded');
    const bytes = (written.get('output') ?? []).reduce((n, p) => n + p.byteLength, 0);
    expect(bytes).toBeGreaterThan(0);
    expect(result.outputs).toEqual([{ name: 'output', bytes, content_type: 'application/x-ndjson' }]);
    expect(result.openFrames).toBe(0);
    expect(progress.at(-1)?.nodes.src?.packets_out).toBe(5);
  });

  it('fails naming the node at fault, and never rejects', async () => {
    const run = new PipelineRun({
      registry,
      text: TEXT_JOB().replace('count: 5', 'count: 5, fail_after: 2'),
      host: memoryHost().host,
    });
    const result = await run.execute();
    expect(result.state).toBe('failed');
    expect(result.error).toMatchObject({ code: 'node_failed', node: 'src' });
    expect(result.error?.message).toMatch(/^\[test::source#src\]/);
  });

  it('reports an invalid pipeline with its node and param', async () => {
    const result = await new PipelineRun({ registry, text: TEXT_JOB().replace('count: 5', 'count: "x"') }).execute();
    expect(result).toMatchObject({ state: 'failed', error: { code: 'invalid_pipeline', node: 'src', param: 'count' } });
  });

  it('applies overrides, and names an override of a missing node', async () => {
    const { host, written } = memoryHost();
    const ok = await new PipelineRun({ registry, text: TEXT_JOB(), host, overrides: { src: { count: 2 } } }).execute();
    expect(ok.state).toBe('succeeded');
    expect(ok.stats.src?.packets_out).toBe(2);
    expect(written.get('output')?.length).toBe(2);
    const bad = await new PipelineRun({ registry, text: TEXT_JOB(), host, overrides: { nope: { x: 1 } } }).execute();
    expect(bad.error?.message).toContain("'nope'");
  });

  it('ends as canceled when stopped, from its signal or cancel()', async () => {
    const endless = TEXT_JOB().replace('count: 5', 'count: 1, endless: true');
    const abort = new AbortController();
    const run = new PipelineRun({ registry, text: endless, host: memoryHost().host, signal: abort.signal });
    const done = run.execute();
    setTimeout(() => abort.abort(), 20);
    expect(await done).toMatchObject({ state: 'canceled', error: { code: 'canceled' } });
    const other = new PipelineRun({ registry, text: endless, host: memoryHost().host });
    const settled = other.execute();
    other.cancel();
    expect((await settled).state).toBe('canceled');
  });

  it('measures progress with the hooks it is given', async () => {
    const video = `mode: oneshot
nodes:
  src: { kind: test::source, params: { type: video, count: 10, frame_duration_us: 100000 } }
  sink: { kind: test::collect, needs: src }
`;
    const progress: RunProgress[] = [];
    const result = await new PipelineRun({
      registry,
      text: video,
      inputs: { media: new Blob(['x']) },
      hooks: {
        duration: () => Promise.resolve(2_000_000),
        mediaTime: (nodes) => Math.max(...nodes.map((n) => n.media_time_in)),
      },
      onProgress: (p) => progress.push(p),
    }).execute();
    expect(result.state).toBe('succeeded');
    expect(progress.at(-1)).toMatchObject({ duration_us: 2_000_000, media_time_us: 1_000_000, fraction: 0.5 });
  });
});
