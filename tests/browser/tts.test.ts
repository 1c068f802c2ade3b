/**
 * tts::espeak, eSpeak NG in WebAssembly: what it says matches what Debian's own espeak-ng says
 * for the same text and voice (duration within 10 %, loudness envelope correlated), sentence after
 * sentence with continuous timestamps; a text made of silence-free words is voiced throughout.
 */
import { commands } from 'vitest/browser';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Pipeline } from '../../src/engine';
import { closePacket, defineNode, NodeRegistry, Session } from '../../src/engine';
import { readPlanar } from '../../src/nodes/media/audio-data';
import { espeak } from '../../src/nodes/ml/espeak';
import { Recorder, testNodes } from '../support/fakes';

const RATE = 22_050;
const SENTENCES = ['Hello world.', 'The quick brown fox jumps over the lazy dog, twice.'];

const texts = defineNode({
  kind: 'test::texts',
  version: 1,
  description: 'Sends the test sentences.',
  categories: ['test'],
  params: z.strictObject({}),
  inputs: [],
  outputs: [{ name: 'out', produces: { kind: 'text' }, cardinality: 'broadcast' }],
  create: () => ({
    async run(io) {
      for (const text of SENTENCES) await io.output('out').send({ kind: 'text', text, meta: {} });
    },
  }),
});

/** RMS per 20 ms window. */
function envelope(samples: Float32Array): number[] {
  const win = RATE / 50;
  const out: number[] = [];
  for (let w = 0; w + win <= samples.length; w += win) {
    let sum = 0;
    for (let i = w; i < w + win; i++) sum += (samples[i] ?? 0) ** 2;
    out.push(Math.sqrt(sum / win));
  }
  return out;
}

function correlation(a: number[], b: number[]): number {
  const n = Math.min(a.length, b.length);
  const mean = (x: number[]) => x.slice(0, n).reduce((s, v) => s + v, 0) / n;
  const ma = mean(a);
  const mb = mean(b);
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < n; i++) {
    const da = (a[i] ?? 0) - ma;
    const db = (b[i] ?? 0) - mb;
    ab += da * db;
    aa += da * da;
    bb += db * db;
  }
  return ab / Math.sqrt(aa * bb);
}

async function native(text: string): Promise<Float32Array> {
  const bytes = Uint8Array.from(atob(await commands.nativeEspeak(text, 'en-us', 175)), (c) => c.charCodeAt(0));
  return new Float32Array(bytes.buffer);
}

describe('tts::espeak (eSpeak NG in WebAssembly)', () => {
  it('speaks each sentence as Debian’s espeak-ng does, one after the other', async () => {
    const recorder = new Recorder();
    const pipeline: Pipeline = {
      mode: 'oneshot',
      nodes: {
        src: { kind: 'test::texts' },
        tts: { kind: 'tts::espeak', params: { voice: 'en-us', speed: 175 } },
        out: { kind: 'test::collect', params: { keep_frames_open: true } },
      },
      connections: [
        { from_node: 'src', from_pin: 'out', to_node: 'tts', to_pin: 'in' },
        { from_node: 'tts', from_pin: 'out', to_node: 'out', to_pin: 'in' },
      ],
    };
    const registry = new NodeRegistry([texts, espeak, ...testNodes(recorder)]);
    const result = await new Session(pipeline, { registry, statsIntervalMs: 0 }).result();
    expect(result.state, String(result.error)).toBe('done');
    const packets = recorder.get('out');
    expect(packets.length).toBeGreaterThan(10);
    // Continuous: each chunk starts where the one before ended, across sentences too.
    for (let i = 1; i < packets.length; i++) {
      const prev = packets[i - 1]?.meta;
      expect(packets[i]?.meta.timestamp).toBe((prev?.timestamp ?? 0) + (prev?.duration ?? 0));
    }
    const samples = new Float32Array(
      packets.reduce((n, p) => n + (p.kind === 'raw_audio' ? p.data.numberOfFrames : 0), 0),
    );
    let at = 0;
    for (const p of packets) {
      if (p.kind !== 'raw_audio') continue;
      expect(p.data.sampleRate).toBe(RATE);
      const plane = readPlanar(p.data).channels[0] ?? new Float32Array(0);
      samples.set(plane, at);
      at += plane.length;
      closePacket(p);
    }
    const references = await Promise.all(SENTENCES.map(native));
    const expected = references.reduce((n, r) => n + r.length, 0);
    expect(Math.abs(samples.length - expected) / expected).toBeLessThan(0.1);
    // The loudness over time follows the reference: the same words, at the same places.
    const reference = new Float32Array(expected);
    let offset = 0;
    for (const r of references) {
      reference.set(r, offset);
      offset += r.length;
    }
    const r = correlation(envelope(samples), envelope(reference));
    expect(r).toBeGreaterThan(0.8);
    // The longer sentence takes longer, roughly by its length in words (175 a minute).
    expect(references[1]?.length ?? 0).toBeGreaterThan((references[0]?.length ?? 0) * 2);
  }, 90_000);
});
