/**
 * The hostile-input corpus against a real `weft serve` (headless Chromium, one page): every media
 * case decodes (checked with ffprobe) or is refused with a 4xx that names the node at fault; every
 * pipeline case is a 4xx naming its node, pin or param; no answer is a 5xx, no page crashes, and
 * the server stays healthy throughout.
 */
import { openAsBlob, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Expect, PipelineCase } from '../support/hostile-corpus';
import { MEDIA_CASES, mediaFor, PIPELINE_CASES } from '../support/hostile-corpus';
import { codecs, ensureMedia, probeBytes, testServer, waitFinal } from './support';

type Server = Awaited<ReturnType<typeof testServer>>;
type ErrorBody = { error?: { code: string; message: string; node?: string; pin?: string; param?: string } };

let server: Server;
let smallWav: string;

beforeAll(async () => {
  server = await testServer();
  smallWav = await ensureMedia('h-small.wav', ['-f', 'lavfi', '-i', 'sine=duration=0.5', '-c:a', 'pcm_s16le']);
});
afterAll(async () => {
  await server.close();
});

async function healthy(): Promise<void> {
  const res = await fetch(`${server.url}/healthz`, { signal: AbortSignal.timeout(5_000) });
  expect(res.status).toBe(200);
}

function checkRefusal(status: number, body: ErrorBody, expected: Extract<Expect, { status: number }>, what: string) {
  expect(status, `${what}: ${JSON.stringify(body).slice(0, 400)}`).toBe(expected.status);
  const error = body.error;
  expect(error?.message, what).toBeTruthy();
  expect((error?.message ?? '').length, `${what}: message stays short`).toBeLessThan(4_000);
  if (expected.node) expect(error?.node, `${what}: node`).toBe(expected.node);
  if (expected.pin) expect(error?.pin, `${what}: pin`).toBe(expected.pin);
  if (expected.param) expect(error?.param ?? '', `${what}: param`).toContain(expected.param);
  if (expected.code) expect(error?.code, `${what}: code`).toBe(expected.code);
  if (expected.contains) expect(error?.message ?? '', `${what}: message`).toContain(expected.contains);
}

describe('hostile media through /api/v1/process', () => {
  it(`has at least 30 media cases (${MEDIA_CASES.length})`, () => {
    expect(MEDIA_CASES.length).toBeGreaterThanOrEqual(30);
  });

  for (const c of MEDIA_CASES) {
    it(c.name, async () => {
      const path = await mediaFor(c);
      const pipeline = c.pipeline.startsWith('samples/') ? readFileSync(c.pipeline, 'utf8') : c.pipeline;
      const form = new FormData();
      form.append('config', pipeline);
      form.append('media', await openAsBlob(path), 'media');
      const res = await fetch(`${server.url}/api/v1/process`, { method: 'POST', body: form });
      expect(res.status, c.name).toBeLessThan(500);
      const expected = c.expect;
      if (res.status === 200) {
        const wanted = 'ok' in expected ? expected.ok : 'okOr400' in expected ? expected.okOr400 : undefined;
        expect(wanted, `${c.name} should have been refused`).toBeDefined();
        const probe = await probeBytes(new Uint8Array(await res.arrayBuffer()), 'out');
        expect(codecs(probe)).toEqual(wanted);
      } else {
        const body = (await res.json()) as ErrorBody;
        if ('status' in expected) checkRefusal(res.status, body, expected, c.name);
        else {
          expect('okOr400' in expected, `${c.name} failed: ${body.error?.message ?? ''}`).toBe(true);
          expect(res.status).toBe(400);
          expect(body.error?.node, `${c.name}: a refusal names the node`).toBeTruthy();
        }
      }
      await healthy();
    });
  }
});

describe('hostile pipelines and requests', () => {
  it(`has at least 30 pipeline cases (${PIPELINE_CASES.length})`, () => {
    expect(PIPELINE_CASES.length).toBeGreaterThanOrEqual(30);
  });

  async function send(c: PipelineCase): Promise<Response> {
    const url = `${server.url}${c.route}`;
    if (c.raw) return fetch(url, { method: 'POST', headers: { 'content-type': c.raw.type }, body: c.raw.body });
    const form = new FormData();
    for (const [name, value] of c.fields ?? []) {
      if (value === '@media') form.append(name, await openAsBlob(smallWav), 'media.wav');
      else form.append(name, value);
    }
    return fetch(url, { method: 'POST', body: form });
  }

  for (const c of PIPELINE_CASES) {
    it(c.name, async () => {
      const res = await send(c);
      const text = await res.text();
      let body: ErrorBody & { valid?: boolean } = {};
      try {
        body = JSON.parse(text) as typeof body;
      } catch {
        throw new Error(`${c.name}: not JSON (${res.status}): ${text.slice(0, 200)}`);
      }
      if (c.route === '/api/v1/validate' && res.status === 200) {
        expect(body.valid, c.name).toBe(false);
      } else {
        checkRefusal(res.status, body, c.expect, c.name);
      }
      await healthy();
    });
  }
});

describe('bounded jobs', () => {
  it('stops a job at its media-duration bound, naming the limit', async () => {
    const form = new FormData();
    form.append(
      'config',
      `mode: oneshot
nodes:
  bars: { kind: video::colorbars, params: { width: 160, height: 90, fps: 30, frame_count: 900 } }
  enc: { kind: video::encoder, params: { codec: vp8 }, needs: bars }
  mux: { kind: containers::muxer, params: { format: webm }, needs: { video: enc } }
  output: { kind: streamkit::http_output, needs: mux }
`,
    );
    form.append('max_duration', '2');
    const submitted = await fetch(`${server.url}/api/v1/jobs`, { method: 'POST', body: form });
    expect(submitted.status).toBe(202);
    const { id } = (await submitted.json()) as { id: string };
    const job = await waitFinal(server.url, id, 60_000);
    expect(job.state).toBe('failed');
    expect(job.error?.code).toBe('media_limit');
    expect(job.error?.message).toContain('2.0 s');
  });

  it('crashed no page and kept serving', async () => {
    await healthy();
    expect(server.pool.crashes, server.logs.join('\n')).toBe(0);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/weft_page_crashes_total 0/);
  });
});
