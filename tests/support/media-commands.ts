/**
 * Browser-test commands that run in the Vitest (Node) process: make input media with ffmpeg and
 * inspect Weft's outputs with ffprobe. Names are restricted so a test cannot reach other paths.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { BrowserCommand } from 'vitest/node';
import {
  makeTinyKokoro,
  makeTinyMarian,
  makeTinyNllb,
  makeTinyVits,
  makeTinyWhisper,
  TINY_MODELS_DIR,
} from '../../scripts/tiny-models';

const run = promisify(execFile);
const MEDIA_DIR = '.weft/test-media';
const OUT_DIR = '.weft/test-out';
const SAFE_NAME = /^[a-z0-9][a-z0-9._-]*$/i;

function safe(name: string): string {
  if (!SAFE_NAME.test(name)) throw new Error(`unsafe media file name '${name}'`);
  return name;
}

/** Makes (once) an input file with `ffmpeg <args> <file>` under .weft/test-media; returns its path. */
export async function ensureMedia(name: string, args: string[]): Promise<string> {
  mkdirSync(MEDIA_DIR, { recursive: true });
  const path = join(MEDIA_DIR, safe(name));
  if (!existsSync(path)) {
    const partial = join(MEDIA_DIR, `partial-${name}`); // same extension, so ffmpeg picks the format
    await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args, partial]);
    await rename(partial, path);
  }
  return path;
}

/** What ffprobe says about a file (format and streams, with counted frames). */
export async function ffprobeFile(path: string): Promise<unknown> {
  const { stdout } = await run('ffprobe', [
    '-v',
    'error',
    '-count_frames',
    '-show_format',
    '-show_streams',
    '-of',
    'json',
    path,
  ]);
  return JSON.parse(stdout) as unknown;
}

/** Makes (once) an input file with `ffmpeg <args> <file>` and returns its bytes as base64. */
export const makeMedia: BrowserCommand<[name: string, args: string[]]> = async (_ctx, name, args) =>
  (await readFile(await ensureMedia(name, args))).toString('base64');

/** Stores an output of a test (under .weft/test-out) and returns what ffprobe says about it. */
export const probeMedia: BrowserCommand<[name: string, base64: string]> = async (_ctx, name, base64) => {
  mkdirSync(OUT_DIR, { recursive: true });
  const path = join(OUT_DIR, safe(name));
  await writeFile(path, Buffer.from(base64, 'base64'));
  return ffprobeFile(path);
};

/** RMS level (linear, 0–1) of the first audio stream of a stored output or input file. */
export const audioRms: BrowserCommand<[dir: 'in' | 'out', name: string]> = async (_ctx, dir, name) => {
  const path = join(dir === 'in' ? MEDIA_DIR : OUT_DIR, safe(name));
  const { stderr } = await run('ffmpeg', [
    '-hide_banner',
    '-nostats',
    '-i',
    path,
    '-map',
    '0:a:0',
    '-af',
    'astats=measure_perchannel=none',
    '-f',
    'null',
    '-',
  ]);
  const match = /RMS level dB:\s*(-?[\d.]+|-inf)/.exec(stderr);
  if (!match?.[1]) throw new Error(`no RMS level in ffmpeg output for ${name}`);
  return match[1] === '-inf' ? 0 : 10 ** (Number(match[1]) / 20);
};

/** Every command, for the Vitest config. */
/** Golden images of the compositor suite (`tests/golden`). */
const GOLDEN_DIR = 'tests/golden';

/**
 * Writes a golden PNG, only when WEFT_UPDATE_GOLDEN=1 (so a normal run can never overwrite the
 * references it checks against). Returns whether it wrote.
 */
const writeGolden: BrowserCommand<[name: string, base64: string]> = async (_ctx, name, base64) => {
  if (process.env.WEFT_UPDATE_GOLDEN !== '1') return false;
  mkdirSync(GOLDEN_DIR, { recursive: true });
  await writeFile(join(GOLDEN_DIR, `${safe(name)}.png`), Buffer.from(base64, 'base64'));
  return true;
};

/** Loudness above which a 10 ms window counts as sound, when finding where speech really starts. */
const SOUND_RMS = 0.01;

/**
 * Speaks `phrases` with espeak-ng, `gapMs` of silence before each and after the last, as 16 kHz
 * mono float samples (base64 f32le), with where each phrase's sound starts and ends (ms), measured
 * on the samples themselves.
 */
export const speech: BrowserCommand<[name: string, phrases: string[], gapMs: number]> = async (
  _ctx,
  name,
  phrases,
  gapMs,
) => {
  mkdirSync(MEDIA_DIR, { recursive: true });
  const rate = 16_000;
  const gap = new Float32Array(Math.round((gapMs * rate) / 1000));
  const parts: Float32Array[] = [gap];
  for (const [i, phrase] of phrases.entries()) {
    const wav = join(MEDIA_DIR, `${safe(name)}-${i}.wav`);
    if (!existsSync(wav)) await run('espeak-ng', ['-v', 'en-us', '-s', '150', '-w', wav, phrase]);
    const { stdout } = await run(
      'ffmpeg',
      ['-v', 'error', '-i', wav, '-f', 'f32le', '-ac', '1', '-ar', String(rate), 'pipe:1'],
      { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 },
    );
    parts.push(new Float32Array(stdout.buffer, stdout.byteOffset, stdout.byteLength / 4).slice(), gap);
  }
  const pcm = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  const spans: { startMs: number; endMs: number }[] = [];
  for (const [i, part] of parts.entries()) {
    if (i % 2 === 1) {
      const win = rate / 100;
      const loud: number[] = [];
      for (let w = 0; w + win <= part.length; w += win) {
        let sum = 0;
        for (let k = w; k < w + win; k++) sum += (part[k] ?? 0) ** 2;
        if (Math.sqrt(sum / win) > SOUND_RMS) loud.push(w);
      }
      const first = loud[0] ?? 0;
      const last = (loud.at(-1) ?? 0) + win;
      spans.push({ startMs: ((at + first) * 1000) / rate, endMs: ((at + last) * 1000) / rate });
    }
    pcm.set(part, at);
    at += part.length;
  }
  return { pcm: Buffer.from(pcm.buffer).toString('base64'), spans, durationMs: (pcm.length * 1000) / rate };
};

/** `text` spoken by Debian's own espeak-ng (the reference for the WebAssembly build), as 22.05 kHz mono f32le base64. */
export const nativeEspeak: BrowserCommand<[text: string, voice: string, wpm: number]> = async (
  _ctx,
  text,
  voice,
  wpm,
) => {
  mkdirSync(MEDIA_DIR, { recursive: true });
  const wav = join(MEDIA_DIR, `espeak-native-${Date.now()}-${Math.random().toString(36).slice(2)}.wav`);
  await run('espeak-ng', ['-v', voice, '-s', String(wpm), '-w', wav, '--', text]);
  const { stdout } = await run(
    'ffmpeg',
    ['-v', 'error', '-i', wav, '-f', 'f32le', '-ac', '1', '-ar', '22050', 'pipe:1'],
    {
      encoding: 'buffer',
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  return stdout.toString('base64');
};

/** Makes (once) the tiny random-weight models of the ML tests under TINY_MODELS_DIR; returns the folder. */
export const tinyModels: BrowserCommand<[]> = () => {
  const dir = TINY_MODELS_DIR;
  if (!existsSync(join(dir, 'whisper-tiny-random', 'onnx', 'decoder_model_merged.onnx'))) makeTinyWhisper(dir);
  if (!existsSync(join(dir, 'opus-mt-tiny-random', 'onnx', 'decoder_model_merged.onnx'))) makeTinyMarian(dir);
  if (!existsSync(join(dir, 'vits-tiny-random', 'onnx', 'model.onnx'))) makeTinyVits(dir);
  if (!existsSync(join(dir, 'nllb-tiny-random', 'onnx', 'decoder_model_merged.onnx'))) makeTinyNllb(dir);
  if (!existsSync(join(dir, 'kokoro-tiny-random', 'voices', 'am_adam.bin'))) makeTinyKokoro(dir);
  return Promise.resolve(dir);
};

export const mediaCommands = { makeMedia, probeMedia, audioRms, writeGolden, speech, nativeEspeak, tinyModels };
