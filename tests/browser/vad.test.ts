/**
 * plugin::native::vad with real Silero inference (the v5 weights @ricky0123/vad-web ships) on
 * speech espeak-ng says, with known silences between the phrases: one speech_start per phrase
 * within ±100 ms of where its sound starts, ends after it; filtered_audio keeps the speech and
 * drops the silence; StreamKit's event shape; the wrong rate refused naming the pin.
 */
import { commands } from 'vitest/browser';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { NodeHost, Pipeline } from '../../src/engine';
import sileroV6Url from '@ricky0123/vad-web/dist/silero_vad_v6.onnx?url';
import { closePacket, defineNode, micros, NodeError, NodeRegistry, Session } from '../../src/engine';
import { makeAudioData } from '../../src/nodes/media/audio-data';
import { vad, VAD_EVENT_TYPE_ID } from '../../src/nodes/ml/vad';
import { Recorder, testNodes } from '../support/fakes';

const RATE = 16_000;
/** StreamKit's vad-demo feeds 960-frame chunks. */
const CHUNK = 960;
const PHRASES = ['Hello there, this is a test.', 'The quick brown fox jumps over the lazy dog.', 'Goodbye now.'];
const GAP_MS = 1200;

/** Feeds the samples as audio chunks of CHUNK frames at `rate`. */
function feed(samples: Float32Array, rate = RATE) {
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
          const timestamp = micros((at * 1_000_000) / rate);
          await io.output('out').send({
            kind: 'raw_audio',
            data: makeAudioData({ sampleRate: rate, channels: [plane], timestamp }),
            meta: { timestamp, duration: micros((plane.length * 1_000_000) / rate) },
          });
        }
      },
    }),
  });
}

async function speech() {
  const spoken = await commands.speech('vad-phrases', PHRASES, GAP_MS);
  const bytes = Uint8Array.from(atob(spoken.pcm), (c) => c.charCodeAt(0));
  return { ...spoken, samples: new Float32Array(bytes.buffer) };
}

async function run(samples: Float32Array, params: Record<string, unknown>, rate = RATE, host?: NodeHost) {
  const recorder = new Recorder();
  const pipeline: Pipeline = {
    mode: 'oneshot',
    nodes: {
      src: { kind: 'test::speech' },
      vad: { kind: 'plugin::native::vad', params },
      out: { kind: 'test::collect', params: { keep_frames_open: true } },
    },
    connections: [
      { from_node: 'src', from_pin: 'out', to_node: 'vad', to_pin: 'in' },
      { from_node: 'vad', from_pin: 'out', to_node: 'out', to_pin: 'in' },
    ],
  };
  const registry = new NodeRegistry([feed(samples, rate), vad, ...testNodes(recorder)]);
  const result = await new Session(pipeline, { registry, statsIntervalMs: 0, ...(host ? { host } : {}) }).result();
  return { result, packets: recorder.get('out') };
}

describe('plugin::native::vad (Silero, real inference)', () => {
  it('finds each spoken phrase: onsets within ±100 ms, ends after the speech', async () => {
    const { samples, spans } = await speech();
    expect(spans).toHaveLength(PHRASES.length);
    const { result, packets } = await run(samples, { output_mode: 'events', model_path: 'models/ten-vad.onnx' });
    expect(result.state, String(result.error)).toBe('done');
    type VadEvent = { type_id: string; event_type: string; timestamp_ms: number; duration_ms?: number };
    const events: VadEvent[] = packets.map((p) =>
      p.kind === 'json' ? ({ type_id: p.type_id, ...(p.data as object) } as VadEvent) : ({} as VadEvent),
    );
    const starts = events.filter((e) => e.event_type === 'speech_start');
    const ends = events.filter((e) => e.event_type === 'speech_end');
    expect(events.every((e) => e.type_id === VAD_EVENT_TYPE_ID)).toBe(true);
    expect(starts).toHaveLength(PHRASES.length);
    expect(ends).toHaveLength(PHRASES.length);
    for (const [i, span] of spans.entries()) {
      expect(Math.abs((starts[i]?.timestamp_ms ?? 0) - span.startMs), `phrase ${i} onset`).toBeLessThanOrEqual(100);
      // The end is announced after the trailing silence it waited for (min_silence 0.5 s).
      expect(ends[i]?.timestamp_ms ?? 0).toBeGreaterThan(span.endMs - 150);
      expect(ends[i]?.timestamp_ms ?? 0).toBeLessThan((spans[i + 1]?.startMs ?? Infinity) - 100);
      expect(ends[i]?.duration_ms).toBe((ends[i]?.timestamp_ms ?? 0) - (starts[i]?.timestamp_ms ?? 0));
    }
  }, 60_000);

  it('filtered_audio keeps the speech and drops the silence between phrases', async () => {
    const { samples, spans, durationMs } = await speech();
    const { result, packets } = await run(samples, { output_mode: 'filtered_audio' });
    expect(result.state, String(result.error)).toBe('done');
    const kept = packets.reduce(
      (ms, p) => ms + (p.kind === 'raw_audio' ? (p.data.numberOfFrames * 1000) / RATE : 0),
      0,
    );
    const spoken = spans.reduce((ms, s) => ms + (s.endMs - s.startMs), 0);
    expect(kept).toBeGreaterThan(spoken * 0.9);
    expect(kept).toBeLessThan(durationMs - (PHRASES.length + 1) * GAP_MS * 0.5);
    // Every packet kept overlaps speech (plus the tail the segment waits for).
    for (const p of packets) {
      const at = (p.meta.timestamp ?? 0) / 1000;
      expect(
        spans.some((s) => at >= s.startMs - 150 && at <= s.endMs + 600),
        `packet at ${at} ms`,
      ).toBe(true);
    }
    expect(result.openFrames).toBe(packets.length); // only the collector's, kept open to look at
    packets.forEach(closePacket);
  }, 60_000);

  it('uses a Silero model from the host’s models folder, and names the model it cannot find', async () => {
    const { samples, spans } = await speech();
    // The host's models folder holds Silero v6 (another set of weights, the same interface).
    const models: NodeHost = {
      openAsset: async (path) => {
        if (path !== 'models/silero_vad.onnx') throw new Error(`no asset '${path}' (HTTP 404)`);
        return (await fetch(sileroV6Url)).blob();
      },
    };
    const { result, packets } = await run(samples, { model_path: 'models/silero_vad.onnx' }, RATE, models);
    expect(result.state, String(result.error)).toBe('done');
    const starts = packets.filter(
      (p) => p.kind === 'json' && (p.data as { event_type: string }).event_type === 'speech_start',
    );
    expect(starts).toHaveLength(spans.length);
    const missing = await run(samples, { model_path: 'models/silero_vad_v9.onnx' }, RATE, models);
    expect(missing.result.state).toBe('failed');
    expect(String(missing.result.error?.message)).toMatch(
      /\[plugin::native::vad#vad\] start: the VAD model 'models\/silero_vad_v9.onnx' could not be read.*--models/,
    );
  }, 60_000);

  it('refuses audio that is not 16 kHz, naming the pin and the fix', async () => {
    const { result } = await run(new Float32Array(48_000), {}, 48_000);
    expect(result.state).toBe('failed');
    expect(result.error).toBeInstanceOf(NodeError);
    expect(String(result.error?.message)).toMatch(/\[plugin::native::vad#vad:in\].*16 kHz.*audio::resampler/);
  });
});
