import { describe, expect, it } from 'vitest';
import audioOgg from '../../samples/oneshot/audio-to-ogg-opus.yaml?raw';
import colorbarsWebm from '../../samples/oneshot/colorbars-tone-webm.yaml?raw';
import mixTwo from '../../samples/oneshot/mix-two-audio.yaml?raw';
import mp4Sample from '../../samples/oneshot/transcode-mp4-h264-aac.yaml?raw';
import scaleFps from '../../samples/oneshot/scale-and-fps.yaml?raw';
import webmSample from '../../samples/oneshot/transcode-webm-vp9-opus.yaml?raw';
import volumeBoost from '../../samples/oneshot/volume-boost.yaml?raw';
import pipTwo from '../../samples/oneshot/pip-two-videos-mp4.yaml?raw';
import watermark from '../../samples/oneshot/watermark.yaml?raw';
import type { FfprobeResult, FfprobeStream, RunOutcome } from './harness';
import { media, probe, rms, runText } from './harness';
import type { MediaSpec } from './inputs';
import { AUDIO_ONLY, H264_AAC, MONO_WAV, MUSIC, ODD_SIZE, ROTATED, VFR, VIDEO_ONLY, VP9_OPUS } from './inputs';

function find(info: FfprobeResult, type: 'video' | 'audio'): FfprobeStream | undefined {
  return info.streams.find((x) => x.codec_type === type);
}

function get(info: FfprobeResult, type: 'video' | 'audio'): FfprobeStream {
  const s = find(info, type);
  if (!s) throw new Error(`no ${type} stream in output`);
  return s;
}

async function ok(outcome: RunOutcome, name: string): Promise<FfprobeResult> {
  expect(outcome.result.error?.message ?? '', name).toBe('');
  expect(outcome.result.state).toBe('done');
  expect(outcome.result.openFrames).toBe(0);
  const out = outcome.outputs.get('output');
  expect(out?.closed).toBe(true);
  return probe(name, out?.bytes() ?? new Uint8Array());
}

async function run(sample: string, spec: MediaSpec, name: string): Promise<FfprobeResult> {
  return ok(await runText(sample, { media: await media(...spec) }), name);
}

const FRAME_30 = 1 / 30;

describe('sample: transcode to WebM VP9/Opus', () => {
  const cases: [
    MediaSpec,
    { w: number; h: number; frames: number; seconds: number; audio: boolean; video?: boolean },
  ][] = [
    [H264_AAC, { w: 640, h: 360, frames: 60, seconds: 2, audio: true }],
    [VP9_OPUS, { w: 854, h: 480, frames: 50, seconds: 2, audio: true }],
    [ODD_SIZE, { w: 1279, h: 719, frames: 30, seconds: 1, audio: true }],
    [VFR, { w: 320, h: 240, frames: 45, seconds: 2, audio: false }],
    [VIDEO_ONLY, { w: 320, h: 240, frames: 30, seconds: 1, audio: false }],
    [AUDIO_ONLY, { w: 0, h: 0, frames: 0, seconds: 2, audio: true, video: false }],
  ];
  for (const [spec, want] of cases) {
    it(`converts ${spec[0]}`, async () => {
      const info = await run(webmSample, spec, `webm-${spec[0]}.webm`);
      if (want.video !== false) {
        const v = get(info, 'video');
        expect(v.codec_name).toBe('vp9');
        expect([v.width, v.height]).toEqual([want.w, want.h]);
        expect(Math.abs(Number(v.nb_read_frames) - want.frames)).toBeLessThanOrEqual(1);
      } else expect(find(info, 'video')).toBeUndefined();
      if (want.audio) {
        const a = get(info, 'audio');
        expect(a.codec_name).toBe('opus');
        expect(a.sample_rate).toBe('48000');
      } else expect(find(info, 'audio')).toBeUndefined();
      expect(Math.abs(Number(info.format.duration) - want.seconds)).toBeLessThan(FRAME_30 + 0.03);
    });
  }

  it('keeps audio and video in sync (start offset under one frame)', async () => {
    const info = await run(webmSample, H264_AAC, 'sync.webm');
    const v = Number(get(info, 'video').start_time ?? 0);
    const a = Number(get(info, 'audio').start_time ?? 0);
    expect(Math.abs(v - a)).toBeLessThan(FRAME_30);
  });
});

describe('sample: transcode to MP4 H.264/AAC', () => {
  const cases: [MediaSpec, { w: number; h: number; frames: number; seconds: number }][] = [
    [H264_AAC, { w: 640, h: 360, frames: 60, seconds: 2 }],
    [VP9_OPUS, { w: 854, h: 480, frames: 50, seconds: 2 }],
  ];
  for (const [spec, want] of cases) {
    it(`converts ${spec[0]}`, async () => {
      const info = await run(mp4Sample, spec, `mp4-${spec[0]}.mp4`);
      const v = get(info, 'video');
      expect(v.codec_name).toBe('h264');
      expect([v.width, v.height]).toEqual([want.w, want.h]);
      expect(Math.abs(Number(v.nb_read_frames) - want.frames)).toBeLessThanOrEqual(1);
      const a = get(info, 'audio');
      expect(a.codec_name).toBe('aac');
      expect(Math.abs(Number(v.start_time ?? 0) - Number(a.start_time ?? 0))).toBeLessThan(FRAME_30);
      expect(Math.abs(Number(info.format.duration) - want.seconds)).toBeLessThan(FRAME_30 + 0.03);
    });
  }
});

describe('sample: audio only to Ogg/Opus', () => {
  // Within two Opus frames (the encoder's own pre-skip and last-frame padding); MP3's LAME delay is cut.
  const cases: [MediaSpec, number][] = [
    [MONO_WAV, 0.041],
    [H264_AAC, 0.041],
    [AUDIO_ONLY, 0.041],
  ];
  for (const [spec, tolerance] of cases) {
    it(`extracts the audio of ${spec[0]}`, async () => {
      const info = await run(audioOgg, spec, `audio-${spec[0]}.ogg`);
      expect(info.streams).toHaveLength(1);
      const a = get(info, 'audio');
      expect(a.codec_name).toBe('opus');
      expect(Math.abs(Number(info.format.duration) - 2)).toBeLessThan(tolerance);
    });
  }
});

describe('sample: volume boost', () => {
  it('doubles the level (2x ± 1%) and keeps the format', async () => {
    const info = await run(volumeBoost, MONO_WAV, 'boost.wav');
    const a = get(info, 'audio');
    expect(a.codec_name).toBe('pcm_s16le');
    expect(a.sample_rate).toBe('44100');
    expect(a.channels).toBe(1);
    const ratio = (await rms('out', 'boost.wav')) / (await rms('in', MONO_WAV[0]));
    expect(ratio).toBeGreaterThan(1.98);
    expect(ratio).toBeLessThan(2.02);
  });
});

describe('sample: mix two audio inputs', () => {
  it('mixes a mono 44.1 kHz voice with stereo 48 kHz music', async () => {
    const outcome = await runText(mixTwo, { voice: await media(...MONO_WAV), music: await media(...MUSIC) });
    const info = await ok(outcome, 'mix.ogg');
    const a = get(info, 'audio');
    expect(a.codec_name).toBe('opus');
    expect(a.channels).toBe(2);
    expect(Math.abs(Number(info.format.duration) - 2)).toBeLessThan(0.05); // the longer input
  });
});

describe('sample: scale + fps change', () => {
  it('letterboxes to 640x360 at 15 fps and copies the audio', async () => {
    const info = await run(scaleFps, VP9_OPUS, 'scaled.mkv');
    const v = get(info, 'video');
    expect([v.width, v.height]).toEqual([640, 360]);
    expect(Math.abs(Number(v.nb_read_frames) - 30)).toBeLessThanOrEqual(1);
    expect(get(info, 'audio').codec_name).toBe('opus');
  });
  it('keeps the rotation of a phone video', async () => {
    const info = await run(scaleFps, ROTATED, 'rotated.mkv');
    expect(get(info, 'video').width).toBe(640);
    const mp4 = await run(
      webmSample.replace('format: webm', 'format: mp4').replace('codec: vp9,', 'codec: h264,'),
      ROTATED,
      'rotated.mp4',
    );
    expect(JSON.stringify(mp4)).toMatch(/rotation|rotate/);
  });
});

describe('sample: colour bars and tone', () => {
  it('generates 3 s of 720p VP8 and Opus', async () => {
    const info = await ok(await runText(colorbarsWebm), 'bars.webm');
    const v = get(info, 'video');
    expect(v.codec_name).toBe('vp8');
    expect([v.width, v.height]).toEqual([1280, 720]);
    expect(Math.abs(Number(v.nb_read_frames) - 90)).toBeLessThanOrEqual(1);
    expect(get(info, 'audio').codec_name).toBe('opus');
    expect(Math.abs(Number(info.format.duration) - 3)).toBeLessThan(FRAME_30 + 0.03);
  });
});

describe('trim, crop and channel mix', () => {
  it('cuts 0.5–1.5 s, crops to 320x180 and downmixes to mono', async () => {
    const text = `
mode: oneshot
nodes:
  input: { kind: streamkit::http_input }
  demux: { kind: containers::demuxer, needs: input }
  vdec: { kind: video::decoder, needs: demux.video }
  vtrim: { kind: core::trim, params: { start_ms: 500, end_ms: 1500 }, needs: vdec }
  crop: { kind: video::crop, params: { x: 160, y: 90, width: 320, height: 180 }, needs: vtrim }
  venc: { kind: video::encoder, params: { codec: vp8 }, needs: crop }
  adec: { kind: audio::decoder, needs: demux.audio }
  atrim: { kind: core::trim, params: { start_ms: 500, end_ms: 1500 }, needs: adec }
  mono: { kind: audio::channels, params: { channels: 1 }, needs: atrim }
  rs: { kind: audio::resampler, params: { target_sample_rate: 48000 }, needs: mono }
  aenc: { kind: audio::encoder, needs: rs }
  mux: { kind: containers::muxer, params: { format: webm }, needs: { video: venc, audio: aenc } }
  output: { kind: streamkit::http_output, needs: mux }
`;
    const info = await run(text, H264_AAC, 'trimmed.webm');
    const v = get(info, 'video');
    expect([v.width, v.height]).toEqual([320, 180]);
    expect(Math.abs(Number(v.nb_read_frames) - 30)).toBeLessThanOrEqual(1);
    expect(get(info, 'audio').channels).toBe(1);
    expect(Math.abs(Number(info.format.duration) - 1)).toBeLessThan(FRAME_30 + 0.03);
  });
});

describe('samples: compositing', () => {
  it('puts one upload in the corner of another, with a title and the mark, to MP4 H.264/AAC', async () => {
    const outcome = await runText(pipTwo, { main: await media(...H264_AAC), pip: await media(...VP9_OPUS) });
    const info = await ok(outcome, 'pip-two-videos.mp4');
    const v = get(info, 'video');
    expect(v.codec_name).toBe('h264');
    expect([v.width, v.height]).toEqual([1280, 720]);
    // The output runs while any input has frames: 2 s at 30 fps.
    expect(Math.abs(Number(v.nb_read_frames) - 60)).toBeLessThanOrEqual(1);
    expect(get(info, 'audio').codec_name).toBe('aac');
  });

  it('watermarks a video to MP4 H.264/AAC at 1280x720', async () => {
    const info = await run(watermark, H264_AAC, 'watermark.mp4');
    const v = get(info, 'video');
    expect([v.codec_name, v.width, v.height]).toEqual(['h264', 1280, 720]);
    expect(Math.abs(Number(v.nb_read_frames) - 60)).toBeLessThanOrEqual(1);
    expect(get(info, 'audio').codec_name).toBe('aac');
  });
});
