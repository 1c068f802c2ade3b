import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ApiError } from '../../server/app';
import { createApp } from '../../server/app';
import { isLoopback, parseServeArgs } from '../../server/config';
import type { Issue, NodeDescription } from '../../src/engine';
import { createRegistry } from '../../src/nodes';

const registry = createRegistry();

describe('server', () => {
  const app = createApp({ registry });

  it('reports health', async () => {
    const res = await app.request('/healthz');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok' });
    expect(res.headers.get('cross-origin-opener-policy')).toBe('same-origin');
  });

  it('serves the schema in StreamKit’s shapes, and Weft’s own under /api/v1/weft', async () => {
    type SkNode = {
      kind: string;
      param_schema: { type?: string };
      inputs: { name: string; accepts_types: unknown[]; cardinality: unknown }[];
      outputs: { name: string; produces_type: unknown; cardinality: unknown }[];
      categories: string[];
      bidirectional: boolean;
    };
    const nodes = (await (await app.request('/api/v1/schema/nodes')).json()) as SkNode[];
    const kind = (k: string) => nodes.find((n) => n.kind === k);
    expect(kind('audio::gain')).toMatchObject({
      inputs: [
        {
          name: 'in',
          accepts_types: [{ RawAudio: { sample_rate: 0, channels: 0, sample_format: 'F32' } }],
          cardinality: 'One',
        },
      ],
      outputs: [{ name: 'out', cardinality: 'Broadcast' }],
      bidirectional: false,
    });
    expect(kind('audio::opus::decoder')?.inputs[0]?.accepts_types).toEqual([{ EncodedAudio: { codec: 'opus' } }]);
    expect(kind('video::decoder')?.inputs[0]?.accepts_types).toContainEqual({ EncodedVideo: { codec: 'h264' } });
    expect(kind('core::json_serialize')?.outputs[0]?.produces_type).toBe('Binary');
    expect(kind('core::passthrough')?.outputs[0]?.produces_type).toBe('Passthrough');
    expect(kind('core::sink')?.inputs[0]?.accepts_types).toEqual(['Any']);
    expect(kind('audio::mixer')?.inputs[0]?.cardinality).toEqual({ Dynamic: { prefix: 'in' } });
    expect(kind('transport::moq::peer')?.bidirectional).toBe(true);
    expect(kind('streamkit::http_input')?.categories).toEqual(['transport', 'oneshot']);
    expect(kind('streamkit::http_output')?.categories).toEqual(['transport', 'oneshot']);
    for (const n of nodes) {
      expect(n.param_schema.type, n.kind).toBe('object');
      // The default pin comes first, as StreamKit's UI wires `needs: x` to it.
      if (n.outputs.some((o) => o.name === 'out')) expect(n.outputs[0]?.name, n.kind).toBe('out');
      const tagged = [...n.inputs.flatMap((i) => i.accepts_types), ...n.outputs.map((o) => o.produces_type)];
      for (const t of tagged) {
        const tag = typeof t === 'string' ? t : Object.keys(t as object)[0];
        expect(
          [
            'Any',
            'Passthrough',
            'Binary',
            'Text',
            'Transcription',
            'Custom',
            'RawAudio',
            'RawVideo',
            'EncodedAudio',
            'EncodedVideo',
          ],
          n.kind,
        ).toContain(tag);
      }
    }
    const packets = (await (await app.request('/api/v1/schema/packets')).json()) as {
      id: string;
      compatibility: { kind: string };
    }[];
    expect(packets.map((p) => p.id)).toEqual([
      'Any',
      'Binary',
      'Text',
      'RawAudio',
      'RawVideo',
      'EncodedAudio',
      'EncodedVideo',
      'Transcription',
      'Custom',
    ]);
    expect(packets.find((p) => p.id === 'RawAudio')?.compatibility.kind).toBe('structfieldwildcard');
    const weft = (await (await app.request('/api/v1/weft/schema/nodes')).json()) as NodeDescription[];
    expect(weft.find((n) => n.kind === 'audio::gain')?.live_params).toEqual(['gain']);
    const weftPackets = (await (await app.request('/api/v1/weft/schema/packets')).json()) as { id: string }[];
    expect(weftPackets.map((p) => p.id)).toContain('raw_video');
  });

  it('validates a pipeline and returns every issue with its position', async () => {
    const res = await app.request('/api/v1/validate', {
      method: 'POST',
      body: 'mode: oneshot\nnodes:\n  a: { kind: core::sinc }\n  b: { kind: core::sink, needs: a.nope }\n',
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { valid: boolean; issues: Issue[] };
    expect(body.valid).toBe(false);
    expect(body.issues[0]).toMatchObject({ code: 'unknown_kind', node: 'a', position: { line: 3, col: 14 } });
    const ok = (await (
      await app.request('/api/v1/validate', { method: 'POST', body: 'steps:\n  - kind: core::passthrough\n' })
    ).json()) as { valid: boolean };
    expect(ok.valid).toBe(true);
  });

  it('answers unknown API routes with a JSON error', async () => {
    const res = await app.request('/api/v1/nope');
    expect(res.status).toBe(404);
    expect(((await res.json()) as ApiError).error.code).toBe('not_found');
  });

  it('requires the bearer token when one is configured', async () => {
    const guarded = createApp({ registry, token: 's3cret-token' });
    expect((await guarded.request('/api/v1/schema/nodes')).status).toBe(401);
    expect((await guarded.request('/api/v1/schema/nodes', { headers: { Authorization: 'Bearer wrong' } })).status).toBe(
      401,
    );
    const ok = await guarded.request('/api/v1/schema/nodes', { headers: { Authorization: 'Bearer s3cret-token' } });
    expect(ok.status).toBe(200);
    expect((await guarded.request('/healthz')).status).toBe(200);
  });

  it('serves the built studio with a client-side fallback and no path escape', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'weft-studio-'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>studio</title>');
    writeFileSync(join(dir, 'app.js'), 'console.log(1)');
    const withStudio = createApp({ registry, studioDir: dir });
    const index = await withStudio.request('/');
    expect(index.headers.get('content-type')).toContain('text/html');
    expect(await index.text()).toContain('studio');
    expect(await (await withStudio.request('/app.js')).text()).toBe('console.log(1)');
    expect(await (await withStudio.request('/some/route')).text()).toContain('studio');
    const escape = await withStudio.request('/..%2f..%2fetc%2fpasswd');
    expect(await escape.text()).not.toContain('root:');
  });
});

describe('server config', () => {
  it('defaults to loopback on StreamKit’s port', () => {
    expect(parseServeArgs([], {})).toEqual({ host: '127.0.0.1', port: 4545, studioDir: 'dist' });
    expect(parseServeArgs(['--port', '8080', '--host', '0.0.0.0'], {})).toMatchObject({ host: '0.0.0.0', port: 8080 });
    expect(() => parseServeArgs(['--bogus'], {})).toThrow(/unknown/);
    expect(() => parseServeArgs(['--port', 'x'], {})).toThrow(/port/);
  });
  it('knows which binds are loopback', () => {
    expect(['127.0.0.1', '127.0.0.2', '::1', 'localhost'].map(isLoopback)).toEqual([true, true, true, true]);
    expect(['0.0.0.0', '10.0.0.1', '::', 'example.com'].map(isLoopback)).toEqual([false, false, false, false]);
  });
});
