import { describe, expect, it } from 'vitest';
import type { Packet } from '../../src/engine';
import { micros } from '../../src/engine';
import { CORE_NODES } from '../../src/nodes';
import { httpMse } from '../../src/nodes/transport/http-mse';
import type { Fixture } from '../support/conformance';
import { conformance } from '../support/conformance';
import { fakeVideoPacket, textPacket } from '../support/fakes';

const frames = (n: number) => () => Array.from({ length: n }, (_, i) => fakeVideoPacket(i));
const texts =
  (...t: string[]) =>
  () =>
    t.map((s, i) => textPacket(s, i));
const asText = (out: Packet[]) =>
  out.map((p) => (p.kind === 'text' ? p.text : p.kind === 'binary' ? new TextDecoder().decode(p.data) : p.kind));

/** One fixture per shipped kind; a kind without one fails the suite. */
const FIXTURES: Record<string, Fixture> = {
  'core::passthrough': {
    inputType: { kind: 'raw_video' },
    input: frames(6),
    check: (out) => expect(out.map((p) => p.meta.sequence)).toEqual([0, 1, 2, 3, 4, 5]),
  },
  'core::sink': { inputType: { kind: 'raw_video' }, input: frames(6) },
  'core::pacer': {
    params: { speed: 4 },
    inputType: { kind: 'raw_video' },
    input: frames(6),
    check: (out) => expect(out).toHaveLength(6),
  },
  'core::json_serialize': {
    params: { newline_delimited: true },
    inputType: { kind: 'text' },
    input: () => [
      textPacket('hello'),
      {
        kind: 'transcription',
        text: 'hi there',
        segments: [{ text: 'hi there', start: micros(0), end: micros(1_500_000), confidence: 0.9 }],
        meta: {},
      },
      { kind: 'json', type_id: 'test/event@1', data: { level: 3 }, meta: {} },
    ],
    check: (out) =>
      expect(asText(out)).toEqual([
        '{"text":"hello","metadata":{"timestamp_us":0,"sequence":0}}\n',
        '{"text":"hi there","segments":[{"text":"hi there","start_time_ms":0,"end_time_ms":1500,"confidence":0.9}],"language":null,"metadata":null}\n',
        '{"type_id":"test/event@1","encoding":"json","data":{"level":3}}\n',
      ]),
    badInput: () => fakeVideoPacket(0),
  },
  'core::text_chunker': {
    params: { split_mode: 'sentences', min_length: 5 },
    inputType: { kind: 'text' },
    input: texts('Hello there. How are', ' you? Fine', ' thanks.'),
    check: (out) => expect(asText(out)).toEqual(['Hello there.', 'How are you?', 'Fine thanks.']),
    badInput: () => ({ kind: 'binary', data: new Uint8Array([0xff, 0xfe]), meta: {} }),
  },
  'core::telemetry_tap': {
    params: { packet_types: ['Text'] },
    inputType: { kind: 'text' },
    input: texts('one', 'two', 'three'),
    check: (out) => expect(asText(out)).toEqual(['one', 'two', 'three']),
  },
  'core::telemetry_out': { inputType: { kind: 'text' }, input: texts('one', 'two') },
  'core::script': {
    params: {
      script: "function process(p) { return p.type === 'Text' ? { type: 'Text', data: p.data.toUpperCase() } : p; }",
    },
    inputType: { kind: 'text' },
    input: texts('one', 'two'),
    check: (out) => expect(asText(out)).toEqual(['ONE', 'TWO']),
  },
  'core::object_store_writer': {
    params: {
      endpoint: 'https://s3.example.com',
      bucket: 'weft-test',
      key: 'out.txt',
      access_key_id_env: 'KEY',
      secret_key_env: 'SECRET',
      passthrough: true,
    },
    host: () => ({
      writeObject: () =>
        Promise.resolve({
          write: () => Promise.resolve(),
          close: () => Promise.resolve(),
          abort: () => Promise.resolve(),
        }),
    }),
    inputType: { kind: 'binary' },
    input: () => ['one', 'two'].map((t): Packet => ({ kind: 'binary', data: new TextEncoder().encode(t), meta: {} })),
    check: (out) => expect(asText(out)).toEqual(['one', 'two']),
    badInput: () => textPacket('not bytes', 0),
  },
  'core::param_bridge': {
    mode: 'dynamic',
    params: { target_node: 'feed' },
    inputType: { kind: 'text' },
    input: texts('one', 'two'),
  },
};

describe('node conformance (core kinds, in Node)', () => {
  it('has a fixture for every shipped kind', () => {
    expect(Object.keys(FIXTURES).sort()).toEqual(CORE_NODES.map((d) => d.kind).sort());
  });
  for (const definition of CORE_NODES) {
    describe(definition.kind, () => conformance(definition, FIXTURES[definition.kind] ?? {}));
  }
});

/** `transport::http::mse` needs no media APIs: it runs here, publishing to a host that keeps what it gets. */
describe('node conformance (transport::http::mse, in Node)', () => {
  const published: { path: string; contentType: string; bytes: number; closed: boolean }[] = [];
  const host = () => ({
    publishStream: (path: string, options: { contentType: string; maxClients: number }) => {
      const entry = { path, contentType: options.contentType, bytes: 0, closed: false };
      published.push(entry);
      return Promise.resolve({
        write: (data: Uint8Array) => {
          entry.bytes += data.byteLength;
          return Promise.resolve();
        },
        close: () => {
          entry.closed = true;
          return Promise.resolve();
        },
        abort: () => Promise.resolve(),
      });
    },
  });
  const chunks = () =>
    ['a', 'bc', 'def'].map((t): Packet => ({
      kind: 'binary',
      data: new TextEncoder().encode(t),
      content_type: 'video/webm; codecs="vp8"',
      meta: {},
    }));
  conformance(httpMse, {
    mode: 'dynamic',
    params: { path: '/video' },
    host,
    inputType: { kind: 'binary' },
    input: chunks,
    badInput: () => textPacket('not bytes', 0),
  });
  it('publishes at its path with the muxer’s content type, every byte, then closes', () => {
    const done = published.find((p) => p.closed && p.bytes === 6);
    expect(done).toMatchObject({ path: '/video', contentType: 'video/webm; codecs="vp8"' });
  });
  it('refuses paths that are not URL-safe and types MSE cannot play', () => {
    for (const path of ['video', '/../x', '/a b', '/./x', '/a//b'])
      expect(httpMse.params.safeParse({ path }).success, path).toBe(false);
    expect(httpMse.params.safeParse({ path: '/a/b-1.webm' }).success).toBe(true);
    expect(httpMse.params.safeParse({ path: '/v', content_type: 'text/html' }).success).toBe(false);
    expect(httpMse.params.safeParse({ path: '/v', content_type: 'video/mp4; codecs="avc1.42E01E"' }).success).toBe(
      true,
    );
  });
});
