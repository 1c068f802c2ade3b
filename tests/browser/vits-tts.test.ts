/**
 * plugin::native::piper (a VITS model on transformers.js) with real inference on a tiny VITS the
 * project makes itself (each input token becomes 25 ms of audio): sentences batched to
 * min_sentence_length, audio at the model's rate whose length follows the text, continuous
 * timestamps; a model that is not there named with where Weft looks.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { NodeHost, Pipeline } from '../../src/engine';
import { closePacket, defineNode, NodeRegistry, Session } from '../../src/engine';
import { piper } from '../../src/nodes/ml/vits-tts';
import { Recorder, testNodes } from '../support/fakes';
import { testModelAsset } from './harness';

const SENTENCES = ['Hi.', 'This sentence is longer.', 'End.'];
/** The tiny VITS makes 25 ms of audio per token (scripts/tiny-models.ts, TINY_VITS_SAMPLES_PER_TOKEN). */
const SAMPLES_PER_TOKEN = 400;

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

async function run(params: Record<string, unknown>) {
  const recorder = new Recorder();
  const pipeline: Pipeline = {
    mode: 'oneshot',
    nodes: {
      src: { kind: 'test::texts' },
      tts: { kind: 'plugin::native::piper', params },
      out: { kind: 'test::collect', params: { keep_frames_open: true } },
    },
    connections: [
      { from_node: 'src', from_pin: 'out', to_node: 'tts', to_pin: 'in' },
      { from_node: 'tts', from_pin: 'out', to_node: 'out', to_pin: 'in' },
    ],
  };
  const host: NodeHost = { openAsset: testModelAsset };
  const registry = new NodeRegistry([texts, piper, ...testNodes(recorder)]);
  const result = await new Session(pipeline, { registry, host, statsIntervalMs: 0 }).result();
  return { result, packets: recorder.get('out') };
}

describe('plugin::native::piper (transformers.js VITS, tiny random)', () => {
  it('speaks the text at the model’s rate, as long as the text, with continuous timestamps', async () => {
    // 'Hi.' is shorter than min_sentence_length: it is spoken together with the next sentence.
    const { result, packets } = await run({ model_dir: 'models/vits-tiny-random', min_sentence_length: 10 });
    expect(result.state, String(result.error)).toBe('done');
    let frames = 0;
    for (const [i, p] of packets.entries()) {
      if (p.kind !== 'raw_audio') throw new Error(`packet ${i} is ${p.kind}`);
      expect(p.data.sampleRate).toBe(16_000);
      frames += p.data.numberOfFrames;
      const prev = packets[i - 1]?.meta;
      if (prev) expect(p.meta.timestamp).toBe((prev.timestamp ?? 0) + (prev.duration ?? 0));
      closePacket(p);
    }
    // Byte-level tokens: one per byte of 'Hi. This sentence is longer.' and of 'End.'.
    const tokens = 'Hi. This sentence is longer.'.length + 'End.'.length;
    expect(frames).toBe(tokens * SAMPLES_PER_TOKEN);
  }, 60_000);

  it('names the model it cannot find and where Weft looks', async () => {
    const { result } = await run({ model_dir: 'models/vits-piper-en_US-libritts_r-medium' });
    expect(result.state).toBe('failed');
    expect(String(result.error?.message)).toMatch(
      /\[plugin::native::piper#tts\] start: the TTS model 'models\/vits-piper-en_US-libritts_r-medium' could not be loaded.*--models/,
    );
  }, 60_000);
});
