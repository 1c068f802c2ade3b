/**
 * `npm run bench`: transcodes a generated 10 s 1080p H.264+AAC clip in headless Chromium with
 * Weft, and with ffmpeg using matching codec and speed settings, and prints fps and the ratio.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { median, openBenchPage } from './bench-page';

const DIR = resolve('.weft/bench');
const CLIP = resolve(DIR, 'clip-1080p-10s.mp4');
const FRAMES = 300;
/** Runs per tool and case; medians are compared. */
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

function makeClip(): void {
  if (existsSync(CLIP)) return;
  mkdirSync(DIR, { recursive: true });
  console.log('making a 10 s 1080p30 H.264 + AAC clip with ffmpeg…');
  execFileSync('ffmpeg', [
    '-hide_banner',
    '-loglevel',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    'testsrc2=size=1920x1080:rate=30:duration=10',
    '-f',
    'lavfi',
    '-i',
    'sine=frequency=440:sample_rate=48000:duration=10',
    '-c:v',
    'libx264',
    '-preset',
    'medium',
    '-b:v',
    '8M',
    '-bf',
    '2',
    '-pix_fmt',
    'yuv420p',
    '-c:a',
    'aac',
    '-b:a',
    '128k',
    '-ac',
    '2',
    '-shortest',
    CLIP,
  ]);
}

interface Case {
  name: string;
  pipeline: string;
  ffmpeg: string[];
  out: string;
}

const pipeline = (video: string, audio: string, format: string): string => `
mode: oneshot
nodes:
  input: { kind: streamkit::http_input }
  demux: { kind: containers::demuxer, needs: input }
  vdec: { kind: video::decoder, needs: demux.video }
  venc: { kind: video::encoder, params: ${video}, needs: vdec }
  adec: { kind: audio::decoder, needs: demux.audio }
  aenc: { kind: audio::encoder, params: ${audio}, needs: adec }
  mux: { kind: containers::muxer, params: { format: ${format} }, needs: { video: venc, audio: aenc } }
  output: { kind: streamkit::http_output, needs: mux }
`;

const CASES: Case[] = [
  {
    name: 'WebM VP9 4 Mb/s + Opus 128k (realtime speed)',
    pipeline: pipeline(
      '{ codec: vp9, bitrate_kbps: 4000, latency_mode: realtime }',
      '{ codec: opus, bitrate: 128000 }',
      'webm',
    ),
    ffmpeg: [
      '-c:v',
      'libvpx-vp9',
      '-deadline',
      'realtime',
      '-cpu-used',
      '8',
      '-row-mt',
      '1',
      '-b:v',
      '4M',
      '-c:a',
      'libopus',
      '-b:a',
      '128k',
    ],
    out: 'ffmpeg-vp9.webm',
  },
  {
    name: 'MP4 H.264 4 Mb/s + AAC 128k (Chromium: OpenH264; AAC: mediabunny encoder)',
    pipeline: pipeline(
      '{ codec: h264, bitrate_kbps: 4000, latency_mode: realtime }',
      '{ codec: aac, bitrate: 128000 }',
      'mp4',
    ),
    ffmpeg: [
      '-c:v',
      'libx264',
      '-preset',
      'veryfast',
      '-tune',
      'zerolatency',
      '-b:v',
      '4M',
      '-c:a',
      'aac',
      '-b:a',
      '128k',
    ],
    out: 'ffmpeg-h264.mp4',
  },
];

function timeFfmpeg(c: Case): number {
  const started = performance.now();
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-i', CLIP, ...c.ffmpeg, resolve(DIR, c.out)]);
  return (performance.now() - started) / 1000;
}

async function main(): Promise<void> {
  makeClip();
  const page = await openBenchPage();
  try {
    console.log(`input: ${CLIP} (${(statSync(CLIP).size / 1e6).toFixed(1)} MB, ${FRAMES} frames)`);
    for (const c of CASES) {
      // Both tools run the case RUNS times; the medians are compared (the first run in a fresh page
      // also pays for loading the codecs, which a warm worker does not).
      const weftSeconds: number[] = [];
      const ffSeconds: number[] = [];
      let bytes = 0;
      for (let i = 0; i < RUNS; i++) {
        const weft = await page.runWeft(c.pipeline, CLIP);
        weftSeconds.push(weft.seconds);
        bytes = weft.bytes;
        ffSeconds.push(timeFfmpeg(c));
      }
      const weftFps = FRAMES / median(weftSeconds);
      const ffFps = FRAMES / median(ffSeconds);
      const runs = (list: number[]): string => list.map((s) => (FRAMES / s).toFixed(1)).join(', ');
      console.log(`\n${c.name}`);
      console.log(
        `  weft   ${weftFps.toFixed(1).padStart(7)} fps  median of ${RUNS} (${runs(weftSeconds)}; ${(bytes / 1e6).toFixed(1)} MB)`,
      );
      console.log(
        `  ffmpeg ${ffFps.toFixed(1).padStart(7)} fps  median of ${RUNS} (${runs(ffSeconds)}; ffmpeg ${c.ffmpeg.join(' ')})`,
      );
      console.log(`  ratio  ${(weftFps / ffFps).toFixed(2)}x (weft / ffmpeg; goal ≥ 1.0)`);
    }
  } finally {
    await page.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
