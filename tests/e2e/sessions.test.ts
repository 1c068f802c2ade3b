/**
 * End to end: live sessions on a real server, each on a headless page of its own. Created over
 * HTTP, driven over the WebSocket control plane in StreamKit's shapes (add, connect, tune, an
 * atomic batch that fails and changes nothing, read back), their events seen, then destroyed; a
 * crashed session page, a full server, refused pipelines, a token-protected upgrade, shutdown.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { controlClient, submit, testServer, waitFinal, weft } from './support';

const LIVE = `mode: dynamic
nodes:
  tone: { kind: audio::sine, params: { frequency: 440 } }
  pace: { kind: audio::pacer, needs: tone }
  gain: { kind: audio::gain, params: { gain: 0.5 }, needs: pace }
  out: { kind: core::sink, needs: gain }
`;

async function createSession(base: string, body: object, headers: Record<string, string> = {}) {
  const response = await fetch(`${base}/api/v1/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

type PipelineView = {
  nodes: Record<string, { kind: string; params: unknown; state: unknown }>;
  connections: unknown[];
};

let server: Awaited<ReturnType<typeof testServer>>;

beforeAll(async () => {
  server = await testServer({ maxSessions: 2 });
});
afterAll(async () => {
  await server?.close();
});

describe('live sessions', () => {
  it('are created over HTTP, driven over the WebSocket, and destroyed', async () => {
    const created = await createSession(server.url, { name: 'studio-a', yaml: LIVE });
    expect(created.status).toBe(200);
    const id = created.body.session_id as string;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.body.name).toBe('studio-a');
    expect(Date.parse(created.body.created_at as string)).not.toBeNaN();

    const listed = (await (await fetch(`${server.url}/api/v1/sessions`)).json()) as { id: string }[];
    expect(listed.map((s) => s.id)).toContain(id);

    const client = await controlClient(server.url);
    try {
      // The running graph, by name as well as id, with StreamKit's node states.
      const read = (await (await fetch(`${server.url}/api/v1/sessions/studio-a/pipeline`)).json()) as PipelineView;
      expect(Object.keys(read.nodes)).toEqual(['tone', 'pace', 'gain', 'out']);
      expect(read.nodes.gain?.state).toBe('Running');

      expect(
        await client.request({
          action: 'addnode',
          session_id: id,
          node_id: 'quiet',
          kind: 'audio::gain',
          params: { gain: 0.1 },
        }),
      ).toEqual({ action: 'success' });
      expect(await client.request({ action: 'addnode', session_id: id, node_id: 'tap', kind: 'core::sink' })).toEqual({
        action: 'success',
      });
      for (const [from, to] of [
        ['pace', 'quiet'],
        ['quiet', 'tap'],
      ] as const) {
        expect(
          await client.request({
            action: 'connect',
            session_id: id,
            from_node: from,
            from_pin: 'out',
            to_node: to,
            to_pin: 'in',
          }),
        ).toEqual({ action: 'success' });
      }
      const tuned = await client.request({
        action: 'tunenode',
        session_id: id,
        node_id: 'gain',
        message: { UpdateParams: { gain: 0.25 } },
      });
      expect(tuned).toEqual({ action: 'success' });
      const refusedTune = await client.request({
        action: 'tunenode',
        session_id: id,
        node_id: 'gain',
        message: { UpdateParams: { gain: -1 } },
      });
      expect(refusedTune.action).toBe('error');
      expect(String(refusedTune.message)).toContain('gain');

      // An atomic batch with one bad operation applies nothing.
      const before = (await client.request({ action: 'getpipeline', session_id: id })).pipeline as PipelineView;
      const batch = await client.request({
        action: 'applybatch',
        session_id: id,
        operations: [
          { action: 'removenode', node_id: 'quiet' },
          { action: 'addnode', node_id: 'extra', kind: 'audio::gain' },
          { action: 'connect', from_node: 'extra', from_pin: 'out', to_node: 'missing', to_pin: 'in' },
        ],
      });
      expect(batch.action).toBe('batchapplied');
      expect(batch.success).toBe(false);
      expect(String((batch.errors as string[])[0])).toContain("'missing'");
      const after = (await client.request({ action: 'getpipeline', session_id: id })).pipeline as PipelineView;
      expect(Object.keys(after.nodes)).toEqual(Object.keys(before.nodes));
      expect(after.connections).toEqual(before.connections);
      expect(after.nodes.gain?.params).toMatchObject({ gain: 0.25 });
      expect(after.nodes.quiet?.state).toBe('Running');

      const validation = await client.request({
        action: 'validatebatch',
        session_id: id,
        operations: [{ action: 'addnode', node_id: 'typo', kind: 'audio::gian' }],
      });
      expect(validation).toMatchObject({
        action: 'validationresult',
        errors: [{ error_type: 'error', node_id: 'typo' }],
      });
      expect(JSON.stringify(validation)).toContain('audio::gain');

      // Events, in StreamKit's shapes, with the session id and a timestamp.
      const added = await client.event((e) => e.event === 'nodeadded' && e.node_id === 'quiet');
      expect(added).toMatchObject({ session_id: id, kind: 'audio::gain' });
      expect(Date.parse(added.timestamp as string)).not.toBeNaN();
      await client.event((e) => e.event === 'connectionadded' && e.to_node === 'tap');
      await client.event((e) => e.event === 'nodeparamschanged' && e.node_id === 'gain');
      await client.event((e) => e.event === 'nodestatechanged' && e.node_id === 'quiet' && e.state === 'Running');
      const stats = await client.event((e) => e.event === 'nodestatsupdated' && e.node_id === 'tap');
      expect(stats.stats).toMatchObject({ sent: 0, discarded: 0, errored: 0 });
      expect(typeof (stats.stats as { received: unknown }).received).toBe('number');

      expect(await client.request({ action: 'removenode', session_id: id, node_id: 'quiet' })).toEqual({
        action: 'success',
      });
      await client.event((e) => e.event === 'noderemoved' && e.node_id === 'quiet');

      const sessions = await client.request({ action: 'listsessions' });
      expect(sessions).toMatchObject({ action: 'sessionslisted', sessions: [{ id, name: 'studio-a' }] });
      const nodes = await client.request({ action: 'listnodes' });
      expect(JSON.stringify(nodes)).toContain('audio::gain');
      const unknown = await client.request({ action: 'getpipeline', session_id: 'nope' });
      expect(unknown).toEqual({ action: 'error', message: "Session 'nope' not found" });

      const destroyed = await fetch(`${server.url}/api/v1/sessions/${id}`, { method: 'DELETE' });
      expect(await destroyed.json()).toEqual({ session_id: id });
      await client.event((e) => e.event === 'sessiondestroyed' && e.session_id === id);
      expect((await fetch(`${server.url}/api/v1/sessions/${id}/pipeline`)).status).toBe(404);
    } finally {
      client.close();
    }
  });

  it('are created empty over the WebSocket and built up there', async () => {
    const client = await controlClient(server.url);
    try {
      const created = await client.request({ action: 'createsession', name: 'empty' });
      expect(created).toMatchObject({ action: 'sessioncreated', name: 'empty' });
      const id = created.session_id as string;
      const applied = await client.request({
        action: 'applybatch',
        session_id: id,
        operations: [
          { action: 'addnode', node_id: 'tone', kind: 'audio::sine' },
          { action: 'addnode', node_id: 'pace', kind: 'audio::pacer' },
          { action: 'addnode', node_id: 'out', kind: 'core::sink' },
          { action: 'connect', from_node: 'tone', from_pin: 'out', to_node: 'pace', to_pin: 'in' },
          { action: 'connect', from_node: 'pace', from_pin: 'out', to_node: 'out', to_pin: 'in' },
        ],
      });
      expect(applied).toEqual({ action: 'batchapplied', success: true, errors: [] });
      await client.event(
        (e) => e.event === 'nodestatsupdated' && e.node_id === 'out' && (e.stats as { received: number }).received > 0,
      );
      expect(await client.request({ action: 'destroysession', session_id: 'empty' })).toEqual({
        action: 'sessiondestroyed',
        session_id: id,
      });
    } finally {
      client.close();
    }
  });

  it('carry telemetry_tap events to WebSocket clients as nodetelemetry (audio levels of a live tone)', async () => {
    const client = await controlClient(server.url);
    const created = await createSession(server.url, {
      name: 'telemetry',
      yaml: `mode: dynamic
nodes:
  tone: { kind: audio::sine, params: { frequency: 440, amplitude: 0.5 } }
  pace: { kind: audio::pacer, needs: tone }
  tap: { kind: core::telemetry_tap, params: { packet_types: [Audio], audio_sample_interval_ms: 250 }, needs: pace }
  out: { kind: core::sink, needs: tap }
`,
    });
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    const id = created.body.session_id as string;
    try {
      const level = await client.event(
        (e) => e.event === 'nodetelemetry' && e.session_id === id && e.type_id === 'audio.level',
      );
      expect(level).toMatchObject({ node_id: 'tap', data: { sample_rate: 48000 } });
      const data = level.data as { rms: number; peak: number; sample_count: number };
      // A sine of amplitude 0.5: peak 0.5, RMS 0.5/√2.
      expect(data.peak).toBeCloseTo(0.5, 2);
      expect(data.rms).toBeCloseTo(0.5 / Math.SQRT2, 2);
      expect(typeof level.timestamp).toBe('string');
    } finally {
      client.ws.close();
      await fetch(`${server.url}/api/v1/sessions/${id}`, { method: 'DELETE' });
    }
  });

  it('refuse what cannot run live, and a full server answers 429', async () => {
    const oneshot = await createSession(server.url, { yaml: LIVE.replace('dynamic', 'oneshot') });
    expect(oneshot.status).toBe(400);
    expect(JSON.stringify(oneshot.body)).toContain('job');
    const httpInput = await createSession(server.url, {
      yaml: 'mode: dynamic\nnodes:\n  in: { kind: streamkit::http_input }\n  out: { kind: core::sink, needs: in }\n',
    });
    expect(httpInput.status).toBe(400);
    expect(JSON.stringify(httpInput.body)).toContain('oneshot-only');
    const bad = await createSession(server.url, {
      yaml: 'mode: dynamic\nnodes:\n  g: { kind: audio::gain, params: { gian: 1 } }\n',
    });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain("did you mean 'gain'");
    expect((await createSession(server.url, { nope: 1 })).status).toBe(400);

    const a = await createSession(server.url, { name: 'a', yaml: LIVE });
    expect(a.status).toBe(200);
    expect((await createSession(server.url, { name: 'a', yaml: LIVE })).status).toBe(409);
    const b = await createSession(server.url, { name: 'b', yaml: LIVE });
    expect(b.status).toBe(200);
    const full = await createSession(server.url, { name: 'c', yaml: LIVE });
    expect(full.status).toBe(429);
    expect(JSON.stringify(full.body)).toContain('--max-sessions');
    expect(await (await fetch(`${server.url}/metrics`)).text()).toMatch(/^weft_sessions 2$/m);
    // Jobs still run on their own pages while sessions hold theirs.
    const job = await submit(server.url, {
      text: 'mode: oneshot\nnodes:\n  bars: { kind: video::colorbars, params: { width: 160, height: 120, frame_count: 10 } }\n  enc: { kind: video::encoder, params: { codec: vp8 }, needs: bars }\n  mux: { kind: containers::muxer, params: { format: webm }, needs: { video: enc } }\n  output: { kind: streamkit::http_output, needs: mux }\n',
    });
    expect((await waitFinal(server.url, job.body.id ?? '')).state).toBe('succeeded');
    for (const name of ['a', 'b']) await fetch(`${server.url}/api/v1/sessions/${name}`, { method: 'DELETE' });
    expect(server.sessions.list()).toEqual([]);
  });

  it('end with a clear event when their page crashes, and the server keeps serving', async () => {
    const created = await createSession(server.url, { name: 'doomed', yaml: LIVE });
    const id = created.body.session_id as string;
    const client = await controlClient(server.url);
    try {
      await server.sessions.crash(id);
      const ended = await client.event((e) => e.event === 'sessiondestroyed' && e.session_id === id);
      expect(String(ended.reason)).toContain('crashed');
      expect(server.sessions.list()).toEqual([]);
      const again = await createSession(server.url, { name: 'doomed', yaml: LIVE });
      expect(again.status).toBe(200);
      await fetch(`${server.url}/api/v1/sessions/doomed`, { method: 'DELETE' });
    } finally {
      client.close();
    }
  });
});

describe('weft session', () => {
  it('creates, lists, reads, tunes and destroys a session on a running server', async () => {
    const file = join(tmpdir(), `weft-live-${process.pid}.yaml`);
    await writeFile(file, LIVE);
    const at = ['--server', server.url];
    const created = await weft(['session', 'create', file, '--name', 'cli', ...at]);
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    const id = created.stdout.trim();
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const listed = await weft(['session', 'list', ...at]);
    expect(listed.stdout).toContain(`${id}  `);
    expect(listed.stdout).toContain(' cli');
    const tuned = await weft(['session', 'tune', 'cli', 'gain', 'gain=0.125', ...at]);
    expect(tuned.stderr).toBe('');
    expect(tuned.code).toBe(0);
    const got = await weft(['session', 'get', id, ...at]);
    const pipeline = JSON.parse(got.stdout) as { nodes: Record<string, { params: { gain?: number } }> };
    expect(pipeline.nodes.gain?.params.gain).toBe(0.125);
    const refused = await weft(['session', 'tune', 'cli', 'gain', 'gain=-3', ...at]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('gain');
    const destroyed = await weft(['session', 'destroy', 'cli', ...at]);
    expect(destroyed.stdout.trim()).toBe(id);
    const missing = await weft(['session', 'get', id, ...at]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('(404)');
  });
});

describe('the control plane behind a token', () => {
  it('refuses an unauthenticated upgrade and accepts the token; shutdown destroys sessions', async () => {
    const token = 'test-token-0123456789abcdef';
    const guarded = await testServer({ env: { WEFT_TOKEN: token } });
    let closed = false;
    try {
      await expect(controlClient(guarded.url)).rejects.toThrow(/401/);
      const created = await createSession(guarded.url, { yaml: LIVE }, { authorization: `Bearer ${token}` });
      expect(created.status).toBe(200);
      const client = await controlClient(guarded.url, token);
      const hungUp = new Promise<void>((resolve) => client.ws.once('close', () => resolve()));
      closed = true;
      await guarded.close();
      await hungUp;
      expect(client.events).toContainEqual(
        expect.objectContaining({ event: 'sessiondestroyed', session_id: created.body.session_id }),
      );
    } finally {
      if (!closed) await guarded.close();
    }
  });
});
