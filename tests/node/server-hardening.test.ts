/**
 * The job server under attack: ids and names that try to leave the data directory (through every
 * route, encoded and double-encoded, and through records forged on disk), outputs that would run
 * as pages in the API's origin, DNS rebinding and cross-site posts, webhooks to loopback names,
 * unbounded bodies, dynamic pipelines as jobs, and jobs that crash their page.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, mkdtemp, readFile, symlink, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { JobError } from '../../src/headless/driver';
import { addedNodes, relayTargetProblem } from '../../server/relay-targets';
import type { Harness } from '../support/server-harness';
import { eventually, JOB_PIPELINE, jobForm, startHarness } from '../support/server-harness';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

type Body = { id?: string; state?: string; error?: { code: string; message: string; node?: string } };

async function submit(h: Harness, form: FormData, headers: Record<string, string> = {}) {
  const res = await h.app.request('/api/v1/jobs', { method: 'POST', body: form, headers });
  return { status: res.status, body: (await res.json()) as Body };
}

async function finished(h: Harness, id: string) {
  await eventually(() => ['succeeded', 'failed', 'canceled'].includes(h.store.get(id)?.state ?? ''));
  return h.store.get(id);
}

/** A record as the server writes them, for forging. */
function record(id: string, extra: object = {}) {
  return {
    id,
    state: 'succeeded',
    created_at: '2020-01-01T00:00:00.000Z',
    started_at: null,
    finished_at: '2020-01-01T00:00:00.000Z',
    pipeline: 'steps: []',
    inputs: [],
    outputs: [{ name: 'output', bytes: 4, content_type: 'text/plain' }],
    progress: null,
    error: null,
    attempts: 1,
    webhook: null,
    ...extra,
  };
}

describe('path traversal through ids and names', () => {
  it('never resolves an id or output name outside the job directories, on any route, however encoded', async () => {
    harness = await startHarness();
    await writeFile(join(harness.dataDir, 'webhook-secret'), 'THE-SECRET\n');
    // An input named job.json holding a forged record that names the secret as an output.
    const forged = JSON.stringify(
      record('x', { outputs: [{ name: '../../webhook-secret', bytes: 11, content_type: 'text/plain' }] }),
    );
    const { body } = await submit(harness, jobForm(JOB_PIPELINE, { media: forged }));
    const id = body.id ?? '';
    await finished(harness, id);
    const attempts = [
      `${id}%2Fin`,
      `${id}%252Fin`,
      '..%2F..%2Fwebhook-secret',
      '%2e%2e%2f%2e%2e%2fwebhook-secret',
      '%252e%252e%252fwebhook-secret',
      '..',
      '.',
      `${id}%2F..%2F..`,
      `${id.toUpperCase()}`,
      `${id}%00`,
    ];
    const names = [
      '..%2F..%2F..%2Fwebhook-secret',
      '%2e%2e%2fjob.json',
      '..',
      '%252e%252e%252fjob.json',
      'output%2F..',
    ];
    for (const attempt of attempts) {
      for (const [method, path] of [
        ['GET', `/api/v1/jobs/${attempt}`],
        ['DELETE', `/api/v1/jobs/${attempt}`],
        ['GET', `/api/v1/jobs/${attempt}/events`],
        ['GET', `/api/v1/jobs/${attempt}/outputs/output`],
        ['GET', `/api/v1/jobs/${attempt}/outputs/..%2F..%2F..%2Fwebhook-secret`],
      ] as const) {
        const res = await harness.app.request(path, { method });
        const text = await res.text();
        expect(res.status, `${method} ${path}`).toBe(404);
        expect(text).not.toContain('THE-SECRET');
      }
    }
    for (const name of names) {
      const res = await harness.app.request(`/api/v1/jobs/${id}/outputs/${name}`);
      expect(res.status, name).toBe(404);
      expect(await res.text()).not.toContain('THE-SECRET');
    }
    expect(existsSync(join(harness.dataDir, 'job.json'))).toBe(false);
  });

  it('skips records on disk that name another job, unsafe names or live behind a link', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'weft-forged-'));
    const jobs = join(dataDir, 'jobs');
    const outside = await mkdtemp(join(tmpdir(), 'weft-outside-'));
    await writeFile(join(outside, 'precious'), 'keep me');
    const forge = async (dir: string, content: object) => {
      await mkdir(join(jobs, dir), { recursive: true });
      await writeFile(join(jobs, dir, 'job.json'), JSON.stringify(content));
    };
    const other = randomUUID();
    const mismatched = randomUUID();
    await forge(mismatched, record(other)); // names another job
    const unsafe = randomUUID();
    await forge(unsafe, record(unsafe, { outputs: [{ name: '../../token', bytes: 1, content_type: 'text/plain' }] }));
    await forge('not-a-uuid', record('not-a-uuid'));
    const linked = randomUUID();
    await writeFile(join(outside, 'job.json'), JSON.stringify(record(linked)));
    await mkdir(jobs, { recursive: true });
    await symlink(outside, join(jobs, linked));
    harness = await startHarness({ dataDir });
    for (const id of [other, mismatched, unsafe, linked]) {
      expect((await harness.app.request(`/api/v1/jobs/${id}`)).status).toBe(404);
      expect((await harness.app.request(`/api/v1/jobs/${id}`, { method: 'DELETE' })).status).toBe(404);
    }
    expect((await harness.app.request('/api/v1/jobs/not-a-uuid')).status).toBe(404);
    const list = (await (await harness.app.request('/api/v1/jobs')).json()) as { jobs: unknown[] };
    expect(list.jobs).toHaveLength(0);
    // The retention sweep only ever removes loaded (valid) jobs: nothing outside is touched.
    await harness.service.sweep(Date.now() + 1e12);
    expect(await readFile(join(outside, 'precious'), 'utf8')).toBe('keep me');
    expect(existsSync(join(jobs, linked))).toBe(true);
  });

  it('refuses upload field names that are not safe file names', async () => {
    harness = await startHarness();
    for (const name of ['../x', '.hidden', '..', 'a/b', 'x'.repeat(65)]) {
      const { status, body } = await submit(harness, jobForm(JOB_PIPELINE, { [name]: 'x' }));
      expect(status, name).toBe(400);
      expect(body.error?.message).toContain('not allowed');
    }
  });
});

describe('outputs served from the API origin', () => {
  it('serves HTML, SVG, XML and script outputs as sandboxed downloads, media inline', async () => {
    harness = await startHarness();
    const cases: [string, 'attachment' | 'inline'][] = [
      ['text/html', 'attachment'],
      ['image/svg+xml', 'attachment'],
      ['application/xhtml+xml', 'attachment'],
      ['text/xml', 'attachment'],
      ['text/javascript', 'attachment'],
      ['video/webm', 'inline'],
      ['audio/ogg', 'inline'],
      ['image/png', 'inline'],
    ];
    for (const [type, disposition] of cases) {
      harness.runner.script = () => Promise.resolve({ output: [type, '<script>fetch("/api/v1/jobs")</script>'] });
      const { body } = await submit(harness, jobForm());
      await finished(harness, body.id ?? '');
      const res = await harness.app.request(`/api/v1/jobs/${body.id ?? ''}/outputs/output`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-disposition'), type).toMatch(new RegExp(`^${disposition}`));
      expect(res.headers.get('content-security-policy')).toContain('sandbox');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('cross-origin-resource-policy')).toBe('same-origin');
    }
  });

  it('refuses an http_output content type that is not a media type', async () => {
    harness = await startHarness();
    const bad = JOB_PIPELINE.replace(
      'output: { kind: streamkit::http_output, needs: mux }',
      'output: { kind: streamkit::http_output, params: { content_type: "text/html\\r\\nSet-Cookie: a=b" }, needs: mux }',
    );
    const { status, body } = await submit(harness, jobForm(bad));
    expect(status).toBe(400);
    expect(body.error).toMatchObject({ code: 'invalid_pipeline', node: 'output' });
  });
});

describe('host and origin checks', () => {
  it('refuses other host names (DNS rebinding) and cross-site state changes', async () => {
    harness = await startHarness({ allowedHosts: ['localhost', '127.0.0.1', '::1'] });
    const at = (host: string, init: RequestInit = {}) =>
      harness?.app.request('/api/v1/jobs', { ...init, headers: { host, ...(init.headers as object) } });
    expect((await at('127.0.0.1:4545'))?.status).toBe(200);
    expect((await at('localhost'))?.status).toBe(200);
    expect((await at('[::1]:4545'))?.status).toBe(200);
    const rebound = await at('attacker.example:4545');
    expect(rebound?.status).toBe(403);
    expect(((await rebound?.json()) as Body).error?.code).toBe('bad_host');
    const post = (origin?: string) =>
      at('127.0.0.1:4545', {
        method: 'POST',
        body: jobForm(),
        headers: origin ? { origin } : {},
      });
    const cross = await post('https://attacker.example');
    expect(cross?.status).toBe(403);
    expect(((await cross?.json()) as Body).error?.code).toBe('bad_origin');
    expect((await post('null'))?.status).toBe(403);
    expect((await post('http://127.0.0.1:4545'))?.status).toBe(202);
    expect((await post())?.status).toBe(202); // no browser, no Origin: curl, the CLI
  });

  it('answers a malformed Authorization header with 401, like a missing or wrong one', async () => {
    harness = await startHarness({ token: 'a-very-long-test-token-0123456789abcdef' });
    for (const header of [undefined, 'Bearer', 'Basic abc', 'Bearer a b', 'bearer wrong-token']) {
      const res = await harness.app.request('/api/v1/jobs', { headers: header ? { authorization: header } : {} });
      expect(res.status, String(header)).toBe(401);
      expect(res.headers.get('www-authenticate')).toContain('Bearer');
    }
    const ok = await harness.app.request('/api/v1/jobs', {
      headers: { authorization: 'Bearer a-very-long-test-token-0123456789abcdef' },
    });
    expect(ok.status).toBe(200);
  });
});

describe('webhooks', () => {
  it('never delivers to loopback names, checked when connecting', async () => {
    let hits = 0;
    const receiver = createServer((_req, res) => {
      hits++;
      res.end('ok');
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const port = (receiver.address() as AddressInfo).port;
    try {
      harness = await startHarness();
      for (const url of [`http://localhost:${port}/hook`, `http://LOCALHOST.:${port}/hook`]) {
        const { status } = await submit(harness, jobForm(JOB_PIPELINE, undefined, [['webhook', url]]));
        expect(status).toBe(202);
      }
      // Literal private addresses are refused at submit time.
      const literal = await submit(harness, jobForm(JOB_PIPELINE, undefined, [['webhook', `http://[::1]:${port}/`]]));
      expect(literal.status).toBe(400);
      await eventually(() => (harness?.service.metrics.webhookFailures ?? 0) >= 2, 10_000);
      expect(hits).toBe(0);
    } finally {
      receiver.close();
    }
  });
});

describe('bounded bodies and jobs', () => {
  const chunked = (bytes: number) =>
    new ReadableStream<Uint8Array>({
      start(controller) {
        const chunk = new TextEncoder().encode(`# ${'x'.repeat(65_533)}\n`);
        for (let sent = 0; sent < bytes; sent += chunk.byteLength) controller.enqueue(chunk);
        controller.close();
      },
    });

  it('refuses chunked bodies over the limit, counted as they arrive', async () => {
    harness = await startHarness({ maxUploadBytes: 1024 * 1024 });
    const validate = await harness.app.request('/api/v1/validate', {
      method: 'POST',
      body: chunked(3 * 1024 * 1024),
      duplex: 'half',
    } as RequestInit);
    expect(validate.status).toBe(413);
    expect(validate.headers.get('connection')).toBe('close');
    const form = jobForm(JOB_PIPELINE, { media: 'x'.repeat(2 * 1024 * 1024) });
    const upload = new Request('http://localhost/api/v1/jobs', { method: 'POST', body: form });
    const res = await harness.app.request('/api/v1/jobs', {
      method: 'POST',
      headers: { 'content-type': upload.headers.get('content-type') ?? '' },
      body: upload.body,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
  });

  it('refuses a pipeline over the document limit on every route, as /validate does', async () => {
    harness = await startHarness();
    const huge = `${JOB_PIPELINE}# ${'x'.repeat(1024 * 1024)}\n`;
    expect((await submit(harness, jobForm(huge))).status).toBe(413);
    const process = await harness.app.request('/api/v1/process', { method: 'POST', body: jobForm(huge) });
    expect(process.status).toBe(413);
    const json = await harness.app.request('/api/v1/jobs', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ config: huge }),
    });
    expect(json.status).toBe(413);
  });

  it('refuses dynamic pipelines as jobs: they run until stopped, as sessions', async () => {
    harness = await startHarness();
    const dynamic = 'nodes:\n  tone: { kind: audio::sine }\n  sink: { kind: core::sink, needs: tone }\n';
    const { status, body } = await submit(harness, jobForm(dynamic, {}));
    expect(status).toBe(400);
    expect(body.error?.message).toContain('dynamic');
    expect(body.error?.message).toContain('session');
  });

  it('refuses a file_reader path outside the allowed ones, with the node, the param and what to do', async () => {
    harness = await startHarness();
    const text =
      'mode: oneshot\nnodes:\n  read: { kind: core::file_reader, params: { path: /etc/passwd } }\n  output: { kind: streamkit::http_output, needs: read }\n';
    const res = await harness.app.request('/api/v1/validate', { method: 'POST', body: text });
    const check = (await res.json()) as { valid: boolean; issues: { code: string; node?: string; message: string }[] };
    expect(check.valid).toBe(false);
    expect(check.issues[0]).toMatchObject({ code: 'forbidden_path', node: 'read', param: 'path' });
    expect(check.issues[0]?.message).toMatch(/this server allows 'samples\/\*\*'.*--allow-read/);
  });
});

describe('relays the server’s MoQ nodes may reach', () => {
  const node = (url: string, kind = 'transport::moq::subscriber') => ({
    id: 'sub',
    kind,
    params: { url, broadcast: 'x' },
  });
  const own = { allowPrivate: false, ownOrigin: 'http://127.0.0.1:4545' };

  it('allows the server’s own relay (by any loopback name) and refuses private, loopback and odd targets', async () => {
    expect(await relayTargetProblem([node('http://127.0.0.1:4545/moq')], own)).toBeUndefined();
    expect(await relayTargetProblem([node('http://localhost:4545/moq/room')], own)).toBeUndefined();
    expect(
      await relayTargetProblem([{ id: 'sub', kind: 'transport::moq::subscriber', params: {} }], own),
    ).toBeUndefined();
    for (const url of [
      'http://10.0.0.7/moq',
      'http://127.0.0.1:6379/moq',
      'http://[::1]:80/moq',
      'http://169.254.169.254/',
    ]) {
      expect(await relayTargetProblem([node(url)], own)).toMatch(
        /node 'sub' \(transport::moq::subscriber\) param url.*private/,
      );
    }
    // A name is resolved first: localhost on another port is not this server.
    expect(await relayTargetProblem([node('http://localhost:9/moq', 'transport::moq::publisher')], own)).toMatch(
      /resolves to (127\.0\.0\.1|::1), a private address/,
    );
    expect(await relayTargetProblem([node('file:///etc/passwd')], own)).toMatch(/must be http or https/);
    expect(await relayTargetProblem([node('http://10.0.0.7/moq')], { ...own, allowPrivate: true })).toBeUndefined();
  });

  it('finds the nodes a control request adds, alone or in a batch', () => {
    expect(addedNodes({ action: 'addnode', node_id: 'a', kind: 'k', params: { url: 'u' } })).toEqual([
      { id: 'a', kind: 'k', params: { url: 'u' } },
    ]);
    expect(
      addedNodes({
        action: 'applybatch',
        operations: [
          { action: 'removenode', node_id: 'b' },
          { action: 'addnode', node_id: 'c', kind: 'k2' },
        ],
      }),
    ).toEqual([{ id: 'c', kind: 'k2', params: undefined }]);
    expect(addedNodes({ action: 'tunenode', node_id: 'a', message: 'Start' })).toEqual([]);
  });

  it('refuses a job whose MoQ node points at a private address, naming the node and the param', async () => {
    harness = await startHarness();
    const text =
      'mode: oneshot\nnodes:\n  sub: { kind: transport::moq::subscriber, params: { url: "http://192.168.1.20/moq", broadcast: cam } }\n  dec: { kind: video::decoder, needs: { in: sub.video/data } }\n  enc: { kind: video::vp9::encoder, needs: dec }\n  mux: { kind: containers::webm::muxer, needs: enc }\n  out: { kind: streamkit::http_output, needs: mux }\n';
    const { status, body } = await submit(harness, jobForm(text, {}));
    expect(status, JSON.stringify(body)).toBe(400);
    expect(body.error?.code).toBe('forbidden_url');
    expect(body.error?.message).toMatch(/node 'sub' \(transport::moq::subscriber\) param url 192\.168\.1\.20/);
  });
});

describe('a job that crashes its page', () => {
  it('fails with a clear error after the second crash instead of being retried again', async () => {
    harness = await startHarness();
    harness.runner.script = () =>
      Promise.reject(
        new JobError(
          { code: 'worker_crashed', message: 'the headless page crashed; nodes running: decode (audio::decoder)' },
          true,
          true,
        ),
      );
    const { body } = await submit(harness, jobForm());
    const job = await finished(harness, body.id ?? '');
    expect(harness.runner.runs).toBe(2);
    expect(job?.state).toBe('failed');
    expect(job?.crashes).toBe(2);
    expect(job?.error?.code).toBe('worker_crashed');
    expect(job?.error?.message).toContain('not retried');
    expect(job?.error?.message).toContain('decode (audio::decoder)');
  });
});
