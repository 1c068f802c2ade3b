/**
 * StreamKit's headless test pipelines (its `samples/pipelines/test/*`), in their shapes and with
 * the params they set (`channels` on the Opus encoder and Ogg muxer, `draw_time_use_pts`,
 * `streaming_mode`, `max_frame_rate`, the steps of StreamKit's `client:` block), run through
 * `weft run` and checked against the metadata StreamKit expects of each output.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureMedia, probe, weft } from './support';

const tone = (ext: string, codec: string[] = []) =>
  ensureMedia(`sk-tone-mono.${ext}`, [
    '-f',
    'lavfi',
    '-i',
    'sine=frequency=440:sample_rate=48000:duration=2',
    '-ac',
    '1',
    ...codec,
  ]);

/** Bytes in → an audio decoding step → Opus (channels as StreamKit's tests set it) → a container. */
function audioShape(decode: string, mux: 'ogg' | 'mp4'): string {
  const steps = decode
    .split(',')
    .map((kind, i) => `  step_${i}:\n    kind: ${kind}\n    needs: ${i === 0 ? 'upload' : `step_${i - 1}`}\n`)
    .join('');
  const last = `step_${decode.split(',').length - 1}`;
  const muxer =
    mux === 'ogg'
      ? '    kind: containers::ogg::muxer\n    params:\n      channels: 2\n      chunk_size: 65536\n'
      : '    kind: containers::mp4::muxer\n    params:\n      mode: file\n      sample_rate: 48000\n      channels: 2\n';
  return `mode: oneshot
client:
  input:
    type: file_upload
  output:
    type: audio
nodes:
  upload:
    kind: streamkit::http_input
${steps}  encode:
    kind: audio::opus::encoder
    params:
      channels: 2
    needs: ${last}
  mux:
${muxer}    needs: encode
  result:
    kind: streamkit::http_output
    needs: mux
`;
}

function barsShape(encoder: string, muxer: string): string {
  return `mode: oneshot
client:
  input:
    type: none
nodes:
  bars:
    kind: video::colorbars
    params: { width: 320, height: 240, fps: 30, frame_count: 30, pixel_format: nv12, draw_time: true, draw_time_use_pts: true }
${encoder}
  mux:
${muxer}
  result:
    kind: streamkit::http_output
    needs: mux
`;
}

let out: string;
beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), 'weft-sk-'));
});

async function runShape(name: string, yaml: string, input?: string) {
  const { writeFile } = await import('node:fs/promises');
  const file = join(out, `${name}.yml`);
  await writeFile(file, yaml);
  const dest = join(out, `${name}.out`);
  const result = await weft(['run', file, ...(input ? ['-i', input] : []), '-o', dest]);
  expect(result.stderr).toContain('done in');
  expect(result.code).toBe(0);
  return probe(dest);
}

describe("StreamKit's test pipeline shapes", () => {
  it.each([
    ['flac decode to Ogg/Opus', 'audio::flac::decoder', 'flac', 'ogg'],
    ['mp3 decode to Ogg/Opus', 'audio::mp3::decoder', 'mp3', 'ogg'],
    ['wav demux to Ogg/Opus', 'containers::wav::demuxer', 'wav', 'ogg'],
    ['Opus round trip in Ogg', 'containers::ogg::demuxer,audio::opus::decoder', 'ogg', 'ogg'],
    ['Opus in MP4', 'containers::ogg::demuxer,audio::opus::decoder', 'ogg', 'mp4'],
  ] as const)('%s: Opus, 48 kHz, mono, as StreamKit expects', async (name, decode, ext, mux) => {
    const input = await tone(ext, ext === 'ogg' ? ['-c:a', 'libopus'] : []);
    const p = await runShape(name.replace(/\W+/g, '-'), audioShape(decode, mux), input);
    expect(p.format.format_name).toBe(mux === 'ogg' ? 'ogg' : 'mov,mp4,m4a,3gp,3g2,mj2');
    expect(p.streams[0]).toMatchObject({ codec_name: 'opus', sample_rate: '48000', channels: 1 });
    expect(Number(p.format.duration)).toBeCloseTo(2, 1);
  });

  it("StreamKit's AAC plugin kind: mono Opus in, stereo AAC-LC in MP4 out", async () => {
    const input = await tone('ogg', ['-c:a', 'libopus']);
    const yaml = `mode: oneshot
nodes:
  upload: { kind: streamkit::http_input }
  demux: { kind: containers::ogg::demuxer, needs: upload }
  decode: { kind: audio::opus::decoder, needs: demux }
  aac: { kind: plugin::native::aac_encoder, params: { bitrate: 128000 }, needs: decode }
  mux: { kind: containers::mp4::muxer, params: { mode: stream, sample_rate: 48000, channels: 2, audio_codec: aac }, needs: aac }
  result: { kind: streamkit::http_output, params: { content_type: 'audio/mp4; codecs="mp4a.40.2"' }, needs: mux }
`;
    const p = await runShape('aac-plugin', yaml, input);
    expect(p.streams[0]).toMatchObject({ codec_name: 'aac', sample_rate: '48000', channels: 2 });
    expect(Number(p.format.duration)).toBeCloseTo(2, 1);
  });

  it('two uploads from one http_input (fields), paced, gained and mixed to WebM/Opus', async () => {
    const a = await tone('ogg', ['-c:a', 'libopus']);
    const b = await ensureMedia('sk-tone-660.ogg', [
      '-f',
      'lavfi',
      '-i',
      'sine=frequency=660:sample_rate=48000:duration=1',
      '-ac',
      '1',
      '-c:a',
      'libopus',
    ]);
    const lane = (x: string, gain: number) => `  ${x}_demux: { kind: containers::ogg::demuxer, needs: uploads.${x} }
  ${x}_pace: { kind: core::pacer, params: { buffer_size: 16, speed: 4 }, needs: ${x}_demux }
  ${x}_decode: { kind: audio::opus::decoder, needs: ${x}_pace }
  ${x}_gain: { kind: audio::gain, params: { gain: ${gain} }, needs: ${x}_decode }
`;
    const yaml = `mode: oneshot
nodes:
  uploads: { kind: streamkit::http_input, params: { fields: [{ name: first }, { name: second }] } }
${lane('first', 1)}${lane('second', 0.15)}  mix: { kind: audio::mixer, params: { num_inputs: 2 }, needs: [first_gain, second_gain] }
  encode: { kind: audio::opus::encoder, needs: mix }
  mux: { kind: containers::webm::muxer, params: { channels: 1, chunk_size: 65536, sample_rate: 48000 }, needs: encode }
  result: { kind: streamkit::http_output, needs: mux }
`;
    const { writeFile } = await import('node:fs/promises');
    const file = join(out, 'dual.yml');
    await writeFile(file, yaml);
    const dest = join(out, 'dual.webm');
    const result = await weft(['run', file, '-i', `first=${a}`, '-i', `second=${b}`, '-o', dest]);
    expect(result.code, result.stderr).toBe(0);
    const p = await probe(dest);
    expect(p.streams[0]).toMatchObject({ codec_name: 'opus', channels: 1 });
  });

  it('VP9 colour bars, and a VP9 encode → decode → encode round trip, to WebM', async () => {
    const encode = '  enc:\n    kind: video::vp9::encoder\n    needs: bars';
    const webm =
      '    kind: containers::webm::muxer\n    params: { video_width: 320, video_height: 240, streaming_mode: live }';
    const once = await runShape('vp9-bars', barsShape(encode, `${webm}\n    needs: enc`));
    const twice = await runShape(
      'vp9-roundtrip',
      barsShape(
        `${encode}\n  dec:\n    kind: video::vp9::decoder\n    needs: enc\n  reenc:\n    kind: video::vp9::encoder\n    needs: dec`,
        `${webm}\n    needs: reenc`,
      ),
    );
    for (const p of [once, twice]) {
      expect(p.format.format_name).toBe('matroska,webm');
      expect(p.streams[0]).toMatchObject({ codec_name: 'vp9', width: 320, height: 240 });
      expect(Number(p.streams[0]?.nb_read_frames)).toBe(30);
    }
  });

  it('OpenH264 colour bars to MP4 (stream mode)', async () => {
    const p = await runShape(
      'openh264-bars',
      barsShape(
        '  enc:\n    kind: video::openh264::encoder\n    params: { bitrate_kbps: 1000, max_frame_rate: 30.0 }\n    needs: bars',
        '    kind: containers::mp4::muxer\n    params: { mode: stream, video_width: 320, video_height: 240 }\n    needs: enc',
      ),
    );
    expect(p.format.format_name).toBe('mov,mp4,m4a,3gp,3g2,mj2');
    expect(p.streams[0]).toMatchObject({ codec_name: 'h264', width: 320, height: 240 });
    expect(Number(p.streams[0]?.nb_read_frames)).toBe(30);
  });
});
