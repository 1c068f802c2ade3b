/**
 * End to end: a real server with real headless Chromium workers. Runs samples through `weft run`,
 * the job API (+ SSE + download) and `/process`, checks outputs with ffprobe, and checks that bad
 * input gets the right status and a message naming what is wrong.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { H264_AAC } from '../browser/inputs';
import type { JobView } from './support';
import { codecs, ensureMedia, follow, probe, probeBytes, submit, testServer, waitFinal, weft } from './support';

const WEBM = 'samples/oneshot/transcode-webm-vp9-opus.yaml';
const MP4 = 'samples/oneshot/transcode-mp4-h264-aac.yaml';
const OGG = 'samples/oneshot/audio-to-ogg-opus.yaml';

let server: Awaited<ReturnType<typeof testServer>>;
let input: string;
let corrupt: Blob;
let out: string;

beforeAll(async () => {
  input = await ensureMedia(...H264_AAC);
  corrupt = new Blob([new Uint8Array(4096).map((_, i) => (i * 7919) % 251)]);
  out = await mkdtemp(join(tmpdir(), 'weft-e2e-'));
  server = await testServer({ maxUploadBytes: 2 * 1024 * 1024 });
});
afterAll(async () => {
  await server?.close();
});

describe('weft run', () => {
  it('transcodes a file to WebM VP9/Opus through headless Chromium', async () => {
    const dest = join(out, 'cli.webm');
    const result = await weft(['run', WEBM, '-i', input, '-o', dest]);
    expect(result.stderr).toContain('done in');
    expect(result.code).toBe(0);
    const p = await probe(dest);
    expect(codecs(p)).toEqual(['opus', 'vp9']);
    expect(p.streams.find((s) => s.codec_type === 'video')?.width).toBe(640);
    expect(Number(p.format.duration)).toBeCloseTo(2, 0);
  });

  it('exits non-zero naming the node when the input is not media', async () => {
    const bad = join(out, 'noise.mp4');
    const { writeFile } = await import('node:fs/promises');
    await writeFile(bad, new Uint8Array(await corrupt.arrayBuffer()));
    const result = await weft(['run', WEBM, '-i', bad, '-o', join(out, 'x.webm')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('[containers::demuxer#demux:in]');
  });

  it('validates and lists nodes', async () => {
    const ok = await weft(['validate', MP4]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('valid');
    const nodes = await weft(['nodes']);
    expect(nodes.stdout).toContain('video::encoder');
  });
});

describe('job API', () => {
  it('runs a job: 202, SSE state and progress to succeeded, output downloads and probes', async () => {
    const submitted = await submit(server.url, MP4, { media: input });
    expect(submitted.status).toBe(202);
    const id = submitted.body.id ?? '';
    const { states } = await follow(server.url, id);
    const last = states.at(-1) as JobView;
    expect(last.state).toBe('succeeded');
    expect(states.map((s) => s.state)).toContain('succeeded');
    const output = last.outputs[0];
    expect(output?.content_type).toContain('video/mp4');
    const response = await fetch(`${server.url}/api/v1/jobs/${id}/outputs/${output?.name ?? ''}`);
    expect(response.status).toBe(200);
    const p = await probeBytes(new Uint8Array(await response.arrayBuffer()), 'mp4');
    expect(codecs(p)).toEqual(['aac', 'h264']);
    const listed = (await (await fetch(`${server.url}/api/v1/jobs`)).json()) as { jobs: JobView[] };
    expect(listed.jobs.map((j) => j.id)).toContain(id);
  });

  it('carries telemetry_tap events on the job’s event stream as nodetelemetry', async () => {
    const submitted = await submit(server.url, {
      text: `mode: oneshot
nodes:
  tone: { kind: audio::sine, params: { duration_ms: 2000, amplitude: 0.25 } }
  pace: { kind: audio::pacer, needs: tone }
  tap: { kind: core::telemetry_tap, params: { packet_types: [Audio], audio_sample_interval_ms: 500 }, needs: pace }
  enc: { kind: audio::opus::encoder, needs: tap }
  mux: { kind: containers::webm::muxer, needs: enc }
  out: { kind: streamkit::http_output, needs: mux }
`,
    });
    expect(submitted.status, JSON.stringify(submitted.body)).toBe(202);
    const { states, telemetry } = await follow(server.url, submitted.body.id ?? '');
    expect(states.at(-1)?.state).toBe('succeeded');
    const levels = telemetry.filter((t) => t.type_id === 'audio.level');
    // Two seconds, paced, in half-second windows: the event stream is open well before the last ones.
    expect(levels.length).toBeGreaterThanOrEqual(2);
    expect(levels[0]).toMatchObject({ job_id: submitted.body.id, node_id: 'tap' });
    expect((levels[0]?.data as { peak: number }).peak).toBeCloseTo(0.25, 2);
  });

  it('POST /api/v1/process streams the output back (StreamKit’s oneshot)', async () => {
    const { openAsBlob, readFileSync } = await import('node:fs');
    const form = new FormData();
    form.append('config', readFileSync(OGG, 'utf8'));
    form.append('media', await openAsBlob(input), 'in.mp4');
    const response = await fetch(`${server.url}/api/v1/process`, { method: 'POST', body: form });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('ogg');
    const p = await probeBytes(new Uint8Array(await response.arrayBuffer()), 'ogg');
    expect(codecs(p)).toEqual(['opus']);
  });

  it('/process answers while a live-muxed pipeline still runs, chunked, as StreamKit does', async () => {
    const form = new FormData();
    form.append(
      'config',
      `mode: oneshot
nodes:
  tone: { kind: audio::sine, params: { frequency: 440, duration_ms: 3000 } }
  pace: { kind: audio::pacer, params: { generate_silence: false }, needs: tone }
  enc: { kind: audio::opus::encoder, needs: pace }
  mux: { kind: containers::webm::muxer, needs: enc }
  out: { kind: streamkit::http_output, needs: mux }
`,
    );
    const started = Date.now();
    const response = await fetch(`${server.url}/api/v1/process`, { method: 'POST', body: form });
    const answered = Date.now() - started;
    expect(response.status).toBe(200);
    expect(response.headers.get('content-length')).toBeNull(); // the size is not known yet
    const reader = response.body?.getReader();
    if (!reader) throw new Error('no body');
    const parts: Uint8Array[] = [];
    let firstAt: number | undefined;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      firstAt ??= Date.now() - started;
      parts.push(value);
    }
    const endedAt = Date.now() - started;
    // Paced to real time, the run takes 3 s; the answer and the first bytes come long before its end.
    expect(endedAt).toBeGreaterThan(2_500);
    expect(answered).toBeLessThan(endedAt - 1_000);
    expect(firstAt ?? endedAt).toBeLessThan(endedAt - 1_000);
    const p = await probeBytes(Buffer.concat(parts), 'webm');
    expect(codecs(p)).toEqual(['opus']);
  });

  it('speaks text with tts::espeak and finds the speech with plugin::native::vad, as server jobs', async () => {
    const { readFileSync } = await import('node:fs');
    const spoken = new FormData();
    spoken.append('config', readFileSync('samples/oneshot/tts-espeak.yaml', 'utf8'));
    spoken.append('media', new Blob(['Hello from the server. A second sentence follows.']), 'story.txt');
    const speech = await fetch(`${server.url}/api/v1/process`, { method: 'POST', body: spoken });
    expect(speech.status, await speech.clone().text()).toBe(200);
    const ogg = new Uint8Array(await speech.arrayBuffer());
    const p = await probeBytes(ogg, 'ogg');
    expect(codecs(p)).toEqual(['opus']);
    // StreamKit's vad-demo shape: Ogg → Opus → 16 kHz → VAD events as JSON lines.
    const vad = new FormData();
    vad.append(
      'config',
      `mode: oneshot
steps:
  - kind: streamkit::http_input
  - kind: containers::ogg::demuxer
  - kind: audio::opus::decoder
  - kind: audio::resampler
    params: { chunk_frames: 960, output_frame_size: 960, target_sample_rate: 16000 }
  - kind: plugin::native::vad
    params: { model_path: models/ten-vad.onnx, output_mode: events }
  - kind: core::json_serialize
    params: { newline_delimited: true }
  - kind: streamkit::http_output
    params: { content_type: application/json }
`,
    );
    vad.append('media', new Blob([ogg]), 'speech.ogg');
    const events = await fetch(`${server.url}/api/v1/process`, { method: 'POST', body: vad });
    expect(events.status, await events.clone().text()).toBe(200);
    const lines = (await events.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type_id: string; data: { event_type: string; timestamp_ms: number } });
    expect(lines[0]).toMatchObject({
      type_id: 'plugin::native::vad/vad-event@1',
      data: { event_type: 'speech_start' },
    });
    expect(lines[0]?.data.timestamp_ms).toBeLessThan(300); // eSpeak starts talking at once
    expect(lines.at(-1)?.data.event_type).toBe('speech_end');
  }, 120_000);

  it("/process wants 'config' first", async () => {
    const form = new FormData();
    form.append('media', corrupt, 'x');
    form.append('config', 'mode: oneshot');
    const response = await fetch(`${server.url}/api/v1/process`, { method: 'POST', body: form });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { message: string } }).error.message).toContain("'config' first");
  });

  it('refuses invalid YAML, unknown nodes and bad params with 400 naming the place', async () => {
    const yaml = await submit(server.url, { text: 'mode: oneshot\nnodes:\n  a: [unclosed\n' });
    expect(yaml.status).toBe(400);
    expect(yaml.body.error?.code).toBe('invalid_pipeline');
    expect(yaml.body.error?.message).toMatch(/\d+:\d+/);

    const unknown = await submit(server.url, {
      text: 'mode: oneshot\nnodes:\n  src: { kind: video::colourbars }\n  out: { kind: streamkit::http_output, needs: src }\n',
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error?.node).toBe('src');
    expect(unknown.body.error?.message).toContain('video::colorbars');

    const param = await submit(server.url, {
      text: 'mode: oneshot\nnodes:\n  bars: { kind: video::colorbars, params: { width: -5 } }\n  enc: { kind: video::encoder, needs: bars }\n  mux: { kind: containers::muxer, needs: { video: enc } }\n  out: { kind: streamkit::http_output, needs: mux }\n',
    });
    expect(param.status).toBe(400);
    expect(param.body.error?.node).toBe('bars');
    expect(param.body.error?.param).toBe('width');
  });

  it('fails a job on corrupt media with the node at fault, and keeps serving', async () => {
    const submitted = await submit(server.url, WEBM, { media: corrupt });
    expect(submitted.status).toBe(202);
    const job = await waitFinal(server.url, submitted.body.id ?? '');
    expect(job.state).toBe('failed');
    expect(job.error?.node).toBe('demux');
    expect(job.error?.message).toContain('not a media file');
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });

  it('refuses an oversized upload with 413 and a missing input with 400', async () => {
    const big = new Blob([new Uint8Array(3 * 1024 * 1024)]);
    const tooBig = await submit(server.url, WEBM, { media: big });
    expect(tooBig.status).toBe(413);
    expect(tooBig.body.error?.message).toContain('limited to');
    const missing = await submit(server.url, WEBM, {});
    expect(missing.status).toBe(400);
    expect(missing.body.error?.message).toContain("'media'");
  });

  it('refuses URL inputs that reach loopback or private addresses', async () => {
    for (const url of [
      'http://127.0.0.1:9/x.mp4',
      'http://10.0.0.1/x.mp4',
      'http://[::1]/x.mp4',
      'file:///etc/passwd',
    ]) {
      const response = await submit(server.url, WEBM, { media: url });
      expect(response.status, url).toBe(400);
      expect(response.body.error?.code).toBe('bad_url');
    }
    const json = await fetch(`${server.url}/api/v1/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ config: 'mode: oneshot', inputs: { media: 'http://localhost:1/x' } }),
    });
    expect(json.status).toBe(400);
  });

  it('serves metrics and an OpenAPI document', async () => {
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/weft_jobs\{state="succeeded"\} [1-9]/);
    expect(metrics).toContain('weft_queue_depth');
    const doc = (await (await fetch(`${server.url}/api/v1/openapi.json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toContain('/api/v1/jobs/{id}/events');
  });
});

describe('security', () => {
  it('a non-loopback bind requires a token, created once with mode 0600 and not logged again', async () => {
    const { stat } = await import('node:fs/promises');
    const open = await testServer({ host: '0.0.0.0' });
    try {
      const created = open.logs.join('\n');
      expect(open.token).toBeDefined();
      expect(created).toContain(open.token ?? '-');
      const mode = (await stat(join(open.dataDir, 'token'))).mode & 0o777;
      expect(mode).toBe(0o600);
      const base = open.url.replace('0.0.0.0', '127.0.0.1');
      expect((await fetch(`${base}/api/v1/jobs`)).status).toBe(401);
      expect((await fetch(`${base}/api/v1/jobs`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
      expect((await fetch(`${base}/api/v1/jobs`, { headers: { authorization: `Bearer ${open.token}` } })).status).toBe(
        200,
      );
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
    } finally {
      await open.close();
    }
    const again = await testServer({ host: '0.0.0.0', dataDir: open.dataDir });
    try {
      expect(again.token).toBe(open.token);
      expect(again.logs.join('\n')).not.toContain(open.token ?? '-');
    } finally {
      await again.close();
    }
  });
});

describe('clients and hooks', () => {
  it('weft submit sends a job to a server, follows it and downloads the output', async () => {
    const dest = join(out, 'submitted.ogg');
    const result = await weft(['submit', OGG, '-i', input, '-o', dest, '--server', server.url]);
    expect(result.stderr).toContain('succeeded');
    expect(result.code).toBe(0);
    expect(codecs(await probe(dest))).toEqual(['opus']);
  });

  it('calls the job’s webhook when it finishes, signed with HMAC-SHA256', async () => {
    const { createServer } = await import('node:http');
    const { createHmac } = await import('node:crypto');
    const { readFile } = await import('node:fs/promises');
    const received: { body: string; signature: string | undefined }[] = [];
    const hook = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push({ body, signature: req.headers['x-weft-signature'] as string | undefined });
        res.end('ok');
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    const port = (hook.address() as { port: number }).port;
    const hooked = await testServer({ allowPrivateUrls: true });
    try {
      const submitted = await submit(hooked.url, OGG, { media: input }, [['webhook', `http://127.0.0.1:${port}/done`]]);
      expect(submitted.status).toBe(202);
      await waitFinal(hooked.url, submitted.body.id ?? '');
      const { until } = await import('./support');
      await until(() => received.length > 0, 10_000, 'the webhook');
      const secret = (await readFile(join(hooked.dataDir, 'webhook-secret'), 'utf8')).trim();
      const first = received[0];
      const expected = createHmac('sha256', secret)
        .update(first?.body ?? '')
        .digest('hex');
      expect(first?.signature).toBe(`sha256=${expected}`);
      expect((JSON.parse(first?.body ?? '{}') as { job: { state: string } }).job.state).toBe('succeeded');
    } finally {
      await hooked.close();
      hook.close();
    }
  });
});
