/**
 * The MSE stream parts that run in Node: the segmenter finds the init segment and every cluster
 * or fragment start of real mediabunny output fed in odd-sized pieces, the stream hub serves late
 * viewers from a keyframe and answers 404/410/503 as StreamKit does, and the route's headers.
 */
import {
  EncodedPacket,
  EncodedVideoPacketSource,
  Mp4OutputFormat,
  Output,
  StreamTarget,
  WebMOutputFormat,
} from 'mediabunny';
import type { StreamTargetChunk } from 'mediabunny';
import { describe, expect, it } from 'vitest';
import { mseRoutes } from '../../server/mse/routes';
import { Fmp4Segmenter, SegmentError, WebmSegmenter } from '../../server/mse/segmenter';
import type { Piece } from '../../server/mse/segmenter';
import { MseStreams } from '../../server/mse/streams';

const FPS = 30;
const GOP = 15;

/** A live (forward-only) file of `frames` fake VP9 frames, and where mediabunny says its segments start. */
async function liveFile(format: 'webm' | 'mp4', frames: number): Promise<{ bytes: Uint8Array; starts: number[] }> {
  const parts: Uint8Array[] = [];
  let end = 0;
  const starts: number[] = [];
  const onSegment = (_data: Uint8Array, position: number) => void starts.push(position);
  const target = new StreamTarget(
    new WritableStream<StreamTargetChunk>({
      write(chunk) {
        expect(chunk.position).toBe(end); // forward only
        parts.push(chunk.data.slice());
        end += chunk.data.byteLength;
      },
    }),
  );
  const output = new Output({
    format:
      format === 'webm'
        ? new WebMOutputFormat({ appendOnly: true, onCluster: onSegment })
        : new Mp4OutputFormat({ fastStart: 'fragmented', onMoof: onSegment }),
    target,
  });
  const source = new EncodedVideoPacketSource('vp9');
  output.addVideoTrack(source, { frameRate: FPS });
  await output.start();
  for (let i = 0; i < frames; i++) {
    const key = i % GOP === 0;
    const data = new Uint8Array(key ? 900 : 200).fill(i & 0xff);
    await source.add(
      new EncodedPacket(data, key ? 'key' : 'delta', i / FPS, 1 / FPS),
      i === 0 ? { decoderConfig: { codec: 'vp09.00.10.08', codedWidth: 64, codedHeight: 48 } } : undefined,
    );
  }
  source.close();
  await output.finalize();
  const bytes = new Uint8Array(end);
  let at = 0;
  for (const part of parts) {
    bytes.set(part, at);
    at += part.byteLength;
  }
  return { bytes, starts: starts.sort((a, b) => a - b) };
}

/** Feeds `bytes` in pieces of 1–`max` bytes (a fixed pseudo-random sequence). */
function feed(segmenter: { push(d: Uint8Array): Piece[] }, bytes: Uint8Array, max: number): Piece[] {
  const out: Piece[] = [];
  let seed = 7;
  for (let at = 0; at < bytes.byteLength;) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    const n = 1 + (seed % max);
    out.push(...segmenter.push(bytes.subarray(at, at + n)));
    at += n;
  }
  return out;
}

function segmentStarts(pieces: Piece[], initBytes: number): number[] {
  const starts: number[] = [];
  let at = initBytes;
  for (const piece of pieces.filter((p) => p.type === 'media')) {
    if (piece.startsSegment) starts.push(at);
    at += piece.data.byteLength;
  }
  return starts;
}

describe('MSE segmenter', () => {
  for (const format of ['webm', 'mp4'] as const) {
    for (const max of [1, 7, 4096]) {
      it(`${format}: init segment and every ${format === 'webm' ? 'cluster' : 'fragment'} start, fed ${max} bytes at most`, async () => {
        const { bytes, starts } = await liveFile(format, 150);
        // A segment per second at the next keyframe (mediabunny's minimum cluster duration): 5 s, 5.
        expect(starts.length).toBeGreaterThanOrEqual(5);
        const segmenter = format === 'webm' ? new WebmSegmenter() : new Fmp4Segmenter();
        const pieces = feed(segmenter, bytes, max);
        const init = pieces.filter((p) => p.type === 'init');
        expect(init).toHaveLength(1);
        expect(pieces[0]?.type).toBe('init');
        expect(init[0]?.data).toEqual(bytes.subarray(0, starts[0]));
        const media = pieces.filter((p) => p.type === 'media');
        const all = new Uint8Array(media.reduce((n, p) => n + p.data.byteLength, 0));
        let at = 0;
        for (const p of media) {
          all.set(p.data, at);
          at += p.data.byteLength;
        }
        expect(all).toEqual(bytes.subarray(starts[0]));
        // MP4 ends with an 'mfra' after the last fragment, which starts no segment.
        expect(segmentStarts(pieces, starts[0] ?? 0)).toEqual(starts);
      });
    }
  }

  it('refuses a stream that is not what its type says', () => {
    expect(() => new WebmSegmenter().push(new TextEncoder().encode('<html><body>hi</body></html>'))).toThrow(
      SegmentError,
    );
    expect(() => new Fmp4Segmenter().push(new Uint8Array([0, 0, 0, 16, 0x6d, 0x6f, 0x6f, 0x66, 0, 0, 0, 0]))).toThrow(
      /ftyp/,
    );
  });
});

async function readSome(body: ReadableStream<Uint8Array>, bytes: number): Promise<Uint8Array> {
  const reader = body.getReader();
  const parts: Uint8Array[] = [];
  let n = 0;
  while (n < bytes) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    n += value.byteLength;
  }
  reader.releaseLock();
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

describe('MSE streams', () => {
  it('serves a late viewer the init segment, then media from the latest keyframe cluster', async () => {
    const { bytes, starts } = await liveFile('webm', 150);
    const streams = new MseStreams();
    const sink = streams.open('s1/video', { contentType: 'video/webm; codecs="vp9"', maxClients: 2 });
    const early = streams.connect('s1/video');
    // Feed up to the middle of the third cluster, then join.
    const cut = (starts[2] ?? 0) + 100;
    await sink.write(bytes.subarray(0, cut), 0);
    const late = streams.connect('s1/video');
    expect(late.status).toBe(200);
    expect(streams.connect('s1/video').status).toBe(503);
    await sink.write(bytes.subarray(cut), cut);
    await sink.close();
    if (early.status !== 200 || late.status !== 200) throw new Error('not connected');
    expect(early.contentType).toBe('video/webm; codecs="vp9"');
    const earlyBytes = await readSome(early.body, bytes.byteLength);
    expect(earlyBytes).toEqual(bytes); // from the start, everything
    const lateBytes = await readSome(late.body, bytes.byteLength);
    const initBytes = bytes.subarray(0, starts[0]);
    expect(lateBytes.subarray(0, initBytes.byteLength)).toEqual(initBytes);
    expect(lateBytes.subarray(initBytes.byteLength)).toEqual(bytes.subarray(starts[2]));
    expect(streams.connect('s1/video')).toMatchObject({ status: 410 });
    expect(streams.connect('s1/other')).toMatchObject({ status: 404 });
  });

  it('refuses a taken path, a type MSE cannot play and writes out of order', async () => {
    const streams = new MseStreams();
    const sink = streams.open('s/v', { contentType: 'video/webm', maxClients: 1 });
    expect(() => streams.open('s/v', { contentType: 'video/webm', maxClients: 1 })).toThrow(/already published/);
    expect(() => streams.open('s/w', { contentType: 'text/html', maxClients: 1 })).toThrow(/not one MSE plays/);
    await expect(sink.write(new Uint8Array(4), 100)).rejects.toThrow(/forward only/);
    expect(streams.connect('s/v').status).toBe(410);
  });

  it('drops a viewer that stops reading instead of holding the feed', async () => {
    const { bytes } = await liveFile('webm', 30);
    const streams = new MseStreams();
    const sink = streams.open('s/v', { contentType: 'video/webm', maxClients: 2 });
    const stalled = streams.connect('s/v');
    expect(stalled.status).toBe(200);
    await sink.write(bytes, 0);
    // 9 MiB of further clusters (an unknown-size Cluster holding one 1 MiB SimpleBlock each), unread.
    const size = 1 << 20;
    const chunk = new Uint8Array(12 + 9 + size);
    chunk.set([0x1f, 0x43, 0xb6, 0x75, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    chunk.set([0xa3, 0x01, 0, 0, 0], 12);
    new DataView(chunk.buffer).setUint32(12 + 5, size);
    let at = bytes.byteLength;
    for (let i = 0; i < 9; i++) {
      await sink.write(chunk, at);
      at += chunk.byteLength;
    }
    expect(stalled.status === 200 && streams.viewers('s/v')).toBe(0);
    await sink.close();
  });

  it('is served at /mse/* as media that cannot run as a page', async () => {
    const { bytes } = await liveFile('webm', 20);
    const streams = new MseStreams();
    const sink = streams.open('abc/video', { contentType: 'video/webm; codecs="vp9"', maxClients: 1 });
    await sink.write(bytes, 0);
    const app = mseRoutes(streams);
    const response = await app.request('/mse/abc/video');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('video/webm; codecs="vp9"');
    expect(response.headers.get('cache-control')).toBe('no-cache, no-store');
    expect(response.headers.get('content-security-policy')).toContain('sandbox');
    await sink.close();
    expect(new Uint8Array(await response.arrayBuffer())).toEqual(bytes);
    const gone = await app.request('/mse/abc/video');
    expect(gone.status).toBe(410);
    expect(await gone.text()).toMatch(/ended/);
    expect((await app.request('/mse/nope')).status).toBe(404);
  });
});
