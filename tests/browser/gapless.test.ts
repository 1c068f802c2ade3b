import { describe, expect, it } from 'vitest';
import type { NodeHost } from '../../src/engine';
import { parsePipeline, Session } from '../../src/engine';
import { createRegistry } from '../../src/nodes';
import { readMp3Gapless } from '../../src/nodes/media/mp3-gapless';
import { readPlanar } from '../../src/nodes/media/audio-data';
import { media } from './harness';
import type { MediaSpec } from './inputs';

/** 1.5 s of a full-scale-0.5 sine at 44.1 kHz from the first sample: 66150 samples. */
const SINE_MP3: MediaSpec = [
  'gapless-sine.mp3',
  [
    '-f',
    'lavfi',
    '-i',
    'aevalsrc=0.5*sin(2*PI*1000*t):s=44100:d=1.5',
    '-c:a',
    'libmp3lame',
    '-b:a',
    '192k',
    '-ac',
    '1',
  ],
];
const SAMPLES = 66_150;

/** Decodes the file with a pipeline; returns every sample of channel 0 and the first timestamp. */
async function decode(bytes: Uint8Array, chain: string): Promise<{ samples: Float32Array; first: number }> {
  const host: NodeHost = {
    openInput: () => Promise.resolve(new Blob([bytes as Uint8Array<ArrayBuffer>]).stream()),
    openOutput: () => Promise.reject(new Error('no outputs here')),
  };
  const { pipeline } = parsePipeline(`
mode: oneshot
steps:
  - kind: streamkit::http_input
${chain}
  - kind: core::sink
`);
  const session = new Session(pipeline, { registry: createRegistry(), host, statsIntervalMs: 0 });
  const parts: Float32Array[] = [];
  let first = Number.NaN;
  const last = `step_${Object.keys(pipeline.nodes).length - 2}`;
  session.tap((node, _pin, packet) => {
    if (node !== last || packet.kind !== 'raw_audio') return;
    if (Number.isNaN(first)) first = packet.data.timestamp;
    parts.push(readPlanar(packet.data).channels[0] ?? new Float32Array());
  });
  session.start();
  const result = await session.result();
  expect(result.state, JSON.stringify(result.error)).toBe('done');
  const samples = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    samples.set(p, at);
    at += p.length;
  }
  return { samples, first };
}

function rms(x: Float32Array): number {
  return Math.sqrt(x.reduce((s, v) => s + v * v, 0) / Math.max(1, x.length));
}

describe('MP3 gapless (LAME encoder delay and padding)', () => {
  it('reads the LAME tag that ffmpeg writes', async () => {
    const info = await readMp3Gapless(new Blob([(await media(...SINE_MP3)) as Uint8Array<ArrayBuffer>]));
    expect(info?.sampleRate).toBe(44_100);
    expect(info?.valid).toBe(SAMPLES);
    expect(info?.skip).toBeGreaterThan(529); // LAME's delay (576 or 1105) + the decoder's 529
  });

  for (const [name, chain] of [
    ['containers::demuxer + audio::decoder', '  - kind: containers::demuxer\n  - kind: audio::decoder'],
    ['audio::mp3::decoder', '  - kind: audio::mp3::decoder'],
  ] as const) {
    it(`${name}: exactly the encoded samples, starting at 0 with the signal`, async () => {
      const { samples, first } = await decode(await media(...SINE_MP3), chain);
      expect(first).toBe(0);
      expect(Math.abs(samples.length - SAMPLES)).toBeLessThanOrEqual(1);
      // No encoder-delay silence at the start, no padding at the end: both edges carry the sine.
      expect(rms(samples.subarray(0, 441))).toBeGreaterThan(0.3);
      expect(rms(samples.subarray(samples.length - 441))).toBeGreaterThan(0.3);
      expect(rms(samples)).toBeCloseTo(0.5 / Math.SQRT2, 1);
      // In phase with the source sine (a shift of a quarter period, 11 samples, would give 0).
      let dot = 0;
      for (let i = 0; i < samples.length; i++) dot += (samples[i] ?? 0) * Math.sin((2 * Math.PI * 1000 * i) / 44_100);
      expect(dot / samples.length).toBeGreaterThan(0.24); // 0.25 when aligned sample-exactly
    });
  }
});
