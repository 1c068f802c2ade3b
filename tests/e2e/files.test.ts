/**
 * End to end: core::file_reader and core::file_writer on a real server, with StreamKit's
 * `[security]` rules: read `samples/**`, write only where allowed. An upload mixed with a server
 * file (StreamKit's mixing.yml shape), a file copied byte for byte, and paths that try to leave
 * (outside the patterns, `..`, a symbolic link out) refused with the node and param named. And
 * `weft run` with the same flags.
 */
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, mkdtemp, readFile, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codecs, controlClient, probeBytes, submit, testServer, until, waitFinal, weft } from './support';

let server: Awaited<ReturnType<typeof testServer>>;
let root: string;
let upload: string;

/** A 2 s sine as Ogg Opus, made with ffmpeg. */
function tone(path: string, hz: number): void {
  execFileSync('ffmpeg', [
    '-v',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    `sine=frequency=${hz}:duration=2`,
    '-ac',
    '1',
    '-ar',
    '48000',
    '-c:a',
    'libopus',
    path,
  ]);
}

/** Mono 48 kHz float samples of a media file, decoded by ffmpeg. */
function decodePcm(bytes: Uint8Array): Float32Array {
  const out = execFileSync(
    'ffmpeg',
    ['-v', 'error', '-i', 'pipe:0', '-f', 'f32le', '-ac', '1', '-ar', '48000', 'pipe:1'],
    {
      input: bytes,
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  return new Float32Array(out.buffer, out.byteOffset, out.byteLength / 4);
}

/** Power of `pcm` at `hz` (Goertzel). */
function power(pcm: Float32Array, hz: number): number {
  const k = 2 * Math.cos((2 * Math.PI * hz) / 48000);
  let s1 = 0;
  let s2 = 0;
  for (const x of pcm) {
    const s0 = x + k * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return (s1 * s1 + s2 * s2 - k * s1 * s2) / pcm.length;
}

const MIX = `mode: oneshot
nodes:
  upload: { kind: streamkit::http_input }
  music: { kind: core::file_reader, params: { path: samples/audio/music.opus, chunk_size: 8192 } }
  upload_demux: { kind: containers::ogg::demuxer, needs: upload }
  upload_dec: { kind: audio::opus::decoder, needs: upload_demux }
  music_demux: { kind: containers::ogg::demuxer, needs: music }
  music_dec: { kind: audio::opus::decoder, needs: music_demux }
  music_gain: { kind: audio::gain, params: { gain: 0.1 }, needs: music_dec }
  mixer: { kind: audio::mixer, params: { num_inputs: 2 }, needs: [upload_dec, music_gain] }
  enc: { kind: audio::opus::encoder, needs: mixer }
  mux: { kind: containers::webm::muxer, needs: enc }
  out: { kind: streamkit::http_output, needs: mux }
`;

const copy = (from: string, to: string) => `mode: oneshot
nodes:
  read: { kind: core::file_reader, params: { path: "${from}" } }
  write: { kind: core::file_writer, params: { path: "${to}" }, needs: read }
`;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'weft-files-'));
  await mkdir(join(root, 'samples', 'audio'), { recursive: true });
  tone(join(root, 'samples', 'audio', 'music.opus'), 220);
  upload = join(root, 'speech.ogg');
  tone(upload, 660);
  await symlink('/etc/hostname', join(root, 'samples', 'escape.opus'));
  await mkdir(join(root, 'out'));
  await writeFile(join(root, 'samples', 'words.txt'), 'hello drop scripted world ');
  await symlink('/tmp', join(root, 'out', 'elsewhere'));
  server = await testServer({ files: { root, read: ['samples/**'], write: ['out/**'] } });
});
afterAll(async () => {
  await server?.close();
});

describe('server files', () => {
  it('mixes an upload with a server file (StreamKit’s mixing.yml shape)', async () => {
    const submitted = await submit(server.url, { text: MIX }, { media: new Blob([await readFile(upload)]) });
    expect(submitted.status, JSON.stringify(submitted.body)).toBe(202);
    const job = await waitFinal(server.url, submitted.body.id ?? '');
    expect(job.state, JSON.stringify(job)).toBe('succeeded');
    const response = await fetch(`${server.url}/api/v1/jobs/${job.id}/outputs/${job.outputs[0]?.name ?? ''}`);
    const bytes = new Uint8Array(await response.arrayBuffer());
    expect(codecs(await probeBytes(bytes, 'webm'))).toEqual(['opus']);
    // Both tones are in the mix: the upload's 660 Hz and the server file's 220 Hz (at a tenth).
    const pcm = decodePcm(bytes);
    expect(pcm.length / 48000).toBeGreaterThan(1.8);
    const voice = power(pcm, 660);
    const music = power(pcm, 220);
    const none = power(pcm, 1234);
    expect(music).toBeGreaterThan(none * 20);
    expect(voice).toBeGreaterThan(music * 10);
  });

  it('copies a file byte for byte into an allowed folder (created on demand)', async () => {
    const submitted = await submit(server.url, { text: copy('samples/audio/music.opus', 'out/copies/music.opus') });
    expect(submitted.status, JSON.stringify(submitted.body)).toBe(202);
    const job = await waitFinal(server.url, submitted.body.id ?? '');
    expect(job.state, JSON.stringify(job)).toBe('succeeded');
    expect(await readFile(join(root, 'out', 'copies', 'music.opus'))).toEqual(
      await readFile(join(root, 'samples', 'audio', 'music.opus')),
    );
  });

  it('refuses paths outside the patterns with 403, naming the node and the param', async () => {
    const cases: [string, RegExp, string][] = [
      [
        copy('/etc/passwd', 'out/x'),
        /path '\/etc\/passwd' is not allowed for reading: this server allows 'samples\/\*\*'/,
        'read',
      ],
      [copy('samples/../../../etc/passwd', 'out/x'), /may not contain '\.\.'/, 'read'],
      [
        copy('samples/audio/music.opus', 'samples/overwrite.opus'),
        /not allowed for writing: this server allows 'out\/\*\*'.*--allow-write/,
        'write',
      ],
      [copy('samples/audio/music.opus', 'out/../samples/x'), /may not contain '\.\.'/, 'write'],
    ];
    for (const [text, message, node] of cases) {
      const { status, body } = await submit(server.url, { text });
      expect(status, JSON.stringify(body)).toBe(403);
      expect(body.error).toMatchObject({ code: 'forbidden_path', node, param: 'path' });
      expect(body.error?.message).toMatch(message);
    }
    const validate = await fetch(`${server.url}/api/v1/validate`, {
      method: 'POST',
      body: copy('/etc/passwd', 'out/x'),
    });
    expect(await validate.json()).toMatchObject({ valid: false, issues: [{ code: 'forbidden_path', node: 'read' }] });
  });

  it('fails a job whose path leads out through a symbolic link, reading or writing', async () => {
    for (const [text, node] of [
      [copy('samples/escape.opus', 'out/x'), 'read'],
      [copy('samples/audio/music.opus', 'out/elsewhere/x'), 'write'],
    ] as const) {
      const submitted = await submit(server.url, { text });
      expect(submitted.status).toBe(202);
      const job = await waitFinal(server.url, submitted.body.id ?? '');
      expect(job.state).toBe('failed');
      expect(job.error?.message).toMatch(
        new RegExp(`${node}.*leads outside the allowed paths through a symbolic link`),
      );
    }
  });

  it('core::script runs in the server’s headless Chromium: a script changes text; a runaway one is stopped', async () => {
    const pipeline = (script: string) => `mode: oneshot
nodes:
  read: { kind: core::file_reader, params: { path: samples/words.txt } }
  words: { kind: core::text_chunker, params: { split_mode: words, chunk_words: 1, min_length: 1 }, needs: read }
  js: { kind: core::script, params: { timeout_ms: 200, script: ${JSON.stringify(script)} }, needs: words }
  json: { kind: core::json_serialize, params: { newline_delimited: true }, needs: js }
  out: { kind: streamkit::http_output, needs: json }
`;
    const upper = await submit(server.url, {
      text: pipeline(
        "function process(p) { return p.data === 'drop' ? null : { type: 'Text', data: p.data.toUpperCase() }; }",
      ),
    });
    expect(upper.status, JSON.stringify(upper.body)).toBe(202);
    const job = await waitFinal(server.url, upper.body.id ?? '');
    expect(job.state, JSON.stringify(job)).toBe('succeeded');
    const body = await (
      await fetch(`${server.url}/api/v1/jobs/${job.id}/outputs/${job.outputs[0]?.name ?? ''}`)
    ).text();
    expect(
      body
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { text: string }).text),
    ).toEqual(['HELLO', 'SCRIPTED', 'WORLD']);
    const runaway = await submit(server.url, { text: pipeline('function process(p) { for (;;) {} }') });
    const failed = await waitFinal(server.url, runaway.body.id ?? '');
    expect(failed.state).toBe('failed');
    expect(failed.error?.message).toMatch(/core::script#js.*ran past its timeout_ms \(200 ms\)/);
  });

  it('core::script fetch() reaches only allowlisted URLs, with secret headers filled in by the server', async () => {
    // A loopback service the script may call; it answers what it was asked and records the headers.
    const seen: { url: string; auth: string | undefined }[] = [];
    const api = createServer((req, res) => {
      seen.push({ url: req.url ?? '', auth: req.headers.authorization });
      res.end(`weather in ${new URL(req.url ?? '/', 'http://x').searchParams.get('city') ?? '?'}`);
    });
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
    const fetching = await testServer({
      files: { root, read: ['samples/**'] },
      allowPrivateUrls: true,
      scriptFetchAllow: [`${base}/weather*`],
      secrets: ['WEFT_TEST_API_KEY'],
      env: { ...process.env, WEFT_TEST_API_KEY: 'sk-test-123' },
    });
    try {
      const script = `async function process(p) {
        if (p.type !== 'Text') return p;
        try {
          const body = await fetch('${base}/weather?city=' + encodeURIComponent(p.data.trim()));
          const other = await fetch('${base}/admin').then(() => 'reached', (e) => String(e.message));
          return { type: 'Text', data: body + ' | ' + other };
        } catch (e) { return { type: 'Text', data: 'error: ' + e.message }; }
      }`;
      const text = `mode: oneshot
nodes:
  read: { kind: core::file_reader, params: { path: samples/words.txt } }
  words: { kind: core::text_chunker, params: { split_mode: words, chunk_words: 1, min_length: 1 }, needs: read }
  js:
    kind: core::script
    params:
      timeout_ms: 500
      headers: [{ secret: WEFT_TEST_API_KEY, header: Authorization, template: "Bearer {}" }]
      script: ${JSON.stringify(script)}
    needs: words
  json: { kind: core::json_serialize, params: { newline_delimited: true }, needs: js }
  out: { kind: streamkit::http_output, needs: json }
`;
      const submitted = await submit(fetching.url, { text });
      expect(submitted.status, JSON.stringify(submitted.body)).toBe(202);
      const job = await waitFinal(fetching.url, submitted.body.id ?? '');
      expect(job.state, JSON.stringify(job)).toBe('succeeded');
      const body = await (await fetch(`${fetching.url}/api/v1/jobs/${job.id}/outputs/output`)).text();
      const lines = body
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { text: string }).text);
      expect(lines[0]).toBe('weather in hello | Blocked: URL not in global allowlist: ' + base + '/admin');
      expect(lines).toHaveLength(4);
      // The secret reached the service, from the server, and nothing else saw it.
      expect(seen.filter((r) => r.url.startsWith('/weather'))).toHaveLength(4);
      expect(seen.every((r) => r.auth === 'Bearer sk-test-123')).toBe(true);
      expect(seen.some((r) => r.url.startsWith('/admin'))).toBe(false);
      expect(body + JSON.stringify(job) + fetching.logs.join('\n')).not.toContain('sk-test-123');
      // A secret the server does not share is refused before the job runs.
      const unshared = await submit(fetching.url, { text: text.replace('secret: WEFT_TEST_API_KEY', 'secret: HOME') });
      expect(unshared.status).toBe(403);
      expect(JSON.stringify(unshared.body)).toMatch(/"node":"js".*"param":"headers".*secret 'HOME' is not one/);
    } finally {
      await fetching.close();
      api.close();
    }
  }, 90_000);

  it('a live session reads and writes server files under the same rules', async () => {
    const live = copy('samples/audio/music.opus', 'out/live/music.opus').replace('mode: oneshot', 'mode: dynamic');
    const create = (yaml: string) =>
      fetch(`${server.url}/api/v1/sessions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ yaml }),
      });
    const created = await create(live);
    expect(created.status).toBe(200);
    const id = ((await created.json()) as { session_id: string }).session_id;
    const target = join(root, 'out', 'live', 'music.opus');
    const source = await readFile(join(root, 'samples', 'audio', 'music.opus'));
    await until(
      async () => (await readFile(target).catch(() => new Uint8Array())).byteLength === source.byteLength,
      30_000,
      'the session to write its file',
    );
    expect(await readFile(target)).toEqual(source);
    // Refused at creation, naming the node and the param, as jobs are.
    const refused = await create(copy('/etc/passwd', 'out/x').replace('mode: oneshot', 'mode: dynamic'));
    expect(refused.status).toBe(403);
    expect(JSON.stringify(await refused.json())).toMatch(/read.*path.*'\/etc\/passwd' is not allowed for reading/);
    // And when a node is added to a running session.
    const client = await controlClient(server.url);
    try {
      const answer = await client.request({
        action: 'addnode',
        session_id: id,
        node_id: 'sneak',
        kind: 'core::file_writer',
        params: { path: 'samples/overwrite.opus' },
      });
      expect(answer.action).toBe('error');
      expect(String(answer.message)).toMatch(/sneak.*not allowed for writing/);
    } finally {
      client.close();
    }
    expect((await fetch(`${server.url}/api/v1/sessions/${id}`, { method: 'DELETE' })).status).toBe(200);
  }, 60_000);

  it('weft run reads and writes with --allow-read / --allow-write under --files-root', async () => {
    const pipeline = join(root, 'copy.yaml');
    await writeFile(pipeline, copy('media/in.opus', 'cli/out.opus'));
    await mkdir(join(root, 'media'));
    tone(join(root, 'media', 'in.opus'), 440);
    const refused = await weft(['run', pipeline, '--files-root', root, '-q']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/path 'media\/in\.opus' is not allowed for reading.*--allow-read/);
    const ran = await weft([
      'run',
      pipeline,
      '--files-root',
      root,
      '--allow-read',
      'media/*.opus',
      '--allow-write',
      'cli/**',
      '-q',
    ]);
    expect(ran.code, ran.stderr).toBe(0);
    expect(await readFile(join(root, 'cli', 'out.opus'))).toEqual(await readFile(join(root, 'media', 'in.opus')));
  });
});
