import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Packet, Pipeline } from '../../src/engine';
import { closePacket, defineNode, micros, NodeRegistry, Session } from '../../src/engine';
import { mixer } from '../../src/nodes/audio/mixer';
import { makeAudioData, readPlanar } from '../../src/nodes/media/audio-data';
import { Recorder, testNodes } from '../support/fakes';

const CHUNK = 960; // 20 ms at 48 kHz

function chunk(i: number, value: number, rate = 48_000): Packet {
  const frames = Math.round((CHUNK * rate) / 48_000);
  const timestamp = micros(i * 20_000);
  return {
    kind: 'raw_audio',
    data: makeAudioData({ sampleRate: rate, channels: [new Float32Array(frames).fill(value)], timestamp }),
    meta: { timestamp },
  };
}

/**
 * A live-like source: waits `delay` ms, then sends `count` 20 ms chunks of `value`, one every
 * `every` ms (0: all at once), with a pause of `gap` ms after chunk `gap_after`.
 */
const live = defineNode({
  kind: 'test::live_audio',
  version: 1,
  description: 'Sends constant-valued 20 ms chunks on a schedule.',
  categories: ['test'],
  params: z.strictObject({
    value: z.number(),
    count: z.number().int(),
    every: z.number().default(20),
    delay: z.number().default(0),
    gap: z.number().default(0),
    gap_after: z.number().int().default(-1),
    rate: z.number().int().default(48_000),
  }),
  inputs: [],
  outputs: [{ name: 'out', produces: { kind: 'raw_audio' }, cardinality: 'broadcast' }],
  create: (ctx) => ({
    async run(io) {
      const p = ctx.params;
      const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
      // The schedule is absolute (no drift), and the pause moves the rest of it later.
      let origin = performance.now() + p.delay;
      await pause(p.delay);
      for (let i = 0; i < p.count; i++) {
        if (p.every > 0) await pause(origin + i * p.every - performance.now());
        await io.output('out').send(chunk(i, p.value, p.rate));
        if (i === p.gap_after) {
          origin += p.gap;
          await pause(p.gap);
        }
      }
    },
  }),
});

/** Runs two sources into a mixer in a dynamic session until the mixer has finished. */
async function mix(
  a: Record<string, number>,
  b: Record<string, number>,
  params: Record<string, unknown>,
  mode: 'dynamic' | 'oneshot' = 'dynamic',
): Promise<{ packets: Packet[]; values: number[]; frames: number[]; error?: string }> {
  const recorder = new Recorder();
  const pipeline: Pipeline = {
    mode,
    nodes: {
      a: { kind: 'test::live_audio', params: a },
      b: { kind: 'test::live_audio', params: b },
      mix: { kind: 'audio::mixer', params: { ...params, num_inputs: 2 } },
      out: { kind: 'test::collect', params: { keep_frames_open: true } },
    },
    connections: [
      { from_node: 'a', from_pin: 'out', to_node: 'mix', to_pin: 'in_0' },
      { from_node: 'b', from_pin: 'out', to_node: 'mix', to_pin: 'in_1' },
      { from_node: 'mix', from_pin: 'out', to_node: 'out', to_pin: 'in' },
    ],
  };
  const session = new Session(pipeline, {
    registry: new NodeRegistry([live, mixer, ...testNodes(recorder)]),
    statsIntervalMs: 0,
  });
  let error: string | undefined;
  const finished = new Promise<void>((resolve) =>
    session.on((e) => {
      if (e.event === 'nodestatechanged' && e.node_id === 'out' && (e.state === 'done' || e.state === 'failed'))
        resolve();
      if (e.event === 'nodestatechanged' && e.node_id === 'mix' && e.state === 'failed') {
        error = e.error?.message;
        resolve();
      }
    }),
  );
  session.start();
  if (mode === 'dynamic') {
    await finished;
    session.stop();
  }
  const result = await session.result();
  error ??= result.error?.message;
  const packets = recorder.get('out');
  // The value in the middle of each packet (sources are constant, so a sum shows who was heard).
  const values = packets.map((p) =>
    p.kind === 'raw_audio' ? (readPlanar(p.data).channels[0]?.[p.data.numberOfFrames >> 1] ?? NaN) : NaN,
  );
  const frames = packets.map((p) => (p.kind === 'raw_audio' ? p.data.numberOfFrames : 0));
  expect(result.openFrames).toBe(packets.length);
  packets.forEach(closePacket);
  return { packets, values, frames, ...(error ? { error } : {}) };
}

function expectContiguous(packets: Packet[]): void {
  for (let i = 1; i < packets.length; i++) {
    const prev = packets[i - 1]?.meta;
    expect(packets[i]?.meta.timestamp).toBe((prev?.timestamp ?? 0) + (prev?.duration ?? 0));
  }
}

const near = (x: number, y: number): boolean => Math.abs(x - y) < 1e-6;

describe('audio::mixer', () => {
  it('dynamic: mixes without an input that has gone quiet once sync_timeout_ms has passed', async () => {
    // b sends 3 chunks and then nothing for 600 ms before its last 3: a keeps going meanwhile.
    const { values, packets } = await mix(
      { value: 0.25, count: 30 },
      { value: 0.5, count: 6, gap: 600, gap_after: 2 },
      { sync_timeout_ms: 100 },
    );
    expectContiguous(packets);
    const aAlone = values.filter((v) => near(v, 0.25)).length;
    expect(aAlone).toBeGreaterThanOrEqual(10); // ~20 ticks while b was quiet
    expect(values.filter((v) => near(v, 0.75)).length).toBeGreaterThanOrEqual(3);
  });

  it('dynamic with sync_timeout_ms null waits for every input (nothing is mixed alone)', async () => {
    const { values } = await mix(
      { value: 0.25, count: 10 },
      { value: 0.5, count: 10, delay: 150 },
      { sync_timeout_ms: null },
    );
    expect(values.every((v) => near(v, 0.75))).toBe(true);
    expect(values).toHaveLength(10);
  });

  it('clocked: one frame per tick with contiguous timestamps; a late or paused input adds silence', async () => {
    const started = performance.now();
    const { packets, values, frames } = await mix(
      { value: 0.25, count: 25 },
      { value: 0.5, count: 10, delay: 100, gap: 200, gap_after: 4 },
      { clocked: { frame_samples_per_channel: 960, jitter_buffer_frames: 2 } },
    );
    const elapsed = performance.now() - started;
    expectContiguous(packets);
    expect(new Set(frames)).toEqual(new Set([960]));
    // 25 chunks of a (500 ms): the mix takes about as long, not as long as the inputs' total.
    expect(elapsed).toBeGreaterThanOrEqual(400);
    expect(values.filter((v) => near(v, 0.75)).length).toBeGreaterThanOrEqual(6);
    expect(values.filter((v) => near(v, 0.25)).length).toBeGreaterThanOrEqual(6);
    // Every chunk of both inputs is heard exactly once: the sums add up.
    const total = values.reduce((s, v) => s + v, 0);
    expect(total, values.join(' ')).toBeCloseTo(25 * 0.25 + 10 * 0.5, 5);
  });

  it('clocked: an input that bursts far ahead is cut to its jitter buffer (latency stays bounded)', async () => {
    const { values } = await mix(
      { value: 0.25, count: 40, every: 0 },
      { value: 0, count: 1 },
      { clocked: { jitter_buffer_frames: 2, generate_silence: false } },
    );
    // At most 2 × 2 frames are kept of the 40 that arrived at once.
    const heard = values.filter((v) => near(v, 0.25)).length;
    expect(heard).toBeGreaterThanOrEqual(2);
    expect(heard).toBeLessThanOrEqual(5);
  });

  it('clocked in a oneshot run mixes data-driven (no clock) with the clocked frame size', async () => {
    const started = performance.now();
    const { values, packets, frames } = await mix(
      { value: 0.25, count: 50, every: 0 },
      { value: 0.5, count: 50, every: 0 },
      { clocked: { frame_samples_per_channel: 480 } },
      'oneshot',
    );
    expect(performance.now() - started).toBeLessThan(900); // 1 s of audio, not paced
    expect(packets).toHaveLength(100);
    expect(new Set(frames)).toEqual(new Set([480]));
    expect(values.every((v) => near(v, 0.75))).toBe(true);
  });

  it('clocked: an input at another rate fails naming the pin and the resampler to add', async () => {
    const { error } = await mix(
      { value: 0.25, count: 5 },
      { value: 0.5, count: 5, rate: 44_100 },
      { clocked: { sample_rate: 48_000 } },
    );
    expect(error).toMatch(/in_1.*44100 Hz.*48000 Hz.*audio::resampler/s);
  });
});
