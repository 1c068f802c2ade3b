import { describe, expect, it } from 'vitest';
import webmSample from '../../samples/oneshot/transcode-webm-vp9-opus.yaml?raw';
import type { FfprobeResult } from './harness';
import { media, probe, runText } from './harness';

/** H.264 (with B-frames) + AAC, 640x360, 30 fps, 2 s. */
const H264_AAC: [string, string[]] = [
  'h264-aac.mp4',
  [
    '-f',
    'lavfi',
    '-i',
    'testsrc2=size=640x360:rate=30:duration=2',
    '-f',
    'lavfi',
    '-i',
    'sine=frequency=440:sample_rate=44100:duration=2',
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    '-bf',
    '2',
    '-pix_fmt',
    'yuv420p',
    '-c:a',
    'aac',
    '-b:a',
    '96k',
    '-ac',
    '2',
    '-shortest',
  ],
];

function stream(info: FfprobeResult, type: 'video' | 'audio') {
  const s = info.streams.find((x) => x.codec_type === type);
  if (!s) throw new Error(`no ${type} stream in output`);
  return s;
}

describe('samples', () => {
  it('transcodes H.264/AAC MP4 to WebM VP9/Opus', async () => {
    const input = await media(...H264_AAC);
    const { result, outputs } = await runText(webmSample, { media: input });
    expect(result.error?.message ?? '').toBe('');
    expect(result.state).toBe('done');
    expect(result.openFrames).toBe(0);
    const out = outputs.get('output');
    expect(out?.contentType).toContain('webm');
    const info = await probe('transcode.webm', out?.bytes() ?? new Uint8Array());
    const v = stream(info, 'video');
    const a = stream(info, 'audio');
    expect(v.codec_name).toBe('vp9');
    expect([v.width, v.height]).toEqual([640, 360]);
    expect(Math.abs(Number(v.nb_read_frames) - 60)).toBeLessThanOrEqual(1);
    expect(a.codec_name).toBe('opus');
    expect(a.sample_rate).toBe('48000');
    expect(Math.abs(Number(info.format.duration) - 2)).toBeLessThan(1 / 30 + 0.03);
  });
});
