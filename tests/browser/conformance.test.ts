import { beforeAll, describe, expect, it } from 'vitest';
import type { Packet } from '../../src/engine';
import { micros } from '../../src/engine';
import { MEDIA_NODES } from '../../src/nodes';
import { makeAudioData } from '../../src/nodes/media/audio-data';
import type { Fixture } from '../support/conformance';
import { conformance } from '../support/conformance';
import { media, MemorySink, testModelAsset } from './harness';
import { AUDIO_ONLY, FLAC_TONE, MONO_WAV, VP9_OPUS } from './inputs';

const W = 160;
const H = 120;
const FRAME_US = 40_000;

function frame(i: number): Packet {
  const canvas = new OffscreenCanvas(W, H);
  const g = canvas.getContext('2d');
  if (g) {
    g.fillStyle = `hsl(${i * 40} 70% 50%)`;
    g.fillRect(0, 0, W, H);
  }
  const timestamp = micros(i * FRAME_US);
  return {
    kind: 'raw_video',
    frame: new VideoFrame(canvas, { timestamp, duration: FRAME_US }),
    meta: { timestamp, duration: micros(FRAME_US) },
  };
}
const frames = (n: number) => () => Array.from({ length: n }, (_, i) => frame(i));

function tone(i: number, rate = 48_000): Packet {
  const n = rate / 50;
  const plane = Float32Array.from({ length: n }, (_, k) => 0.25 * Math.sin((2 * Math.PI * 440 * (i * n + k)) / rate));
  const timestamp = micros((i * n * 1e6) / rate);
  return {
    kind: 'raw_audio',
    data: makeAudioData({ sampleRate: rate, channels: [plane, plane], timestamp }),
    meta: { timestamp },
  };
}
const tones = (n: number, rate?: number) => () => Array.from({ length: n }, (_, i) => tone(i, rate));

/** Encoded material made once with WebCodecs: VP9, AV1, H.264 video; Opus audio. */
const encoded: Record<
  string,
  { chunks: EncodedVideoChunk[] | EncodedAudioChunk[]; config: VideoDecoderConfig | AudioDecoderConfig }
> = {};

async function encodeVideo(codec: string): Promise<void> {
  const chunks: EncodedVideoChunk[] = [];
  let config: VideoDecoderConfig | undefined;
  const encoder = new VideoEncoder({
    output: (c, m) => {
      chunks.push(c);
      config ??= m?.decoderConfig;
    },
    error: (e) => {
      throw e;
    },
  });
  encoder.configure({
    codec,
    width: W,
    height: H,
    bitrate: 300_000,
    ...(codec.startsWith('avc1') ? { avc: { format: 'avc' as const } } : {}),
  });
  for (const p of frames(5)()) {
    if (p.kind === 'raw_video') {
      encoder.encode(p.frame, { keyFrame: p.meta.timestamp === 0 });
      p.frame.close();
    }
  }
  await encoder.flush();
  encoder.close();
  encoded[codec] = { chunks, config: config as VideoDecoderConfig };
}

async function encodeOpus(): Promise<void> {
  const chunks: EncodedAudioChunk[] = [];
  let config: AudioDecoderConfig | undefined;
  const encoder = new AudioEncoder({
    output: (c, m) => {
      chunks.push(c);
      config ??= m?.decoderConfig;
    },
    error: (e) => {
      throw e;
    },
  });
  encoder.configure({ codec: 'opus', sampleRate: 48_000, numberOfChannels: 2, bitrate: 64_000 });
  for (const p of tones(10)()) {
    if (p.kind === 'raw_audio') {
      encoder.encode(p.data);
      p.data.close();
    }
  }
  await encoder.flush();
  encoder.close();
  encoded.opus = { chunks, config: config as AudioDecoderConfig };
}

function packetsOf(name: string, kind: 'encoded_video' | 'encoded_audio') {
  return (): Packet[] => {
    const e = encoded[name];
    if (!e) throw new Error(`fixture ${name} not encoded`);
    return e.chunks.map((chunk, i) =>
      kind === 'encoded_video'
        ? {
            kind,
            chunk: chunk,
            config: e.config,
            meta: { timestamp: micros(chunk.timestamp), sequence: i },
          }
        : {
            kind,
            chunk: chunk,
            config: e.config as AudioDecoderConfig,
            meta: { timestamp: micros(chunk.timestamp), sequence: i },
          },
    );
  };
}

let fileBytes: Uint8Array = new Uint8Array();
const fileChunks = (): Packet[] => [{ kind: 'binary', data: fileBytes, meta: {} }];
/** Audio files in the formats of StreamKit's bytes-in decoders, split in two chunks like a stream. */
const audioFiles: Record<string, Uint8Array> = {};
const audioFile = (name: string) => (): Packet[] => {
  const bytes = audioFiles[name] ?? new Uint8Array();
  const half = bytes.length >> 1;
  return [
    { kind: 'binary', data: bytes.subarray(0, half), meta: {} },
    { kind: 'binary', data: bytes.subarray(half), meta: {} },
  ];
};
const pcmOut = (out: Packet[]) => {
  expect(out.length).toBeGreaterThan(0);
  expect(out.every((p) => p.kind === 'raw_audio')).toBe(true);
};
const bytesHost = () => ({
  openInput: () => Promise.resolve(new Blob([fileBytes as Uint8Array<ArrayBuffer>]).stream()),
  openOutput: () => Promise.resolve(new MemorySink()),
  readFile: () => Promise.resolve(new Blob([fileBytes as Uint8Array<ArrayBuffer>]).stream()),
  writeFile: () => Promise.resolve(new MemorySink()),
});

/** A host whose capture devices yield synthetic frames (camera, screen) or tone chunks (microphone). */
const captureHost = () => ({
  openCapture: (_node: string, device: string) =>
    Promise.resolve(
      new ReadableStream<VideoFrame | AudioData>({
        start(controller) {
          for (const p of device === 'microphone' ? tones(4)() : frames(4)()) {
            if (p.kind === 'raw_video') controller.enqueue(p.frame);
            if (p.kind === 'raw_audio') controller.enqueue(p.data);
          }
          controller.close();
        },
      }),
    ),
});

const count = (n: number) => (out: Packet[]) => expect(out).toHaveLength(n);
const some = (out: Packet[]) => expect(out.length).toBeGreaterThan(0);
const vp9 = packetsOf('vp09.00.10.08', 'encoded_video');
const opus = packetsOf('opus', 'encoded_audio');
const video = { kind: 'raw_video' } as const;
const audio = { kind: 'raw_audio' } as const;
const textBad = (): Packet => ({ kind: 'text', text: 'not media', meta: {} });

const demux: Fixture = { inputType: { kind: 'binary' }, input: fileChunks, check: some };
const mux: Fixture = { inputType: { kind: 'encoded_video' }, input: vp9, check: some, badInput: textBad };

/** One fixture per media kind; a kind without one fails the suite. */
const FIXTURES: Record<string, Fixture> = {
  'streamkit::http_input': { host: bytesHost, check: some },
  'streamkit::http_output': { host: bytesHost, inputType: { kind: 'binary' }, input: fileChunks, badInput: textBad },
  'core::file_reader': { params: { path: 'clip.webm' }, host: bytesHost, check: some },
  'core::file_writer': {
    params: { path: 'out.webm' },
    host: bytesHost,
    inputType: { kind: 'binary' },
    input: fileChunks,
    badInput: textBad,
  },
  'containers::demuxer': { ...demux, badInput: textBad },
  'containers::mp4::demuxer': demux,
  'containers::webm::demuxer': demux,
  'containers::ogg::demuxer': { inputType: { kind: 'binary' }, input: fileChunks },
  'containers::muxer': mux,
  'containers::webm::muxer': mux,
  'containers::mp4::muxer': mux,
  'containers::ogg::muxer': { inputType: { kind: 'encoded_audio' }, input: opus, check: some },
  'video::decoder': { inputType: { kind: 'encoded_video' }, input: vp9, check: count(5), badInput: textBad },
  'video::vp9::decoder': { inputType: { kind: 'encoded_video', codec: 'vp9' }, input: vp9, check: count(5) },
  'video::av1::decoder': {
    inputType: { kind: 'encoded_video', codec: 'av1' },
    input: packetsOf('av01.0.04M.08', 'encoded_video'),
    check: count(5),
  },
  'video::encoder': {
    params: { codec: 'vp8' },
    inputType: video,
    input: frames(5),
    check: count(5),
    badInput: textBad,
  },
  'video::vp9::encoder': { inputType: video, input: frames(5), check: count(5) },
  'video::av1::encoder': { inputType: video, input: frames(3), check: count(3) },
  'video::openh264::encoder': { inputType: video, input: frames(5), check: count(5) },
  'video::scale': {
    params: { width: 64, height: 64, fit: 'cover' },
    inputType: video,
    input: frames(4),
    check: count(4),
    badInput: textBad,
  },
  'video::compositor': {
    params: { width: 64, height: 48, fps: 25 },
    inputType: video,
    input: frames(4),
    check: count(4),
    badInput: textBad,
  },
  'video::crop': {
    params: { x: 10, y: 10, width: 64, height: 48 },
    inputType: video,
    input: frames(4),
    check: count(4),
    badInput: textBad,
  },
  'video::pixel_convert': {
    params: { output_format: 'i420' },
    inputType: video,
    input: frames(4),
    check: count(4),
    badInput: textBad,
  },
  'core::trim': {
    params: { start_ms: 40, end_ms: 120 },
    inputType: video,
    input: frames(5),
    check: count(2),
    badInput: textBad,
  },
  'audio::channels': { params: { channels: 1 }, inputType: audio, input: tones(3), check: count(3), badInput: textBad },
  'video::fps': { params: { fps: 50 }, inputType: video, input: frames(4), check: count(8) },
  'video::colorbars': { params: { width: 64, height: 48, frame_count: 3 }, check: count(3) },
  'audio::decoder': { inputType: { kind: 'encoded_audio' }, input: opus, check: some, badInput: textBad },
  'audio::opus::decoder': { inputType: { kind: 'encoded_audio', codec: 'opus' }, input: opus, check: some },
  'audio::encoder': { inputType: audio, input: tones(10), check: some, badInput: textBad },
  'audio::opus::encoder': { inputType: audio, input: tones(10), check: some },
  'plugin::native::aac_encoder': { inputType: audio, input: tones(10), check: some, badInput: textBad },
  'audio::gain': { params: { gain: 2 }, inputType: audio, input: tones(3), check: count(3), badInput: textBad },
  'audio::mixer': { inputType: audio, input: tones(3), check: count(3) },
  'audio::resampler': {
    params: { target_sample_rate: 16_000, output_frame_size: 320 },
    inputType: audio,
    input: tones(5),
    check: count(5),
  },
  'audio::flac::decoder': { inputType: { kind: 'binary' }, input: audioFile('flac'), check: pcmOut, badInput: textBad },
  'audio::mp3::decoder': { inputType: { kind: 'binary' }, input: audioFile('mp3'), check: pcmOut },
  'containers::wav::demuxer': { inputType: { kind: 'binary' }, input: audioFile('wav'), check: pcmOut },
  'audio::pacer': {
    params: { speed: 10, generate_silence: false },
    inputType: audio,
    input: tones(3),
    check: count(3),
    badInput: textBad,
  },
  'video::camera': { params: { frame_count: 3 }, host: captureHost, check: count(3) },
  'video::screen': { params: { frame_count: 3 }, host: captureHost, check: count(3) },
  'audio::microphone': { params: { frame_count: 3 }, host: captureHost, check: count(3) },
  'audio::sine': { params: { duration_ms: 100 }, check: count(5) },
  // A tone is not speech: Silero (real inference) finds none, so no events; the plumbing is what is checked.
  'tts::espeak': {
    inputType: { kind: 'text' },
    input: () => [textBad(), { kind: 'text', text: 'Two words.', meta: {} }],
    check: some,
    badInput: () => tones(1)()[0] as Packet,
  },
  // A tone is not speech: no segment, no transcription; the model (tiny, random) still loads and runs.
  'plugin::native::whisper': {
    params: { model_path: 'models/whisper-tiny-random' },
    host: () => ({ openAsset: testModelAsset }),
    inputType: audio,
    input: tones(10, 16_000),
    check: count(0),
    badInput: textBad,
  },
  'plugin::native::helsinki': {
    params: { model_dir: 'models/opus-mt-tiny-random', max_length: 8 },
    host: () => ({ openAsset: testModelAsset }),
    inputType: { kind: 'text' },
    input: () => [
      { kind: 'text', text: 'one', meta: {} },
      { kind: 'text', text: 'two', meta: {} },
    ],
    check: count(2),
    badInput: () => tones(1)()[0] as Packet,
  },
  'plugin::native::piper': {
    params: { model_dir: 'models/vits-tiny-random', min_sentence_length: 0 },
    host: () => ({ openAsset: testModelAsset }),
    inputType: { kind: 'text' },
    input: () => [{ kind: 'text', text: 'Two words.', meta: {} }],
    check: some,
    badInput: () => tones(1)()[0] as Packet,
  },
  'plugin::native::kokoro': {
    params: { model_dir: 'models/kokoro-tiny-random', voice: 'am_adam', min_sentence_length: 0 },
    host: () => ({ openAsset: testModelAsset }),
    inputType: { kind: 'text' },
    input: () => [{ kind: 'text', text: 'Two words.', meta: {} }],
    check: some,
    badInput: () => tones(1)()[0] as Packet,
  },
  'plugin::native::nllb': {
    params: { model_path: 'models/nllb-tiny-random', max_length: 8 },
    host: () => ({ openAsset: testModelAsset }),
    inputType: { kind: 'text' },
    input: () => [{ kind: 'text', text: 'one', meta: {} }],
    check: count(1),
    badInput: () => tones(1)()[0] as Packet,
  },
  'plugin::native::vad': { inputType: audio, input: tones(10, 16_000), check: count(0), badInput: textBad },
  'audio::silence': { params: { duration_ms: 60 }, check: count(3) },
};

describe('node conformance (media kinds, in Chromium)', () => {
  beforeAll(async () => {
    fileBytes = await media(...VP9_OPUS);
    [audioFiles.flac, audioFiles.mp3, audioFiles.wav] = await Promise.all([
      media(...FLAC_TONE),
      media(...AUDIO_ONLY),
      media(...MONO_WAV),
    ]);
    await Promise.all([encodeVideo('vp09.00.10.08'), encodeVideo('av01.0.04M.08'), encodeOpus()]);
  });
  it('has a fixture for every media kind', () => {
    expect(Object.keys(FIXTURES).sort()).toEqual(MEDIA_NODES.map((d) => d.kind).sort());
  });
  for (const definition of MEDIA_NODES) {
    describe(definition.kind, () => conformance(definition, FIXTURES[definition.kind] ?? {}));
  }
});
