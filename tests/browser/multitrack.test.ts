import { describe, expect, it } from 'vitest';
import type { MediaSpec } from './inputs';
import { media, probe, rms, runText } from './harness';

/** MKV with one video and two audio tracks: a loud 440 Hz (0.5) and a quiet 880 Hz (0.05). */
const TWO_AUDIO: MediaSpec = [
  'two-audio.mkv',
  [
    '-f',
    'lavfi',
    '-i',
    'testsrc2=size=320x240:rate=25:duration=1',
    '-f',
    'lavfi',
    '-i',
    'aevalsrc=0.5*sin(2*PI*440*t):s=48000:d=1',
    '-f',
    'lavfi',
    '-i',
    'aevalsrc=0.05*sin(2*PI*880*t):s=48000:d=1',
    '-map',
    '0:v',
    '-map',
    '1:a',
    '-map',
    '2:a',
    '-c:v',
    'libvpx',
    '-b:v',
    '300k',
    '-c:a',
    'libopus',
  ],
];

const extract = (pin: string, extra = ''): string => `
mode: oneshot
nodes:
  input: { kind: streamkit::http_input }
  demux: { kind: containers::demuxer, params: { audio_tracks: 2${extra} }, needs: input }
  dec: { kind: audio::decoder, needs: demux.${pin} }
  enc: { kind: audio::encoder, params: { codec: pcm-s16 }, needs: dec }
  mux: { kind: containers::muxer, params: { format: wav }, needs: enc }
  output: { kind: streamkit::http_output, needs: mux }
`;

describe('containers::demuxer: one pin per track', () => {
  it('emits each audio track of a two-audio MKV on its own pin (audio_0, audio_1)', async () => {
    const input = await media(...TWO_AUDIO);
    const levels: Record<string, number> = {};
    for (const pin of ['audio_0', 'audio_1', 'audio']) {
      const { result, outputs } = await runText(extract(pin), { media: input });
      expect(result.state, JSON.stringify(result.error)).toBe('done');
      const name = `multitrack-${pin}.wav`;
      const info = await probe(name, outputs.get('output')?.bytes() ?? new Uint8Array());
      expect(Number(info.format.duration)).toBeGreaterThan(0.9);
      levels[pin] = await rms('out', name);
    }
    // RMS of a sine is amplitude / √2: 0.354 and 0.035.
    expect(levels.audio_0).toBeCloseTo(0.354, 1);
    expect(levels.audio_1).toBeCloseTo(0.0354, 2);
    expect(levels.audio).toBeCloseTo(levels.audio_0 ?? 0, 3); // the primary track is the first
  });

  it('a pin for a track the file lacks fails clearly when nothing else is read', async () => {
    const oneAudio = await media('one-audio.webm', [
      '-f',
      'lavfi',
      '-i',
      'sine=frequency=440:sample_rate=48000:duration=1',
      '-c:a',
      'libopus',
    ]);
    const { result } = await runText(extract('audio_1'), { media: oneAudio });
    expect(result.state).toBe('failed');
    expect(result.error?.message).toMatch(/demux.*no audio track/);
  });
});
