/**
 * core::script in its QuickJS sandbox: a script that changes, replaces and drops packets; one that
 * throws (the packet goes on, the error is telemetry); one that loops forever and one that eats
 * memory (stopped, the node fails naming it); one that tries the network (refused) and one that
 * looks for the page or the engine (nothing there).
 */
import { describe, expect, it } from 'vitest';
import type { NodeHost, Packet, SessionEvent, SessionResult } from '../../src/engine';
import { micros, parsePipeline, Session } from '../../src/engine';
import { testRegistry, textPacket } from '../support/fakes';

async function run(script: string, extra = '', count = 4, host?: NodeHost) {
  const { registry, recorder } = testRegistry();
  const { pipeline } = parsePipeline(`
mode: oneshot
nodes:
  src: { kind: test::source, params: { count: ${count}, type: text } }
  js:
    kind: core::script
    params:
      script: ${JSON.stringify(script)}
      ${extra}
    needs: src
  out: { kind: test::collect, needs: js }
`);
  const events: SessionEvent[] = [];
  const session = new Session(pipeline, { registry, statsIntervalMs: 0, ...(host ? { host } : {}) });
  session.on((e) => events.push(e));
  const started = Date.now();
  const result: SessionResult = await session.result();
  const out = recorder
    .get('out')
    .map((p: Packet) => (p.kind === 'text' ? p.text : p.kind === 'json' ? p.data : p.kind));
  return { result, out, events, ms: Date.now() - started };
}

describe('core::script', () => {
  it('changes, replaces and drops packets', async () => {
    const { result, out } = await run(`
      function process(packet) {
        const n = Number(packet.data.split(' ')[1]);
        if (n === 1) return null;
        if (n === 2) return { type: 'Custom', type_id: 'test/n@1', data: { n, ts: packet.metadata.timestamp_us } };
        return { type: 'Text', data: packet.data.toUpperCase() };
      }`);
    expect(result.state, JSON.stringify(result.error)).toBe('done');
    expect(out).toEqual(['PACKET 0', { n: 2, ts: textPacket('', 2).meta.timestamp }, 'PACKET 3']);
  });

  it('passes a packet on when the script throws, and reports it as telemetry', async () => {
    const { result, out, events } = await run(
      `function process(p) { if (p.data.endsWith('1')) throw new Error('bad ' + p.data); return p; }`,
    );
    expect(result.state).toBe('done');
    expect(out).toEqual(['packet 0', 'packet 1', 'packet 2', 'packet 3']);
    const errors = events.filter((e) => e.event === 'nodetelemetry' && e.type_id === 'script.error');
    expect(JSON.stringify(errors)).toMatch(/Error: bad packet 1/);
  });

  it('stops a script that loops forever at its timeout and fails the node naming it', async () => {
    const { result, ms } = await run('function process(p) { for (;;) {} }', 'timeout_ms: 50');
    expect(result.state).toBe('failed');
    expect(result.error?.message).toMatch(/\[core::script#js\].*ran past its timeout_ms \(50 ms\) in process\(\)/);
    expect(ms).toBeLessThan(10_000);
  });

  it('stops a top-level loop too', async () => {
    const { result } = await run('while (true) {} function process(p) { return p; }', 'timeout_ms: 50');
    expect(result.error?.message).toMatch(/ran past its timeout_ms \(50 ms\) in the script/);
  });

  it('stops a script that eats memory past memory_limit_mb', async () => {
    const { result } = await run(
      'const keep = []; function process(p) { for (;;) keep.push(new Uint8Array(1 << 20), { s: p.data + keep.length }); }',
      'memory_limit_mb: 8\n      timeout_ms: 10000',
    );
    expect(result.state).toBe('failed');
    expect(result.error?.message).toMatch(/\[core::script#js\].*memory_limit_mb/);
  });

  it('cannot reach the network on a host without an allowlist: fetch() is refused as StreamKit refuses it', async () => {
    const { out } = await run(
      `async function process(p) { try { await fetch('http://127.0.0.1:9/secret'); return { type: 'Text', data: 'reached' }; } catch (e) { return { type: 'Text', data: String(e.message) }; } }`,
      '',
      1,
    );
    expect(out).toEqual([
      'Blocked: Global allowlist is empty (fetch() to 127.0.0.1:9: this host allows scripts no network access)',
    ]);
  });

  it('awaits fetch() through the host, which sees the secret names, never values', async () => {
    const seen: unknown[] = [];
    const { out } = await run(
      `async function process(p) { const body = await fetch('https://api.example.com/echo?q=' + p.data, { method: 'post', body: 'x' }); return { type: 'Text', data: body.toUpperCase() }; }`,
      'headers: [{ secret: API_KEY, header: Authorization, template: "Bearer {}" }]',
      2,
      {
        scriptFetch: (request) => {
          seen.push(request);
          const url = new URL(request.url);
          return Promise.resolve({ status: 200, body: `echo ${url.searchParams.get('q') ?? ''}` });
        },
      },
    );
    expect(out).toEqual(['ECHO PACKET 0', 'ECHO PACKET 1']);
    expect(seen[0]).toMatchObject({
      url: 'https://api.example.com/echo?q=packet 0',
      method: 'POST',
      body: 'x',
      secrets: [{ secret: 'API_KEY', header: 'Authorization', template: 'Bearer {}' }],
    });
  });

  it('sees nothing of the page or the engine', async () => {
    const { out } = await run(
      `function process() { return { type: 'Text', data: [typeof window, typeof self, typeof XMLHttpRequest, typeof WebSocket, typeof importScripts, typeof require, typeof postMessage, typeof setTimeout].join(',') }; }`,
      '',
      1,
    );
    expect(out).toEqual([Array(8).fill('undefined').join(',')]);
  });

  it('says what is wrong with a script without process()', async () => {
    const { result } = await run('const x = 1;', '', 1);
    expect(result.state).toBe('done'); // passed on, reported
    const none = await run('', '', 1).catch((e: unknown) => e as Error);
    expect(String(none instanceof Error ? none.message : '')).toMatch(/give the script/);
  });
});

void micros;
