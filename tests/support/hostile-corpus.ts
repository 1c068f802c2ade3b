/**
 * A hostile-input corpus for the job server: media files (valid but uncommon layouts, broken,
 * truncated, lying headers, codecs the browser lacks, sizes it cannot hold) and pipelines
 * (malformed, oversized, unsafe names, hosts' missing services, resource bombs). Each case says
 * what a user must get: a result that ffprobe accepts, or a 4xx whose message names the node,
 * pin or param at fault. Media are made by ffmpeg (then mutated deterministically), once.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { ensureMedia } from './media-commands';
import { JOB_PIPELINE } from './server-harness';

/** What a case must produce. */
export type Expect =
  /** 200 with an output whose streams ffprobe reads as these codecs. */
  | { ok: string[] }
  /** A 4xx naming this node (and pin/param when given), with `contains` in the message. */
  | { status: 400 | 403 | 413; node?: string; pin?: string; param?: string; code?: string; contains?: string }
  /** Either of the above: a corrupted payload a decoder may conceal or refuse, never a 5xx. */
  | { okOr400: string[] };

export interface MediaCase {
  name: string;
  /** ffmpeg arguments before the output file; the file name's extension picks the container. */
  file: string;
  args: string[];
  /** Changes the bytes ffmpeg wrote (truncation, corruption), deterministically. */
  mutate?: (bytes: Buffer) => Buffer;
  /** The pipeline: a sample under samples/oneshot, or inline YAML. */
  pipeline: string;
  expect: Expect;
}

/** Audio to stereo Ogg/Opus: any channel count, rate and layout in. */
export const TO_STEREO_OPUS = `mode: oneshot
nodes:
  input: { kind: streamkit::http_input }
  demux: { kind: containers::demuxer, needs: input }
  decode: { kind: audio::decoder, needs: demux.audio }
  stereo: { kind: audio::channels, params: { channels: 2 }, needs: decode }
  resample: { kind: audio::resampler, params: { target_sample_rate: 48000 }, needs: stereo }
  encode: { kind: audio::encoder, params: { codec: opus }, needs: resample }
  mux: { kind: containers::muxer, params: { format: ogg }, needs: { audio: encode } }
  output: { kind: streamkit::http_output, needs: mux }
`;

const OGG = 'samples/oneshot/audio-to-ogg-opus.yaml';
const WEBM = 'samples/oneshot/transcode-webm-vp9-opus.yaml';

/** A seeded generator, so "random" corruption is the same on every run. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const truncate = (fraction: number) => (b: Buffer) => b.subarray(0, Math.floor(b.byteLength * fraction));
const scribble = (from: number, to: number, seed: number) => (b: Buffer) => {
  const out = Buffer.from(b);
  const next = prng(seed);
  const start = Math.floor(out.byteLength * from);
  const end = Math.floor(out.byteLength * to);
  for (let i = start; i < end; i++) out[i] = Math.floor(next() * 256);
  return out;
};
const noise = (bytes: number, seed: number) => () => {
  const next = prng(seed);
  return Buffer.from(Array.from({ length: bytes }, () => Math.floor(next() * 256)));
};
/** A WAV whose data chunk claims `claimed` bytes. */
const lyingWav = (claimed: number) => (b: Buffer) => {
  const out = Buffer.from(b);
  const at = out.indexOf('data', 12, 'latin1');
  if (at > 0) out.writeUInt32LE(claimed >>> 0, at + 4);
  return out;
};
/** A WAV whose fmt chunk claims 0 channels. */
const zeroChannelWav = (b: Buffer) => {
  const out = Buffer.from(b);
  const at = out.indexOf('fmt ', 12, 'latin1');
  if (at > 0) out.writeUInt16LE(0, at + 10);
  return out;
};

const sine = (extra = '') => ['-f', 'lavfi', '-i', `sine=frequency=440:duration=1${extra}`];
const surround = (layout: string, n: number) => [
  '-f',
  'lavfi',
  '-i',
  'sine=frequency=440:duration=1',
  '-af',
  `pan=${layout}|${Array.from({ length: n }, (_, c) => `c${c}=c0`).join('|')}`,
];
const video = (size: string, extra: string[] = []) => [
  '-f',
  'lavfi',
  '-i',
  `testsrc=size=${size}:rate=10:duration=1`,
  ...extra,
];

const OPUS_OGG: Expect = { ok: ['opus'] };

export const MEDIA_CASES: readonly MediaCase[] = [
  // Valid, uncommon audio layouts: all must decode.
  { name: 'wav-s24', file: 'h-s24.wav', args: [...sine(), '-c:a', 'pcm_s24le'], pipeline: OGG, expect: OPUS_OGG },
  {
    name: 'wav-s24-96k-stereo',
    file: 'h-s24-96k.wav',
    args: [...sine(':sample_rate=96000'), '-ac', '2', '-c:a', 'pcm_s24le'],
    pipeline: OGG,
    expect: OPUS_OGG,
  },
  { name: 'wav-s32', file: 'h-s32.wav', args: [...sine(), '-c:a', 'pcm_s32le'], pipeline: OGG, expect: OPUS_OGG },
  { name: 'wav-f32', file: 'h-f32.wav', args: [...sine(), '-c:a', 'pcm_f32le'], pipeline: OGG, expect: OPUS_OGG },
  { name: 'wav-f64', file: 'h-f64.wav', args: [...sine(), '-c:a', 'pcm_f64le'], pipeline: OGG, expect: OPUS_OGG },
  { name: 'wav-u8', file: 'h-u8.wav', args: [...sine(), '-c:a', 'pcm_u8'], pipeline: OGG, expect: OPUS_OGG },
  { name: 'wav-mulaw', file: 'h-ulaw.wav', args: [...sine(), '-c:a', 'pcm_mulaw'], pipeline: OGG, expect: OPUS_OGG },
  { name: 'wav-alaw', file: 'h-alaw.wav', args: [...sine(), '-c:a', 'pcm_alaw'], pipeline: OGG, expect: OPUS_OGG },
  {
    name: 'wav-8k-mono',
    file: 'h-8k.wav',
    args: [...sine(':sample_rate=8000'), '-c:a', 'pcm_s16le'],
    pipeline: OGG,
    expect: OPUS_OGG,
  },
  {
    name: 'wav-8ch-s24',
    file: 'h-8ch.wav',
    args: [...surround('7.1', 8), '-c:a', 'pcm_s24le'],
    pipeline: TO_STEREO_OPUS,
    expect: OPUS_OGG,
  },
  { name: 'mov-s24be', file: 'h-s24be.mov', args: [...sine(), '-c:a', 'pcm_s24be'], pipeline: OGG, expect: OPUS_OGG },
  { name: 'mov-s16be', file: 'h-s16be.mov', args: [...sine(), '-c:a', 'pcm_s16be'], pipeline: OGG, expect: OPUS_OGG },
  {
    name: 'flac-192k',
    file: 'h-192k.flac',
    args: [...sine(':sample_rate=192000'), '-c:a', 'flac'],
    pipeline: OGG,
    expect: OPUS_OGG,
  },
  {
    name: 'flac-24bit-96k',
    file: 'h-24b.flac',
    args: [...sine(':sample_rate=96000'), '-c:a', 'flac', '-sample_fmt', 's32'],
    pipeline: OGG,
    expect: OPUS_OGG,
  },
  {
    name: 'flac-8ch',
    file: 'h-8ch.flac',
    args: [...surround('7.1', 8), '-c:a', 'flac'],
    pipeline: TO_STEREO_OPUS,
    expect: OPUS_OGG,
  },
  {
    name: 'aac-5.1',
    file: 'h-51.m4a',
    args: [...surround('5.1', 6), '-c:a', 'aac'],
    pipeline: TO_STEREO_OPUS,
    expect: OPUS_OGG,
  },
  {
    name: 'vorbis-5.1',
    file: 'h-51.ogg',
    args: [...surround('5.1', 6), '-c:a', 'libvorbis'],
    pipeline: TO_STEREO_OPUS,
    expect: OPUS_OGG,
  },
  {
    name: 'mp3-mpeg2',
    file: 'h-mpeg2.mp3',
    args: [...sine(':sample_rate=22050'), '-c:a', 'libmp3lame'],
    pipeline: OGG,
    expect: OPUS_OGG,
  },
  {
    name: 'mp3-mpeg2.5',
    file: 'h-mpeg25.mp3',
    args: [...sine(':sample_rate=8000'), '-c:a', 'libmp3lame'],
    pipeline: OGG,
    expect: OPUS_OGG,
  },
  {
    name: 'mp2-layer2',
    file: 'h-l2.mp2',
    args: [...sine(':sample_rate=48000'), '-ac', '2', '-c:a', 'mp2', '-b:a', '192k'],
    pipeline: OGG,
    expect: OPUS_OGG,
  },
  // Eight channels into an encoder that takes two: refused, naming the encoder and the fix.
  {
    name: 'opus-8ch-refused',
    file: 'h-8ch-opus.wav',
    args: [...surround('7.1', 8), '-c:a', 'pcm_s16le'],
    pipeline: OGG,
    expect: { status: 400, node: 'encode', contains: 'audio::channels' },
  },
  // Broken and hostile audio.
  {
    name: 'mp2-invalid-bitrate',
    file: 'h-l2-bad.ts',
    args: [...sine(), '-c:a', 'mp2'],
    pipeline: OGG,
    expect: { status: 400, node: 'decode', contains: 'Layer II' },
  },
  {
    name: 'wav-zero-channels',
    file: 'h-zero-ch.wav',
    args: [...sine(), '-c:a', 'pcm_s16le'],
    mutate: zeroChannelWav,
    pipeline: OGG,
    expect: { status: 400, node: 'demux' },
  },
  {
    name: 'wav-lying-size',
    file: 'h-lie.wav',
    args: [...sine(), '-c:a', 'pcm_s16le'],
    mutate: lyingWav(0xfffffff0),
    pipeline: OGG,
    expect: { okOr400: ['opus'] },
  },
  {
    name: 'wav-header-only',
    file: 'h-empty.wav',
    args: [...sine(), '-c:a', 'pcm_s16le'],
    mutate: (b) => b.subarray(0, 44),
    pipeline: OGG,
    expect: { status: 400, node: 'demux' },
  },
  {
    name: 'flac-truncated',
    file: 'h-trunc.flac',
    args: [...sine(), '-c:a', 'flac'],
    mutate: truncate(0.3),
    pipeline: OGG,
    expect: { okOr400: ['opus'] },
  },
  {
    name: 'mkv-mp2-unsupported',
    file: 'h-mp2.mkv',
    args: [...sine(), '-c:a', 'mp2', '-b:a', '128k'],
    pipeline: OGG,
    expect: { status: 400, node: 'demux' },
  },
  {
    name: 'random-bytes',
    file: 'h-noise.wav',
    args: [...sine(), '-c:a', 'pcm_s16le'],
    mutate: noise(64 * 1024, 7),
    pipeline: OGG,
    expect: { status: 400, node: 'demux' },
  },
  {
    name: 'zero-bytes',
    file: 'h-zero.wav',
    args: [...sine(), '-c:a', 'pcm_s16le'],
    mutate: () => Buffer.alloc(0),
    pipeline: OGG,
    expect: { status: 400, node: 'demux' },
  },
  // Video: layouts, sizes and codecs.
  {
    name: 'vp8-odd-size',
    file: 'h-odd.webm',
    args: [...video('321x241'), '-c:v', 'libvpx', '-deadline', 'realtime'],
    pipeline: WEBM,
    expect: { ok: ['vp9'] },
  },
  {
    name: 'h264-tiny',
    file: 'h-tiny.mp4',
    args: [...video('16x16'), '-c:v', 'libx264', '-pix_fmt', 'yuv420p'],
    pipeline: WEBM,
    expect: { ok: ['vp9'] },
  },
  {
    name: 'h264-444',
    file: 'h-444.mp4',
    args: [...video('320x240'), '-c:v', 'libx264', '-pix_fmt', 'yuv444p'],
    pipeline: WEBM,
    expect: { okOr400: ['vp9'] },
  },
  {
    name: 'h264-10bit',
    file: 'h-10bit.mp4',
    args: [...video('320x240'), '-c:v', 'libx264', '-pix_fmt', 'yuv420p10le'],
    pipeline: WEBM,
    expect: { okOr400: ['vp9'] },
  },
  {
    name: 'hevc',
    file: 'h-hevc.mp4',
    args: [...video('320x240'), '-c:v', 'libx265', '-tag:v', 'hvc1'],
    pipeline: WEBM,
    expect: { status: 400, node: 'vdec' },
  },
  {
    name: 'vp9-alpha',
    file: 'h-alpha.webm',
    args: [...video('320x240', ['-vf', 'format=yuva420p']), '-c:v', 'libvpx-vp9', '-deadline', 'realtime'],
    pipeline: WEBM,
    expect: { ok: ['vp9'] },
  },
  {
    name: 'prores-unsupported',
    file: 'h-prores.mov',
    args: [...video('320x240'), '-c:v', 'prores_ks'],
    pipeline: WEBM,
    expect: { status: 400, node: 'demux' },
  },
  {
    name: 'video-16000x16000',
    file: 'h-huge.mp4',
    args: [
      '-f',
      'lavfi',
      '-i',
      'color=size=16000x16000:rate=25:duration=0.04',
      '-frames:v',
      '1',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
    ],
    pipeline: WEBM,
    expect: { status: 400, node: 'vdec', contains: 'larger than' },
  },
  {
    name: 'mp4-truncated',
    file: 'h-trunc.mp4',
    args: [...video('320x240'), '-c:v', 'libx264', '-pix_fmt', 'yuv420p'],
    mutate: truncate(0.5),
    pipeline: WEBM,
    expect: { status: 400, node: 'demux' },
  },
  {
    name: 'webm-scribbled',
    file: 'h-scribble.webm',
    args: [...video('320x240'), '-c:v', 'libvpx', '-deadline', 'realtime'],
    mutate: scribble(0.4, 0.6, 11),
    pipeline: WEBM,
    expect: { okOr400: ['vp9'] },
  },
];

/** Makes (once) a case's input file and returns its path. */
export async function mediaFor(c: MediaCase): Promise<string> {
  const source = await ensureMedia(c.file, c.args);
  if (!c.mutate) return source;
  const path = `${source}.mutated`;
  await writeFile(path, c.mutate(await readFile(source)));
  return path;
}

/** One hostile request: a route, a body, and what the answer must say. */
export interface PipelineCase {
  name: string;
  route: '/api/v1/jobs' | '/api/v1/process' | '/api/v1/validate';
  /** Multipart fields (strings; `@media` uploads a small WAV) or a raw/JSON body. */
  fields?: [string, string][];
  raw?: { type: string; body: string };
  expect: { status: 400 | 403 | 413; node?: string; pin?: string; param?: string; code?: string; contains?: string };
}

const job = (yaml: string, extra: [string, string][] = [['media', '@media']]): [string, string][] => [
  ['config', yaml],
  ...extra,
];
/** The corpus's job: upload `media`, nodes input, demux, decode, encode, mux, output. */
const AUDIO_JOB = JOB_PIPELINE;
const withNode = (line: string) => AUDIO_JOB.replace('  output:', `${line}\n  output:`);
const aliasBomb = [
  'a: &a ["x","x","x","x","x","x","x","x","x"]',
  'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]',
  'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]',
  'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]',
  'e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]',
  'mode: oneshot',
  'nodes:',
  '  out: { kind: streamkit::http_output, params: *e }',
].join('\n');
const chain = (n: number) =>
  `mode: oneshot\nnodes:\n${Array.from({ length: n }, (_, i) => `  n${i}: { kind: core::passthrough${i ? `, needs: n${i - 1}` : ''} }`).join('\n')}\n`;

export const PIPELINE_CASES: readonly PipelineCase[] = [
  {
    name: 'yaml syntax',
    route: '/api/v1/jobs',
    fields: job('mode: oneshot\nnodes: [\n'),
    expect: { status: 400, code: 'invalid_pipeline' },
  },
  { name: 'empty document', route: '/api/v1/jobs', fields: job(''), expect: { status: 400, code: 'invalid_pipeline' } },
  {
    name: 'unknown kind',
    route: '/api/v1/jobs',
    fields: job(AUDIO_JOB.replace('audio::decoder', 'audio::decodr')),
    expect: { status: 400, node: 'decode', contains: "did you mean 'audio::decoder'" },
  },
  {
    name: 'bad param type',
    route: '/api/v1/jobs',
    fields: job(AUDIO_JOB.replace('{ codec: opus }', '{ codec: opus, bitrate: "loud" }')),
    expect: { status: 400, node: 'encode', param: 'bitrate' },
  },
  {
    name: 'unknown param',
    route: '/api/v1/jobs',
    fields: job(AUDIO_JOB.replace('{ codec: opus }', '{ codec: opus, bitrat: 1 }')),
    expect: { status: 400, node: 'encode', param: 'bitrat' },
  },
  {
    name: 'unknown pin',
    route: '/api/v1/jobs',
    fields: job(AUDIO_JOB.replace('needs: demux.audio', 'needs: demux.audoi')),
    expect: { status: 400, node: 'demux', pin: 'audoi' },
  },
  {
    name: 'missing needs target',
    route: '/api/v1/jobs',
    fields: job(AUDIO_JOB.replace('needs: decode }', 'needs: decoder }')),
    expect: { status: 400, node: 'encode', contains: "'decoder'" },
  },
  {
    name: 'type mismatch',
    route: '/api/v1/jobs',
    fields: job(AUDIO_JOB.replace('needs: decode }', 'needs: demux.audio }')),
    expect: { status: 400, node: 'encode', pin: 'in' },
  },
  {
    name: 'cycle',
    route: '/api/v1/jobs',
    fields: job(withNode('  a: { kind: core::passthrough, needs: b }\n  b: { kind: core::passthrough, needs: a }')),
    expect: { status: 400, code: 'invalid_pipeline', contains: 'circular' },
  },
  {
    name: 'duplicate ids',
    route: '/api/v1/jobs',
    fields: job(withNode('  mux: { kind: core::sink }')),
    expect: { status: 400, contains: 'twice' },
  },
  {
    name: 'a list of needs into a single-input node',
    route: '/api/v1/jobs',
    fields: job(AUDIO_JOB.replace('needs: decode }', 'needs: [decode, decode] }')),
    expect: { status: 400, node: 'encode', pin: 'in_0' },
  },
  {
    name: 'steps and nodes together',
    route: '/api/v1/jobs',
    fields: job(`steps:\n  - kind: core::passthrough\n${AUDIO_JOB}`),
    expect: { status: 400, contains: "both 'steps:' and 'nodes:'" },
  },
  {
    name: 'dynamic pipeline as a job',
    route: '/api/v1/jobs',
    fields: job('nodes:\n  tone: { kind: audio::sine }\n  sink: { kind: core::sink, needs: tone }\n', []),
    expect: { status: 400, param: 'mode', contains: 'session' },
  },
  { name: 'alias bomb', route: '/api/v1/jobs', fields: job(aliasBomb), expect: { status: 400, contains: 'alias' } },
  {
    name: 'nesting bomb',
    route: '/api/v1/validate',
    raw: {
      type: 'text/yaml',
      body: `nodes:\n  a: { kind: core::sink, params: ${'['.repeat(50_000)}${']'.repeat(50_000)} }\n`,
    },
    expect: { status: 400 },
  },
  {
    name: '900 kB kind string',
    route: '/api/v1/jobs',
    fields: job(AUDIO_JOB.replace('audio::decoder', 'x'.repeat(900_000))),
    expect: { status: 400, node: 'decode', param: 'nodes.decode.kind' },
  },
  {
    name: '2 MiB pipeline',
    route: '/api/v1/jobs',
    fields: job(`${AUDIO_JOB}# ${'x'.repeat(2 * 1024 * 1024)}\n`),
    expect: { status: 413 },
  },
  {
    name: '2 MiB pipeline to /process',
    route: '/api/v1/process',
    fields: job(`${AUDIO_JOB}# ${'x'.repeat(2 * 1024 * 1024)}\n`),
    expect: { status: 413 },
  },
  { name: '10k nodes as a job', route: '/api/v1/jobs', fields: job(chain(10_000), []), expect: { status: 400 } },
  {
    name: 'file_reader of a path outside the allowed ones',
    route: '/api/v1/jobs',
    fields: job(
      withNode(
        '  read: { kind: core::file_reader, params: { path: /etc/passwd } }\n  sink: { kind: core::sink, needs: read }',
      ),
    ),
    expect: {
      status: 403,
      node: 'read',
      code: 'forbidden_path',
      contains: "path '/etc/passwd' is not allowed for reading",
    },
  },
  {
    name: 'file_writer where the server allows no writing',
    route: '/api/v1/jobs',
    fields: job(AUDIO_JOB.replace('streamkit::http_output', 'core::file_writer, params: { path: /tmp/x }')),
    expect: { status: 403, node: 'output', code: 'forbidden_path', contains: 'this server allows no paths' },
  },
  {
    name: 'camera on the server',
    route: '/api/v1/jobs',
    fields: job(withNode('  cam: { kind: video::camera }\n  sink: { kind: core::sink, needs: cam }')),
    expect: { status: 400, node: 'cam', contains: 'capture devices' },
  },
  {
    name: 'content type header injection',
    route: '/api/v1/jobs',
    fields: job(
      AUDIO_JOB.replace('needs: mux }', 'params: { content_type: "text/html\\r\\nX-Evil: 1" }, needs: mux }'),
    ),
    expect: { status: 400, node: 'output', param: 'content_type' },
  },
  {
    name: 'output name traversal',
    route: '/api/v1/jobs',
    fields: job(AUDIO_JOB.replace('needs: mux }', 'params: { output: "../../token" }, needs: mux }')),
    expect: { status: 400, node: 'output', param: 'output' },
  },
  {
    name: 'input field traversal',
    route: '/api/v1/jobs',
    fields: job(
      AUDIO_JOB.replace('kind: streamkit::http_input }', 'kind: streamkit::http_input, params: { field: "../x" } }'),
    ),
    expect: { status: 400, node: 'input', param: 'field' },
  },
  {
    name: 'control characters in a node id',
    route: '/api/v1/jobs',
    fields: job(withNode('  "a\\u001b[31m": { kind: core::sink }')),
    expect: { status: 400, code: 'invalid_pipeline' },
  },
  {
    name: 'missing required input',
    route: '/api/v1/jobs',
    fields: job(AUDIO_JOB, []),
    expect: { status: 400, code: 'bad_input', contains: "'media'" },
  },
  {
    name: 'unexpected input',
    route: '/api/v1/jobs',
    fields: job(AUDIO_JOB, [
      ['media', '@media'],
      ['other', '@media'],
    ]),
    expect: { status: 400, code: 'bad_input', contains: "'other'" },
  },
  {
    name: 'override of a missing node',
    route: '/api/v1/jobs',
    fields: job(AUDIO_JOB, [
      ['media', '@media'],
      ['set', 'nope.gain=2'],
    ]),
    expect: { status: 400, param: 'set', contains: "'nope'" },
  },
  {
    name: 'override with a bad value',
    route: '/api/v1/jobs',
    fields: job(AUDIO_JOB, [
      ['media', '@media'],
      ['set', 'encode.bitrate=loud'],
    ]),
    expect: { status: 400, node: 'encode', param: 'bitrate' },
  },
  {
    name: 'max_duration over the server limit',
    route: '/api/v1/jobs',
    fields: job(AUDIO_JOB, [
      ['media', '@media'],
      ['max_duration', '1e9'],
    ]),
    expect: { status: 400, param: 'max_duration' },
  },
  {
    name: 'max_duration not a number',
    route: '/api/v1/jobs',
    fields: job(AUDIO_JOB, [
      ['media', '@media'],
      ['max_duration', 'forever'],
    ]),
    expect: { status: 400, param: 'max_duration' },
  },
  {
    name: 'webhook to a file URL',
    route: '/api/v1/jobs',
    fields: job(AUDIO_JOB, [
      ['media', '@media'],
      ['webhook', 'file:///etc/passwd'],
    ]),
    expect: { status: 400, code: 'bad_url' },
  },
  {
    name: 'webhook to a link-local address',
    route: '/api/v1/jobs',
    fields: job(AUDIO_JOB, [
      ['media', '@media'],
      ['webhook', 'http://169.254.169.254/latest/meta-data'],
    ]),
    expect: { status: 400, code: 'bad_url' },
  },
  {
    name: 'URL input to loopback',
    route: '/api/v1/jobs',
    fields: job(AUDIO_JOB, [['media', 'http://127.0.0.1:6379/']]),
    expect: { status: 400, code: 'bad_url' },
  },
  {
    name: 'URL input to a mapped IPv6 loopback',
    route: '/api/v1/jobs',
    fields: job(AUDIO_JOB, [['media', 'http://[::ffff:7f00:1]/']]),
    expect: { status: 400, code: 'bad_url' },
  },
  {
    name: '/process with the media before the config',
    route: '/api/v1/process',
    fields: [
      ['media', '@media'],
      ['config', AUDIO_JOB],
    ],
    expect: { status: 400, contains: "'config' first" },
  },
  {
    name: 'JSON that is not JSON',
    route: '/api/v1/jobs',
    raw: { type: 'application/json', body: '{"config": ' },
    expect: { status: 400 },
  },
  {
    name: 'JSON with a wrong field',
    route: '/api/v1/jobs',
    raw: { type: 'application/json', body: JSON.stringify({ config: AUDIO_JOB, inputs: { media: 3 } }) },
    expect: { status: 400, param: 'inputs.media' },
  },
  {
    name: 'multipart with a broken boundary',
    route: '/api/v1/jobs',
    raw: {
      type: 'multipart/form-data; boundary=zzz',
      body: '--zzz\r\nContent-Disposition: form-data; name="config"\r\n\r\nsteps',
    },
    expect: { status: 400 },
  },
  {
    name: 'an unknown body type',
    route: '/api/v1/jobs',
    raw: { type: 'text/plain', body: AUDIO_JOB },
    expect: { status: 400 },
  },
];
