/**
 * `npm run bench:pixels`: video::pixel_convert on 1080p RGBA frames (the CPU converter on a
 * software WebGL, as here; WebGL2 shaders on a hardware one) against
 * ffmpeg's swscale doing the same conversion, both measured as the time the conversion adds to
 * generating the frames. Prints frames per second of conversion for each and the ratio.
 */
import { execFileSync } from 'node:child_process';
import { median, openBenchPage } from './bench-page';

const FRAMES = 120;
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const SIZE = { width: 1920, height: 1080 };

const pipeline = (convert: string | undefined): string => `
mode: oneshot
nodes:
  bars: { kind: video::colorbars, params: { width: ${SIZE.width}, height: ${SIZE.height}, frame_count: ${FRAMES}, pixel_format: rgba8 } }
${convert ? `  convert: { kind: video::pixel_convert, params: { output_format: ${convert} }, needs: bars }\n` : ''}  sink: { kind: core::sink, needs: ${convert ? 'convert' : 'bars'} }
`;

function ffmpegSeconds(format: string | undefined): number {
  const filter = `testsrc2=size=${SIZE.width}x${SIZE.height}:rate=30,format=rgba${format ? `,format=${format}` : ''}`;
  const started = performance.now();
  execFileSync('ffmpeg', [
    '-hide_banner',
    '-loglevel',
    'error',
    '-f',
    'lavfi',
    '-i',
    filter,
    '-frames:v',
    String(FRAMES),
    '-f',
    'null',
    '-',
  ]);
  return (performance.now() - started) / 1000;
}

async function main(): Promise<void> {
  const page = await openBenchPage();
  try {
    const time = async (convert: string | undefined): Promise<number> => {
      const runs: number[] = [];
      for (let i = 0; i < RUNS; i++) runs.push((await page.runWeft(pipeline(convert))).seconds);
      return median(runs);
    };
    const ffTime = (format: string | undefined): number =>
      median(Array.from({ length: RUNS }, () => ffmpegSeconds(format)));
    await time(undefined); // warm-up: codecs, shaders, JIT
    const weftBase = await time(undefined);
    const ffBase = ffTime(undefined);
    console.log(
      `${FRAMES} frames ${SIZE.width}x${SIZE.height} RGBA; conversion time = run time − the same run without it (median of ${RUNS})`,
    );
    for (const [weftFormat, ffFormat] of [
      ['nv12', 'nv12'],
      ['i420', 'yuv420p'],
    ] as const) {
      const weft = Math.max(1e-6, (await time(weftFormat)) - weftBase);
      const ff = Math.max(1e-6, ffTime(ffFormat) - ffBase);
      console.log(`\nRGBA → ${weftFormat}`);
      console.log(
        `  weft   ${(FRAMES / weft).toFixed(1).padStart(7)} fps  (${((weft * 1000) / FRAMES).toFixed(1)} ms/frame, CPU on a software WebGL, else WebGL2)`,
      );
      console.log(
        `  ffmpeg ${(FRAMES / ff).toFixed(1).padStart(7)} fps  (${((ff * 1000) / FRAMES).toFixed(1)} ms/frame, swscale)`,
      );
      console.log(`  ratio  ${(ff / weft).toFixed(2)}x (weft / ffmpeg)`);
    }
  } finally {
    await page.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
