/**
 * Params StreamKit's own sample pipelines set on kinds Weft has, honoured rather than refused:
 * `audio::resampler` `channels` (its speech samples resample to mono 16 kHz) and
 * `audio::opus::encoder` `frame_size` (samples at 48 kHz per Opus frame).
 */
import { describe, expect, it } from 'vitest';
import { probe, runText } from './harness';

describe("StreamKit's sample params", () => {
  it('audio::resampler channels: 1 mixes stereo down to mono at the new rate', async () => {
    const { result, outputs } = await runText(`
mode: oneshot
nodes:
  tone: { kind: audio::sine, params: { duration_ms: 200, channels: 2, sample_rate: 48000 } }
  resample: { kind: audio::resampler, params: { target_sample_rate: 16000, channels: 1, output_frame_size: 320 } }
  enc: { kind: audio::encoder, params: { codec: pcm-s16 } }
  mux: { kind: containers::muxer, params: { format: wav } }
  output: { kind: streamkit::http_output }
connections:
  - { from_node: tone, from_pin: out, to_node: resample, to_pin: in }
  - { from_node: resample, from_pin: out, to_node: enc, to_pin: in }
  - { from_node: enc, from_pin: out, to_node: mux, to_pin: in }
  - { from_node: mux, from_pin: out, to_node: output, to_pin: in }
`);
    expect(result.error?.message).toBeUndefined();
    const p = await probe('mono.wav', outputs.get('output')?.bytes() ?? new Uint8Array());
    expect(p.streams[0]).toMatchObject({ codec_type: 'audio', channels: 1, sample_rate: '16000' });
    expect(Number(p.format.duration)).toBeCloseTo(0.2, 2);
  });

  it('audio::opus::encoder frame_size sets the Opus frame length', async () => {
    const { result, outputs } = await runText(`
mode: oneshot
nodes:
  tone: { kind: audio::sine, params: { duration_ms: 400, channels: 1 } }
  enc: { kind: audio::opus::encoder, params: { bitrate: 64000, frame_size: 480 } }
  mux: { kind: containers::ogg::muxer }
  output: { kind: streamkit::http_output }
connections:
  - { from_node: tone, from_pin: out, to_node: enc, to_pin: in }
  - { from_node: enc, from_pin: out, to_node: mux, to_pin: in }
  - { from_node: mux, from_pin: out, to_node: output, to_pin: in }
`);
    expect(result.error?.message).toBeUndefined();
    const p = await probe('ten-ms.ogg', outputs.get('output')?.bytes() ?? new Uint8Array());
    // 400 ms in 10 ms frames: about 40 packets (20 ms frames would make about 20).
    expect(Number(p.streams[0]?.nb_read_frames)).toBeGreaterThanOrEqual(38);
  });

  it('refuses a frame_size Opus has no frame for, naming the allowed sizes', async () => {
    const { result } = await runText(`
mode: oneshot
nodes:
  tone: { kind: audio::sine, params: { duration_ms: 100 } }
  enc: { kind: audio::opus::encoder, params: { frame_size: 1000 }, needs: tone }
  out: { kind: core::sink, needs: enc }
`).catch((error: Error) => ({ result: { error } }));
    expect(result.error?.message).toContain('120, 240, 480, 960, 1920, 2880');
  });
});
