/**
 * plugin::native::kokoro (kokoro-js on transformers.js) with real inference on a tiny Kokoro the
 * project makes itself (scripts/tiny-models.ts: onnx-community's layout, two voices; each phoneme
 * token becomes 10 ms of audio, shifted by the voice's style): eSpeak NG phonemes, sentences
 * batched to min_sentence_length, 24 kHz audio whose length follows the text, voices that differ,
 * StreamKit's tts.start / tts.done telemetry, and errors that name the voice or model.
 */
import { describe, expect, it } from 'vitest';
import type { Packet } from '../../src/engine';
import { closePacket, micros } from '../../src/engine';
import { readPlanar } from '../../src/nodes/media/audio-data';
import { kokoro } from '../../src/nodes/ml/kokoro';
import { runThroughNode } from './harness';

const TEXTS = ['Hi.', 'This sentence is a good deal longer.', 'End.'];
const input = (): Packet[] => TEXTS.map((text, i) => ({ kind: 'text', text, meta: { timestamp: micros(i) } }));
const MODEL = { model_dir: 'models/kokoro-tiny-random' };
/** The test reads the audio, then closes it. */
const OPEN = { keepFramesOpen: true };

/** The audio of `packets` as one mono buffer (the packets are closed). */
function audio(packets: Packet[]): { samples: Float32Array; rates: Set<number>; gaps: number } {
  const parts: Float32Array[] = [];
  const rates = new Set<number>();
  let gaps = 0;
  let next: number | undefined;
  for (const p of packets) {
    if (p.kind !== 'raw_audio') throw new Error(`a ${p.kind} packet`);
    rates.add(p.data.sampleRate);
    if (next !== undefined && p.meta.timestamp !== next) gaps++;
    next = (p.meta.timestamp ?? 0) + (p.meta.duration ?? 0);
    parts.push(...readPlanar(p.data).channels.slice(0, 1));
    closePacket(p);
  }
  const samples = new Float32Array(parts.reduce((n, a) => n + a.length, 0));
  let at = 0;
  for (const part of parts) {
    samples.set(part, at);
    at += part.length;
  }
  return { samples, rates, gaps };
}

describe('plugin::native::kokoro (kokoro-js, tiny random Kokoro)', () => {
  it('speaks each batch of sentences as 24 kHz audio whose length follows the text, with telemetry', async () => {
    const { result, packets, telemetry } = await runThroughNode(
      [kokoro],
      'plugin::native::kokoro',
      { ...MODEL, voice: 'af_heart', min_sentence_length: 10, emit_telemetry: true },
      input(),
      OPEN,
    );
    expect(result.state, String(result.error)).toBe('done');
    const done = telemetry.filter((t) => t.type_id === 'tts.done').map((t) => t.data);
    // 'Hi.' is shorter than min_sentence_length: it waits for the next sentence; 'End.' is spoken at the end.
    expect(done.map((d) => d.text_preview)).toEqual(['Hi. This sentence is a good deal longer.', 'End.']);
    expect(telemetry.filter((t) => t.type_id === 'tts.start')).toHaveLength(2);
    const [long, short] = done.map((d) => Number(d.audio_samples));
    expect(long).toBeGreaterThan((short ?? 0) * 3);
    const { samples, rates, gaps } = audio(packets);
    expect([...rates]).toEqual([24_000]);
    expect(gaps).toBe(0);
    expect(samples.length).toBe((long ?? 0) + (short ?? 0));
    expect(telemetry.find((t) => t.data.status === 'loaded')?.data).toMatchObject({ model: 'kokoro-tiny-random' });
  }, 60_000);

  it('voices differ, and speaker_id picks one by its number', async () => {
    const heart = await runThroughNode(
      [kokoro],
      'plugin::native::kokoro',
      { ...MODEL, voice: 'af_heart' },
      input(),
      OPEN,
    );
    const adam = await runThroughNode(
      [kokoro],
      'plugin::native::kokoro',
      { ...MODEL, voice: 'am_adam' },
      input(),
      OPEN,
    );
    expect(adam.result.state, String(adam.result.error)).toBe('done');
    const a = audio(heart.packets).samples;
    const b = audio(adam.packets).samples;
    expect(a.length).toBe(b.length);
    expect(a.some((v, i) => Math.abs(v - (b[i] ?? 0)) > 0.1)).toBe(true);
    const byNumber = await runThroughNode(
      [kokoro],
      'plugin::native::kokoro',
      { ...MODEL, speaker_id: 0 },
      input(),
      OPEN,
    );
    expect(byNumber.result.state, String(byNumber.result.error)).toBe('done');
    expect(audio(byNumber.packets).samples).toEqual(a); // kokoro-js's first voice is af_heart
  }, 60_000);

  it('names a voice the model folder lacks, and a model that is not there', async () => {
    const voice = await runThroughNode([kokoro], 'plugin::native::kokoro', { ...MODEL, voice: 'bf_emma' }, input());
    expect(voice.result.state).toBe('failed');
    expect(String(voice.result.error?.message)).toMatch(
      /\[plugin::native::kokoro#node\] start: the voice 'bf_emma' cannot be used: 'models\/kokoro-tiny-random\/voices\/bf_emma\.bin' could not be read/,
    );
    const model = await runThroughNode(
      [kokoro],
      'plugin::native::kokoro',
      { model_dir: 'models/kokoro-multi-lang-v1_1' },
      input(),
    );
    expect(model.result.state).toBe('failed');
    expect(String(model.result.error?.message)).toMatch(
      /the Kokoro model 'models\/kokoro-multi-lang-v1_1' could not be loaded.*--models/,
    );
  }, 60_000);
});
