/**
 * Models on WebGPU: real transformers.js inference on onnxruntime-web's WebGPU backend, with the
 * tiny random OPUS-MT and Whisper the project makes itself, in a Chromium with WebGPU on Vulkan (SwiftShader
 * where the machine has no GPU: the plumbing is checked here, not speed). A software adapter is
 * used only when the pipeline asks for the GPU; left to choose, the model runs on WebAssembly.
 */
import { commands } from 'vitest/browser';
import { describe, expect, it } from 'vitest';
import type { Packet } from '../../src/engine';
import { micros } from '../../src/engine';
import { makeAudioData } from '../../src/nodes/media/audio-data';
import { helsinki } from '../../src/nodes/ml/translate';
import { whisper } from '../../src/nodes/ml/whisper';
import { runThroughNode } from '../browser/harness';

const INPUT: Packet[] = [
  { kind: 'text', text: 'Good morning.', meta: { timestamp: micros(0) } },
  { kind: 'text', text: 'How are you today?', meta: { timestamp: micros(1_000_000) } },
];
const MODEL = { model_dir: 'models/opus-mt-tiny-random', max_length: 10 };

describe('ML models on WebGPU', () => {
  it('device: cuda runs the model on WebGPU and translates each text', async () => {
    const { result, packets, telemetry } = await runThroughNode(
      [helsinki],
      'plugin::native::helsinki',
      { ...MODEL, device: 'cuda' },
      INPUT,
    );
    expect(result.state, String(result.error)).toBe('done');
    expect(telemetry.at(-1)?.data).toMatchObject({ status: 'loaded', device: 'webgpu' });
    expect(packets.map((p) => p.kind)).toEqual(['text', 'text']);
    expect(packets.map((p) => p.meta.timestamp)).toEqual([0, 1_000_000]);
  }, 60_000);

  it('left to choose, a software adapter is passed over for WebAssembly, saying so', async () => {
    const { result, telemetry } = await runThroughNode([helsinki], 'plugin::native::helsinki', MODEL, INPUT);
    expect(result.state, String(result.error)).toBe('done');
    expect(telemetry.at(-1)?.data).toMatchObject({ status: 'loaded', device: 'wasm' });
    expect(String(telemetry.at(-1)?.data.reason)).toMatch(/software WebGPU adapter/);
  }, 60_000);
});

describe('Whisper on WebGPU', () => {
  it('use_gpu: true transcribes each spoken phrase on WebGPU', async () => {
    const phrases = ['Good morning everyone.', 'See you later.'];
    const spoken = await commands.speech('gpu-phrases', phrases, 1000);
    const bytes = Uint8Array.from(atob(spoken.pcm), (c) => c.charCodeAt(0));
    const samples = new Float32Array(bytes.buffer);
    const chunk = 960;
    const input: Packet[] = [];
    for (let at = 0; at < samples.length; at += chunk) {
      const timestamp = micros((at * 1_000_000) / 16_000);
      const data = makeAudioData({ sampleRate: 16_000, channels: [samples.slice(at, at + chunk)], timestamp });
      input.push({ kind: 'raw_audio', data, meta: { timestamp } });
    }
    const { result, packets, telemetry } = await runThroughNode(
      [whisper],
      'plugin::native::whisper',
      { model_path: 'models/whisper-tiny-random', use_gpu: true, max_new_tokens: 4, min_silence_duration_ms: 500 },
      input,
    );
    expect(result.state, String(result.error)).toBe('done');
    expect(telemetry.find((t) => t.data.status === 'loaded')?.data).toMatchObject({ device: 'webgpu' });
    expect(packets.map((p) => p.kind)).toEqual(['transcription', 'transcription']);
  }, 120_000);
});
