/**
 * `npm run bench:composite`: 10 s of 1080p30 — a background video, a picture-in-picture video and
 * a text overlay, composited and encoded to H.264 MP4 — with Weft's `video::compositor` in
 * headless Chromium, and with ffmpeg doing the same layout (`overlay` + `drawtext`, libx264
 * veryfast), in one run. Prints fps, the ratio, and the peak memory (PSS) of each.
 *
 * `BENCH_GPU_MODE=gpu` runs the compositor's WebGPU backend instead (on a machine with a GPU).
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { median, openBenchPage } from './bench-page';
import { samplePeak } from './memory';

const DIR = resolve('.weft/bench');
const BG = resolve(DIR, 'composite-bg-1080p-10s.mp4');
const PIP = resolve(DIR, 'composite-pip-720p-10s.mp4');
const FRAMES = 300;
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const GPU_MODE = process.env.BENCH_GPU_MODE ?? 'cpu';
/** The picture-in-picture rectangle and the text, the same for both tools. */
const PIP_RECT = { x: 1340, y: 736, width: 540, height: 304 };
const TEXT = { text: 'Weft compositor bench', x: 40, y: 40, size: 48 };
const FONT = '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf';
const BITRATE = '8M';

function make(path: string, source: string): void {
  if (existsSync(path)) return;
  mkdirSync(DIR, { recursive: true });
  console.log(`making ${path} with ffmpeg…`);
  execFileSync('ffmpeg', [
    ...['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', source],
    ...['-c:v', 'libx264', '-preset', 'medium', '-b:v', '8M', '-pix_fmt', 'yuv420p', path],
  ]);
}

const PIPELINE = `
mode: oneshot
nodes:
  bg_in: { kind: streamkit::http_input, params: { field: bg } }
  pip_in: { kind: streamkit::http_input, params: { field: pip } }
  bg_demux: { kind: containers::demuxer, needs: bg_in }
  pip_demux: { kind: containers::demuxer, needs: pip_in }
  bg_dec: { kind: video::decoder, needs: bg_demux.video }
  pip_dec: { kind: video::decoder, needs: pip_demux.video }
  comp:
    kind: video::compositor
    params:
      width: 1920
      height: 1080
      fps: 30
      gpu_mode: ${GPU_MODE}
      layers:
        in_1: { rect: { x: ${PIP_RECT.x}, y: ${PIP_RECT.y}, width: ${PIP_RECT.width}, height: ${PIP_RECT.height} }, aspect_fit: false, z_index: 1 }
      text_overlays:
        - text: "${TEXT.text}"
          rect: { x: ${TEXT.x}, y: ${TEXT.y}, width: 1000, height: ${TEXT.size * 2} }
          font_size: ${TEXT.size}
          z_index: 2
    needs: [bg_dec, pip_dec]
  enc: { kind: video::encoder, params: { codec: h264, bitrate_kbps: 8000, latency_mode: realtime }, needs: comp }
  mux: { kind: containers::muxer, params: { format: mp4 }, needs: { video: enc } }
  out: { kind: streamkit::http_output, needs: mux }
`;

/** ffmpeg with the same layout: scale the PiP, overlay it, draw the text; libx264 veryfast. */
const FFMPEG_ARGS = [
  ...['-hide_banner', '-loglevel', 'error', '-y', '-i', BG, '-i', PIP],
  '-filter_complex',
  `[1:v]scale=${PIP_RECT.width}:${PIP_RECT.height}[pip];[0:v][pip]overlay=${PIP_RECT.x}:${PIP_RECT.y},` +
    `drawtext=fontfile=${FONT}:text='${TEXT.text}':x=${TEXT.x}:y=${TEXT.y}:fontsize=${TEXT.size}:fontcolor=white`,
  ...['-c:v', 'libx264', '-preset', 'veryfast', '-tune', 'zerolatency', '-b:v', BITRATE, '-an'],
  resolve(DIR, 'ffmpeg-composite.mp4'),
];

async function timeFfmpeg(): Promise<{ seconds: number; peak: number }> {
  const started = performance.now();
  const child = spawn('ffmpeg', FFMPEG_ARGS, { stdio: ['ignore', 'ignore', 'inherit'] });
  const memory = samplePeak(child.pid);
  const code = await new Promise<number | null>((done) => child.on('close', done));
  const peak = memory.stop();
  if (code !== 0) throw new Error(`ffmpeg exited with ${code}`);
  return { seconds: (performance.now() - started) / 1000, peak };
}

const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

async function main(): Promise<void> {
  make(BG, 'testsrc2=size=1920x1080:rate=30:duration=10');
  make(PIP, 'testsrc=size=1280x720:rate=30:duration=10');
  if (!existsSync(FONT)) throw new Error(`ffmpeg's drawtext needs ${FONT} (Debian: apt-get install fonts-dejavu-core)`);
  const page = await openBenchPage();
  try {
    const weft: { seconds: number; peak: number }[] = [];
    const ff: { seconds: number; peak: number }[] = [];
    for (let i = 0; i < RUNS; i++) {
      const memory = samplePeak(page.browserPid);
      const run = await page.runWeft(PIPELINE, { bg: BG, pip: PIP });
      weft.push({ seconds: run.seconds, peak: memory.stop() });
      ff.push(await timeFfmpeg());
    }
    const fps = (runs: { seconds: number }[]) => FRAMES / median(runs.map((r) => r.seconds));
    const list = (runs: { seconds: number }[]) => runs.map((r) => (FRAMES / r.seconds).toFixed(1)).join(', ');
    const peak = (runs: { peak: number }[]) => Math.max(...runs.map((r) => r.peak));
    console.log(
      `\n10 s 1080p30: background + PiP (${PIP_RECT.width}×${PIP_RECT.height}) + text → H.264 MP4 ${BITRATE}b/s`,
    );
    console.log(
      `  weft   ${fps(weft).toFixed(1).padStart(6)} fps  median of ${RUNS} (${list(weft)}); peak ${mb(peak(weft))} (Chromium, all processes, PSS); compositor gpu_mode ${GPU_MODE}`,
    );
    console.log(
      `  ffmpeg ${fps(ff).toFixed(1).padStart(6)} fps  median of ${RUNS} (${list(ff)}); peak ${mb(peak(ff))} (overlay + drawtext, libx264 veryfast zerolatency)`,
    );
    console.log(`  ratio  ${(fps(weft) / fps(ff)).toFixed(2)}x (weft / ffmpeg; goal ≥ 1.0, peak ≤ 1 GiB)`);
  } finally {
    await page.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
