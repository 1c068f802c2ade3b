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

export const mediaCommands = { makeMedia, probeMedia, audioRms, writeGolden };
