/**
 * plugin::native::whisper with real transformers.js inference on a tiny Whisper the project makes
 * itself (scripts/tiny-models.ts: the right files and graph inputs, random weights): the plumbing,
 * not the words. Silero VAD cuts espeak-ng speech into one segment per phrase, each becomes one
 * Transcription packet whose time is the phrase's (±150 ms); a model that is not there fails
 * naming the node, the folder StreamKit's file name maps to, and where Weft looks.
 */
import { commands } from 'vitest/browser';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { NodeHost, Pipeline } from '../../src/engine';
import { defineNode, micros, NodeRegistry, Session } from '../../src/engine';
import { makeAudioData } from '../../src/nodes/media/audio-data';
import { whisper, whisperFolder } from '../../src/nodes/ml/whisper';
import { Recorder, testNodes } from '../support/fakes';
import { testModelAsset } from './harness';

const RATE = 16_000;
const CHUNK = 960;
const PHRASES = ['Good morning everyone.', 'Speech becomes text here.', 'See you later.'];

function feed(samples: Float32Array) {
  return defineNode({
    kind: 'test::speech',
    version: 1,
    description: 'Feeds spoken test audio.',
    categories: ['test'],
    params: z.strictObject({}),
    inputs: [],
    outputs: [{ name: 'out', produces: { kind: 'raw_audio' }, cardinality: 'broadcast' }],
    create: () => ({
      async run(io) {
        for (let at = 0; at < samples.length; at += CHUNK) {
          const plane = samples.slice(at, at + CHUNK);
          const timestamp = micros((at * 1_000_000) / RATE);
          await io.output('out').send({
            kind: 'raw_audio',
            data: makeAudioData({ sampleRate: RATE, channels: [plane], timestamp }),
            meta: { timestamp },
          });
        }
      },
    }),
  });
}

async function run(samples: Float32Array, params: Record<string, unknown>) {
  const recorder = new Recorder();
  const pipeline: Pipeline = {
    mode: 'oneshot',
    nodes: {
      src: { kind: 'test::speech' },
      stt: { kind: 'plugin::native::whisper', params },
      out: { kind: 'test::collect' },
    },
    connections: [
      { from_node: 'src', from_pin: 'out', to_node: 'stt', to_pin: 'in' },
      { from_node: 'stt', from_pin: 'out', to_node: 'out', to_pin: 'in' },
    ],
  };
  const host: NodeHost = { openAsset: testModelAsset };
  const registry = new NodeRegistry([feed(samples), whisper, ...testNodes(recorder)]);
  const session = new Session(pipeline, { registry, host, statsIntervalMs: 0 });
  const progress: unknown[] = [];
  const vadEvents: { type_id: string; data: Record<string, unknown> }[] = [];
  session.on((e) => {
    if (e.event !== 'nodetelemetry') return;
    if (e.type_id === 'model.progress') progress.push(e.data);
    if (e.type_id.startsWith('vad.')) vadEvents.push({ type_id: e.type_id, data: e.data as Record<string, unknown> });
  });
  const result = await session.result();
  return { result, packets: recorder.get('out'), progress, vadEvents };
}

async function speech() {
  const spoken = await commands.speech('stt-phrases', PHRASES, 1000);
  const bytes = Uint8Array.from(atob(spoken.pcm), (c) => c.charCodeAt(0));
  return { spans: spoken.spans, samples: new Float32Array(bytes.buffer) };
}

describe('plugin::native::whisper (transformers.js, tiny random Whisper)', () => {
  it('maps StreamKit’s whisper.cpp model files to transformers.js folders', () => {
    expect(whisperFolder('models/ggml-base.en-q5_1.bin')).toBe('whisper-base.en');
    expect(whisperFolder('models/ggml-tiny.bin')).toBe('whisper-tiny');
    expect(whisperFolder('models/ggml-large-v3-turbo-q5_0.bin')).toBe('whisper-large-v3-turbo');
    expect(whisperFolder('models/whisper-small')).toBe('whisper-small');
  });

  it('one Transcription per spoken phrase, at the phrase’s time', async () => {
    const { samples, spans } = await speech();
    const { result, packets, progress, vadEvents } = await run(samples, {
      model_path: 'models/whisper-tiny-random',
      language: 'es',
      max_new_tokens: 8,
      min_silence_duration_ms: 500,
      emit_vad_events: true,
    });
    expect(result.state, String(result.error)).toBe('done');
    expect(packets).toHaveLength(PHRASES.length);
    // Loading is reported as it goes (telemetry the studio's monitor and the WebSocket show).
    expect(progress).toContainEqual(
      expect.objectContaining({ model: 'whisper-tiny-random', status: 'done', file: 'onnx/encoder_model.onnx' }),
    );
    for (const [i, packet] of packets.entries()) {
      if (packet.kind !== 'transcription') throw new Error(`packet ${i} is ${packet.kind}`);
      // What the tiny decoder spells (TINY_DECODER_TEXT), cut at max_new_tokens.
      expect(packet.text.length).toBeGreaterThan(0);
      expect('quick brown'.startsWith(packet.text)).toBe(true);
      expect(packet.language).toBe('es');
      const segment = packet.segments[0];
      expect(segment?.text).toBe(packet.text);
      // The segment's time is the VAD's onset (a soft 's' is heard a little late): within 150 ms.
      expect(Math.abs((segment?.start ?? 0) / 1000 - (spans[i]?.startMs ?? 0)), `phrase ${i}`).toBeLessThanOrEqual(150);
      expect((segment?.end ?? 0) / 1000).toBeGreaterThan((spans[i]?.endMs ?? 0) - 150);
      expect(packet.meta.timestamp).toBe(segment?.start);
      // emit_vad_events: StreamKit's out-of-band speech_start / speech_end telemetry, one pair per segment.
      const [started, ended] = [vadEvents[2 * i], vadEvents[2 * i + 1]];
      expect(started?.type_id).toBe('vad.speech_start');
      expect(started?.data.start_time_ms).toBe((segment?.start ?? 0) / 1000);
      expect(ended?.type_id).toBe('vad.speech_end');
      expect(ended?.data.segment_id).toBe(started?.data.segment_id);
      expect(ended?.data.end_time_ms).toBe((segment?.end ?? 0) / 1000);
      expect(ended?.data.reason).toMatch(i === PHRASES.length - 1 ? /^(silence|end_of_stream)$/ : /^silence$/);
    }
    expect(vadEvents).toHaveLength(2 * PHRASES.length);
  }, 120_000);

  it('names the model it cannot find, the folder it looked for and where', async () => {
    const { result, vadEvents } = await run(new Float32Array(16_000), { model_path: 'models/ggml-base.en-q5_1.bin' });
    expect(result.state).toBe('failed');
    expect(vadEvents).toEqual([]);
    expect(String(result.error?.message)).toMatch(
      /\[plugin::native::whisper#stt\] start: the Whisper model 'models\/whisper-base\.en' \(model_path 'models\/ggml-base\.en-q5_1\.bin'\) could not be loaded.*--models/,
    );
  }, 60_000);
});
