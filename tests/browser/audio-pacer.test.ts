import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Packet, Pipeline } from '../../src/engine';
import { closePacket, defineNode, micros, NodeRegistry, Session } from '../../src/engine';
import { audioPacer } from '../../src/nodes/audio/pacer';
import { makeAudioData, readPlanar } from '../../src/nodes/media/audio-data';
import { Recorder, testNodes } from '../support/fakes';

const RATE = 48_000;
const CHUNK = RATE / 50; // 20 ms

function tone(i: number): Packet {
  const plane = Float32Array.from({ length: CHUNK }, () => 0.5);
  const timestamp = micros(i * 20_000);
  return {
    kind: 'raw_audio',
    data: makeAudioData({ sampleRate: RATE, channels: [plane], timestamp }),
    meta: { timestamp },
  };
}

/** A live-like source: `before` ms of nothing, 5 chunks, `gap` ms of nothing, 5 chunks. */
const bursty = defineNode({
  kind: 'test::bursty',
  version: 1,
  description: 'Sends audio in two bursts with a pause.',
  categories: ['test'],
  params: z.strictObject({ before: z.number().default(0), gap: z.number().default(0) }),
  inputs: [],
  outputs: [{ name: 'out', produces: { kind: 'raw_audio' }, cardinality: 'broadcast' }],
  create: (ctx) => ({
    async run(io) {
      const out = io.output('out');
      const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
      await pause(ctx.params.before);
      for (let i = 0; i < 5; i++) await out.send(tone(i));
      await pause(ctx.params.gap);
      for (let i = 5; i < 10; i++) await out.send(tone(i));
    },
  }),
});

async function run(source: Record<string, number>, pacer: Record<string, unknown>) {
  const recorder = new Recorder();
  const pipeline: Pipeline = {
    mode: 'oneshot',
    nodes: {
      src: { kind: 'test::bursty', params: source },
      pace: { kind: 'audio::pacer', params: pacer },
      out: { kind: 'test::collect', params: { keep_frames_open: true } },
    },
    connections: [
      { from_node: 'src', from_pin: 'out', to_node: 'pace', to_pin: 'in' },
      { from_node: 'pace', from_pin: 'out', to_node: 'out', to_pin: 'in' },
    ],
  };
  const registry = new NodeRegistry([bursty, audioPacer, ...testNodes(recorder)]);
  const started = performance.now();
  const result = await new Session(pipeline, { registry, statsIntervalMs: 0 }).run();
  const elapsed = performance.now() - started;
  const packets = recorder.get('out');
  const silent = packets.filter((p) => p.kind === 'raw_audio' && readPlanar(p.data).channels[0]?.[0] === 0).length;
  const first = packets[0]?.kind === 'raw_audio' ? packets[0].data.numberOfChannels : 0;
  // The collector kept the frames open for inspection: they are the only open ones.
  expect(result.openFrames).toBe(packets.length);
  packets.forEach(closePacket);
  return { elapsed, packets, silent, firstChannels: first };
}

/** Timestamps follow each other with no gap or overlap. */
function expectContiguous(packets: Packet[]): void {
  for (let i = 1; i < packets.length; i++) {
    const prev = packets[i - 1]?.meta;
    expect(packets[i]?.meta.timestamp).toBe((prev?.timestamp ?? 0) + (prev?.duration ?? 0));
  }
}

describe('audio::pacer', () => {
  it('releases audio in real time and adds nothing when the input keeps up', async () => {
    const { elapsed, packets, silent } = await run({}, { generate_silence: false });
    expect(packets).toHaveLength(10);
    expect(silent).toBe(0);
    expect(elapsed).toBeGreaterThanOrEqual(170); // 200 ms of audio, first chunk at once
    expectContiguous(packets);
  });

  it('fills a gap in the input with silence and keeps timestamps continuous', async () => {
    const { packets, silent } = await run({ gap: 400 }, {});
    expect(packets.length - silent).toBe(10);
    expect(silent).toBeGreaterThanOrEqual(5); // ~18 expected for a 400 ms gap
    expectContiguous(packets);
  });

  it('sends silence in the initial format before the first frame arrives', async () => {
    const { packets, silent, firstChannels } = await run(
      { before: 300 },
      { initial_sample_rate: RATE, initial_channels: 2, generate_silence: true },
    );
    expect(firstChannels).toBe(2); // the initial format, not the input's mono
    expect(silent).toBeGreaterThanOrEqual(5);
    expect(packets.length - silent).toBe(10);
    expectContiguous(packets);
  });
});
