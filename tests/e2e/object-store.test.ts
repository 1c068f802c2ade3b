/**
 * End to end: `core::object_store_writer` against a real S3-compatible server (s3rver, on
 * loopback, started here): a 12 MiB upload stored in three multipart parts and read back byte for
 * byte; StreamKit's transcode_to_s3 shape (Ogg in, MP4 to the store and to the response, passthrough);
 * credentials only from secrets the server shares; a private endpoint, a secret not shared, a
 * literal key and wrong credentials refused with the node and param named.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codecs, probeBytes, submit, testServer, waitFinal } from './support';

/** s3rver's one built-in key pair. */
const S3RVER_KEY = 'S3RVER';
const BUCKET = 'weft-test';

let s3: S3rver;
let s3Dir: string;
const events: string[] = [];
let endpoint: string;
let client: S3Client;
let server: Awaited<ReturnType<typeof testServer>>;
let strict: Awaited<ReturnType<typeof testServer>>;
let stored: Awaited<ReturnType<typeof testServer>>;

const writer = (key: string, extra = '') => `mode: oneshot
nodes:
  in: { kind: streamkit::http_input }
  s3:
    kind: core::object_store_writer
    params:
      endpoint: "${endpoint}"
      bucket: ${BUCKET}
      key: "${key}"
      access_key_id_env: WEFT_TEST_S3_KEY
      secret_key_env: WEFT_TEST_S3_SECRET
      content_type: application/octet-stream
${extra}    needs: in
`;

async function readBack(key: string): Promise<Uint8Array> {
  const answer = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return (await answer.Body?.transformToByteArray()) ?? new Uint8Array();
}

beforeAll(async () => {
  s3Dir = await mkdtemp(join(tmpdir(), 'weft-s3-'));
  s3 = new S3rver({ port: 0, address: '127.0.0.1', directory: s3Dir, silent: true });
  s3.on('event', (event: unknown) => events.push(JSON.stringify(event)));
  const { port } = (await s3.run()) as { port: number };
  endpoint = `http://127.0.0.1:${port}`;
  client = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: S3RVER_KEY, secretAccessKey: S3RVER_KEY },
  });
  await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
  const env = { ...process.env, WEFT_TEST_S3_KEY: S3RVER_KEY, WEFT_TEST_S3_SECRET: S3RVER_KEY, WEFT_WRONG: 'nope' };
  server = await testServer({
    allowPrivateUrls: true,
    secrets: ['WEFT_TEST_S3_KEY', 'WEFT_TEST_S3_SECRET', 'WEFT_WRONG'],
    env,
  });
  // Secrets shared, but private addresses not allowed: a loopback endpoint is refused.
  strict = await testServer({ secrets: ['WEFT_TEST_S3_KEY', 'WEFT_TEST_S3_SECRET'], env, work: false });
  // Job outputs in the store instead of the data directory (weft serve --outputs s3://…).
  stored = await testServer({
    outputs: {
      url: `s3://${BUCKET}/results`,
      endpoint,
      region: 'us-east-1',
      accessKeyId: S3RVER_KEY,
      secretAccessKey: S3RVER_KEY,
    },
  });
}, 60_000);
afterAll(async () => {
  await stored?.close();
  await strict?.close();
  await server?.close();
  client?.destroy();
  await s3?.close();
  await rm(s3Dir, { recursive: true, force: true });
});

describe('core::object_store_writer', () => {
  it('uploads 12 MiB in multipart parts, read back byte for byte', async () => {
    const bytes = new Uint8Array(randomBytes(12 * 1024 * 1024));
    const text = writer('jobs/random.bin');
    const submitted = await submit(server.url, { text }, { media: new Blob([bytes]) });
    expect(submitted.status, JSON.stringify(submitted.body)).toBe(202);
    const job = await waitFinal(server.url, submitted.body.id ?? '');
    expect(job.state, JSON.stringify(job)).toBe('succeeded');
    const stored = await readBack('jobs/random.bin');
    expect(stored.byteLength).toBe(bytes.byteLength);
    expect(Buffer.compare(stored, bytes)).toBe(0); // (toEqual walks 12 M elements one by one)
    // Stored by a multipart upload (CompleteMultipartUpload is s3rver's 'Post' event), not one PUT.
    expect(events.filter((e) => e.includes('jobs/random.bin'))).toEqual([
      expect.stringContaining('"eventName":"ObjectCreated:Post"'),
    ]);
  }, 120_000);

  it('sits inline in StreamKit’s transcode_to_s3 shape: the same MP4 in the store and in the response', async () => {
    const ogg = join(s3Dir, 'tone.ogg');
    execFileSync('ffmpeg', [
      '-v',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      'sine=frequency=440:duration=2',
      '-c:a',
      'libopus',
      ogg,
    ]);
    const text = `mode: oneshot
nodes:
  http_input: { kind: streamkit::http_input }
  ogg_demuxer: { kind: containers::ogg::demuxer, needs: http_input }
  opus_decoder: { kind: audio::opus::decoder, needs: ogg_demuxer }
  opus_encoder: { kind: audio::opus::encoder, needs: opus_decoder }
  mp4_muxer: { kind: containers::mp4::muxer, params: { mode: file, sample_rate: 48000, channels: 2 }, needs: opus_encoder }
  s3_writer:
    kind: core::object_store_writer
    params:
      endpoint: "${endpoint}"
      bucket: ${BUCKET}
      key: transcode/output.mp4
      region: us-east-1
      access_key_id_env: WEFT_TEST_S3_KEY
      secret_key_env: WEFT_TEST_S3_SECRET
      content_type: audio/mp4
      passthrough: true
    needs: mp4_muxer
  http_output: { kind: streamkit::http_output, params: { content_type: 'audio/mp4; codecs="opus"' }, needs: s3_writer }
`;
    const form = new FormData();
    form.append('config', text);
    form.append('media', new Blob([execFileSync('cat', [ogg])]));
    const response = await fetch(`${server.url}/api/v1/process`, { method: 'POST', body: form });
    expect(response.status, await response.clone().text()).toBe(200);
    const returned = new Uint8Array(await response.arrayBuffer());
    const stored = await readBack('transcode/output.mp4');
    expect(stored).toEqual(returned);
    expect(codecs(await probeBytes(stored, 'mp4'))).toEqual(['opus']);
    const meta = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'transcode/output.mp4' }));
    expect(meta.ContentType).toBe('audio/mp4');
    await meta.Body?.transformToByteArray();
  }, 120_000);

  it('takes credentials only from secrets the server shares, and says which node and param', async () => {
    const validate = async (base: string, text: string) => {
      const submitted = await submit(base, { text }, { media: new Blob([new Uint8Array(8)]) });
      return { status: submitted.status, body: JSON.stringify(submitted.body) };
    };
    // A literal key in the pipeline text: refused as a param error.
    const literal = await validate(server.url, writer('x', '      access_key_id: AKIAEXAMPLE\n'));
    expect(literal.status).toBe(400);
    expect(literal.body).toMatch(/access_key_id.*not taken from pipeline text/);
    // A secret the server does not share (HOME is in its environment, but not shared).
    const unshared = await validate(
      server.url,
      writer('x').replace('secret_key_env: WEFT_TEST_S3_SECRET', 'secret_key_env: HOME'),
    );
    expect(unshared.status).toBe(403);
    expect(unshared.body).toMatch(
      /"node":"s3".*"param":"access_key_id_env".*secret 'HOME' is not one this server shares/,
    );
    // A loopback endpoint on a server that does not allow private addresses.
    const private_ = await validate(strict.url, writer('x'));
    expect(private_.status).toBe(403);
    expect(private_.body).toMatch(/"param":"endpoint".*loopback\/private/);
    // A shared secret with the wrong value: the store refuses, and the job says so.
    const wrong = await submit(
      server.url,
      { text: writer('x').replace('access_key_id_env: WEFT_TEST_S3_KEY', 'access_key_id_env: WEFT_WRONG') },
      { media: new Blob([new Uint8Array(64)]) },
    );
    expect(wrong.status).toBe(202);
    const job = await waitFinal(server.url, wrong.body.id ?? '');
    expect(job.state).toBe('failed');
    expect(JSON.stringify(job.error)).toMatch(/object_store_writer#s3.*InvalidAccessKeyId/);
    expect(JSON.stringify(job)).not.toContain(S3RVER_KEY);
  }, 120_000);
});

describe('weft serve --outputs s3://', () => {
  it('stores job outputs in the bucket, serves them from there, and removes them with the job', async () => {
    const text = `mode: oneshot
nodes:
  tone: { kind: audio::sine, params: { frequency: 440, duration_ms: 1000 } }
  enc: { kind: audio::opus::encoder, needs: tone }
  mux: { kind: containers::webm::muxer, params: { streaming_mode: file }, needs: enc }
  out: { kind: streamkit::http_output, needs: mux }
`;
    const submitted = await submit(stored.url, { text });
    expect(submitted.status, JSON.stringify(submitted.body)).toBe(202);
    const job = await waitFinal(stored.url, submitted.body.id ?? '');
    expect(job.state, JSON.stringify(job)).toBe('succeeded');
    const key = `results/${job.id}/output`;
    const inBucket = await readBack(key);
    expect(codecs(await probeBytes(inBucket, 'webm'))).toEqual(['opus']);
    // Nothing of it is left in the data directory.
    expect(existsSync(join(stored.dataDir, 'jobs', job.id, 'out', 'output'))).toBe(false);
    const served = await fetch(`${stored.url}/api/v1/jobs/${job.id}/outputs/output`);
    expect(served.status).toBe(200);
    expect(served.headers.get('content-length')).toBe(String(inBucket.byteLength));
    expect(Buffer.compare(new Uint8Array(await served.arrayBuffer()), inBucket)).toBe(0);
    // Retention removes the object with the job.
    expect(await stored.service.sweep(Date.now() + 365 * 86_400_000)).toBeGreaterThanOrEqual(1);
    await expect(readBack(key)).rejects.toThrow(/NoSuchKey|does not exist/);
  }, 120_000);
});
