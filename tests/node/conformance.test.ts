import { describe, expect, it } from 'vitest';
import type { Packet } from '../../src/engine';
import { micros } from '../../src/engine';
import { CORE_NODES } from '../../src/nodes';
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
