/**
 * plugin::native::helsinki with real transformers.js inference on a tiny OPUS-MT (Marian) model
 * the project makes itself (random weights; its decoder spells a fixed text): one Text per Text or Transcription, at
 * its time, in order; empty input skipped; a model that is not there named with where Weft looks.
 */
import { describe, expect, it } from 'vitest';
import type { Packet } from '../../src/engine';
import { micros } from '../../src/engine';
import { helsinki, nllb, nllbFolder } from '../../src/nodes/ml/translate';
import { runThroughNode } from './harness';

const INPUT: Packet[] = [
  { kind: 'text', text: 'Good morning.', meta: { timestamp: micros(0) } },
  { kind: 'text', text: '   ', meta: { timestamp: micros(500_000) } },
  {
    kind: 'transcription',
    text: 'How are you today?',
    segments: [{ text: 'How are you today?', start: micros(1_000_000), end: micros(2_000_000) }],
    language: 'en',
    meta: { timestamp: micros(1_000_000) },
  },
];

const run = (params: Record<string, unknown>, kind = 'plugin::native::helsinki') =>
  runThroughNode([helsinki, nllb], kind, params, INPUT);

describe('plugin::native::helsinki (transformers.js, tiny random OPUS-MT)', () => {
  it('translates each text and transcription into one Text at its time', async () => {
    const { result, packets, telemetry } = await run({ model_dir: 'models/opus-mt-tiny-random', max_length: 10 });
    expect(result.state, String(result.error)).toBe('done');
    expect(packets.map((p) => p.kind)).toEqual(['text', 'text']);
    expect(packets.map((p) => p.meta.timestamp)).toEqual([0, 1_000_000]);
    // What the tiny decoder spells (scripts/tiny-models.ts, TINY_DECODER_TEXT).
    for (const p of packets)
      if (p.kind === 'text')
        expect(['quick b', 'quick br', 'quick bro', 'quick brow', 'quick brown']).toContain(p.text);
    // This Chromium has no WebGPU adapter: the model says it runs on WebAssembly, and why.
    expect(telemetry.at(-1)?.data).toMatchObject({ model: 'opus-mt-tiny-random', status: 'loaded', device: 'wasm' });
  }, 60_000);

  it('names the model it cannot find and where Weft looks', async () => {
    const { result } = await run({ model_dir: 'models/opus-mt-en-es' });
    expect(result.state).toBe('failed');
    expect(String(result.error?.message)).toMatch(
      /\[plugin::native::helsinki#node\] start: the translation model 'models\/opus-mt-en-es' could not be loaded.*--models/,
    );
  }, 60_000);
});

describe('plugin::native::nllb (transformers.js, tiny random NLLB)', () => {
  it('maps StreamKit’s CTranslate2 folder names to transformers.js ones', () => {
    expect(nllbFolder('models/nllb-200-distilled-600M-ct2-int8')).toBe('nllb-200-distilled-600M');
    expect(nllbFolder('models/nllb-200-distilled-600M')).toBe('nllb-200-distilled-600M');
  });

  it('translates between NLLB codes, and names a language the model lacks', async () => {
    const ok = await run(
      {
        model_path: 'models/nllb-tiny-random',
        source_language: 'eng_Latn',
        target_language: 'spa_Latn',
        max_length: 8,
      },
      'plugin::native::nllb',
    );
    expect(ok.result.state, String(ok.result.error)).toBe('done');
    expect(ok.packets.map((p) => p.kind)).toEqual(['text', 'text']);
    const bad = await run(
      { model_path: 'models/nllb-tiny-random', target_language: 'fra_Latn' },
      'plugin::native::nllb',
    );
    expect(bad.result.state).toBe('failed');
    expect(String(bad.result.error?.message)).toMatch(/plugin::native::nllb#node.*"fra_Latn" is not valid/);
  }, 60_000);
});
