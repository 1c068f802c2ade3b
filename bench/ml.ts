/**
 * `npm run bench:ml`: the real-time factor of plugin::native::vad (Silero v5 on onnxruntime-web's
 * WebAssembly backend) in headless Chromium, on a minute of espeak-ng speech with pauses, beside
 * ffmpeg's silencedetect (an energy gate, the nearest thing ffmpeg has) on the same file. RTF =
 * processing time / audio duration: below 1 is faster than real time. Whisper's RTF needs a model
 * folder (WEFT_MODELS), which this machine does not have; it is measured on WASM (use_gpu: false)
 * and, on a machine with a GPU, on WebGPU (use_gpu: true). The VAD runs on WASM everywhere (Silero
 * is too small for WebGPU to pay).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { hasGpu } from '../scripts/chromium.js';
import { median, openBenchPage } from './bench-page';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const SECONDS = Number(process.env.BENCH_SPEECH_S ?? 60);
const DIR = resolve('.weft/bench-media');
const LINES = [
  'The quick brown fox jumps over the lazy dog.',
  'Weft runs media pipelines in the browser.',
  'Voice activity detection finds where people speak.',
];

/** A WAV of espeak-ng sentences with a second of silence after each, about SECONDS long, 16 kHz mono. */
function speechFile(): { path: string; seconds: number } {
  mkdirSync(DIR, { recursive: true });
  const path = join(DIR, `speech-${SECONDS}s.wav`);
  const sentences: string[] = [];
  for (let i = 0; sentences.length * 3.5 < SECONDS; i++) sentences.push(LINES[i % LINES.length] ?? '');
  // Each sentence is spoken on its own and joined with a second of silence by ffmpeg.
  const parts: string[] = [];
  sentences.forEach((s, i) => {
    const wav = join(DIR, `s${i}.wav`);
    execFileSync('espeak-ng', ['-v', 'en-us', '-w', wav, '--', s]);
    parts.push(wav);
  });
  const inputs = parts.flatMap((p) => ['-i', p]);
  const filter = `${parts.map((_, i) => `[${i}]apad=pad_dur=1[a${i}]`).join(';')};${parts.map((_, i) => `[a${i}]`).join('')}concat=n=${parts.length}:v=0:a=1`;
  execFileSync('ffmpeg', ['-v', 'error', '-y', ...inputs, '-filter_complex', filter, '-ar', '16000', '-ac', '1', path]);
  const seconds = Number(
    execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', path], {
      encoding: 'utf8',
    }).trim(),
  );
  return { path, seconds };
}

const pipeline = `
mode: oneshot
nodes:
  in: { kind: streamkit::http_input }
  wav: { kind: containers::wav::demuxer, needs: in }
  vad: { kind: plugin::native::vad, params: { output_mode: events }, needs: wav }
  out: { kind: core::sink, needs: vad }
`;

async function main(): Promise<void> {
  const { path, seconds } = speechFile();
  const page = await openBenchPage();
  try {
    await page.runWeft(pipeline, path); // warm-up: the model and the runtime load once
    const runs: number[] = [];
    for (let i = 0; i < RUNS; i++) runs.push((await page.runWeft(pipeline, path)).seconds);
    const weft = median(runs);
    const ff = median(
      Array.from({ length: RUNS }, () => {
        const started = performance.now();
        execFileSync('ffmpeg', ['-v', 'error', '-i', path, '-af', 'silencedetect=n=-35dB:d=0.5', '-f', 'null', '-']);
        return (performance.now() - started) / 1000;
      }),
    );
    console.log(`${seconds.toFixed(1)} s of espeak-ng speech, 16 kHz mono (median of ${RUNS})`);
    console.log(
      `  weft plugin::native::vad (Silero v5, WASM)  ${weft.toFixed(2)} s  RTF ${(weft / seconds).toFixed(3)}`,
    );
    console.log(`  ffmpeg silencedetect (energy gate)          ${ff.toFixed(2)} s  RTF ${(ff / seconds).toFixed(3)}`);
    console.log(`  ratio ${(weft / ff).toFixed(1)}x (weft / ffmpeg; a neural model against an energy threshold)`);
    const models = process.env.WEFT_MODELS;
    const whispers = ['whisper-tiny.en', 'whisper-tiny', 'whisper-base.en', 'whisper-base'].filter(
      (name) => models !== undefined && existsSync(join(models, name, 'config.json')),
    );
    if (whispers.length === 0) {
      console.log(
        '  plugin::native::whisper: no model folder configured (WEFT_MODELS=DIR with whisper-tiny.en, whisper-base.en …)',
      );
    }
    const devices: [string, boolean][] = [
      ['WASM', false],
      ...(hasGpu() ? [['WebGPU', true] as [string, boolean]] : []),
    ];
    for (const name of whispers) {
      for (const [device, useGpu] of devices) {
        const stt = `
mode: oneshot
nodes:
  in: { kind: streamkit::http_input }
  wav: { kind: containers::wav::demuxer, needs: in }
  stt: { kind: plugin::native::whisper, params: { model_path: models/${name}, use_gpu: ${useGpu} }, needs: wav }
  out: { kind: core::sink, needs: stt }
`;
        const warm = await page.runWeft(stt, path); // warm-up: the model loads once
        if (warm.state !== 'done') throw new Error(`whisper ${name} on ${device}: ${warm.error ?? warm.state}`);
        const times: number[] = [];
        for (let i = 0; i < RUNS; i++) times.push((await page.runWeft(stt, path)).seconds);
        const t = median(times);
        console.log(
          `  weft plugin::native::whisper (${name}, ${device})  ${t.toFixed(2)} s  RTF ${(t / seconds).toFixed(3)}`,
        );
      }
    }
  } finally {
    await page.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
