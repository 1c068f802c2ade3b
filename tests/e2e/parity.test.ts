/**
 * Same pipeline, same result: each pipeline runs in the studio tab (driven by Playwright, the
 * studio's engine Worker) and as a server job (a headless page's engine Worker), with software
 * codecs asked for, and the outputs are decoded by ffmpeg and compared: frame and sample counts,
 * every frame's timestamp, and the decoded pictures and samples (identical, or PSNR ≥ 50 dB where
 * an encoder need not be deterministic; the figures are printed).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS, chromiumPath } from '../../scripts/chromium.js';
import { H264_AAC, MONO_WAV, MUSIC } from '../browser/inputs';
import { makeTinyWhisper } from '../../scripts/tiny-models';
import { ensureMedia, submit, testServer, waitFinal } from './support';

const SOFTWARE = 'hardware_acceleration: prefer-software';

const TRANSCODE = `mode: oneshot
nodes:
  input: { kind: streamkit::http_input }
  demux: { kind: containers::demuxer, needs: input }
  vdec: { kind: video::decoder, params: { ${SOFTWARE} }, needs: demux.video }
  venc: { kind: video::encoder, params: { codec: vp9, bitrate_kbps: 1000, ${SOFTWARE} }, needs: vdec }
  adec: { kind: audio::decoder, needs: demux.audio }
  resample: { kind: audio::resampler, params: { target_sample_rate: 48000 }, needs: adec }
  aenc: { kind: audio::encoder, params: { codec: opus, bitrate: 96000 }, needs: resample }
  mux: { kind: containers::muxer, params: { format: webm }, needs: { video: venc, audio: aenc } }
  output: { kind: streamkit::http_output, needs: mux }
`;

const MIX = `mode: oneshot
nodes:
  voice: { kind: streamkit::http_input }
  music: { kind: streamkit::http_input }
  dv: { kind: containers::demuxer, needs: voice }
  dm: { kind: containers::demuxer, needs: music }
  av: { kind: audio::decoder, needs: dv.audio }
  am: { kind: audio::decoder, needs: dm.audio }
  rv: { kind: audio::resampler, params: { target_sample_rate: 48000 }, needs: av }
  rm: { kind: audio::resampler, params: { target_sample_rate: 48000 }, needs: am }
  quiet: { kind: audio::gain, params: { gain: 0.5 }, needs: rm }
  mix: { kind: audio::mixer, needs: [rv, quiet] }
  pcm: { kind: audio::encoder, params: { codec: pcm-s16 }, needs: mix }
  mux: { kind: containers::muxer, params: { format: wav }, needs: { audio: pcm } }
  output: { kind: streamkit::http_output, needs: mux }
`;

const BARS = `mode: oneshot
nodes:
  bars: { kind: video::colorbars, params: { width: 320, height: 240, fps: 30, frame_count: 45 } }
  enc: { kind: video::encoder, params: { codec: h264, bitrate_kbps: 800, ${SOFTWARE} }, needs: bars }
  mux: { kind: containers::muxer, params: { format: mp4 }, needs: { video: enc } }
  output: { kind: streamkit::http_output, needs: mux }
`;

/** Speech with no model: sentences of a text file spoken by eSpeak NG, to WAV (PCM). */
const SPEAK = `mode: oneshot
nodes:
  text: { kind: streamkit::http_input }
  sentences: { kind: core::text_chunker, params: { split_mode: sentences }, needs: text }
  speak: { kind: tts::espeak, params: { voice: en-us, speed: 170 }, needs: sentences }
  pcm: { kind: audio::encoder, params: { codec: pcm-s16 }, needs: speak }
  mux: { kind: containers::muxer, params: { format: wav }, needs: { audio: pcm } }
  output: { kind: streamkit::http_output, needs: mux }
`;

/** Where the speech is: Silero VAD events as JSON lines. */
const DETECT = `mode: oneshot
nodes:
  input: { kind: streamkit::http_input }
  wav: { kind: containers::wav::demuxer, needs: input }
  rate: { kind: audio::resampler, params: { target_sample_rate: 16000, output_frame_size: 960 }, needs: wav }
  vad: { kind: plugin::native::vad, params: { min_silence_duration_s: 0.3 }, needs: rate }
  json: { kind: core::json_serialize, params: { newline_delimited: true }, needs: vad }
  output: { kind: streamkit::http_output, needs: json }
`;

/** Speech to text on speech eSpeak NG made (a tiny random Whisper from the server's models folder). */
const TRANSCRIBE = `mode: oneshot
nodes:
  text: { kind: streamkit::http_input }
  sentences: { kind: core::text_chunker, params: { split_mode: sentences }, needs: text }
  speak: { kind: tts::espeak, needs: sentences }
  rate: { kind: audio::resampler, params: { target_sample_rate: 16000, output_frame_size: 960 }, needs: speak }
  stt: { kind: plugin::native::whisper, params: { model_path: models/whisper-tiny-random, max_new_tokens: 12, min_silence_duration_ms: 300 }, needs: rate }
  json: { kind: core::json_serialize, params: { newline_delimited: true }, needs: stt }
  output: { kind: streamkit::http_output, needs: json }
`;

let server: Awaited<ReturnType<typeof testServer>>;
let browser: Browser;
let page: Page;
let out: string;

function ffmpeg(args: string[]): Buffer {
  const r = spawnSync('ffmpeg', ['-v', 'error', ...args], { maxBuffer: 512 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`ffmpeg ${args.join(' ')}: ${r.stderr.toString()}`);
  return r.stdout;
}

function ptsList(file: string, stream: 'v' | 'a'): string[] {
  const r = spawnSync('ffprobe', [
    '-v',
    'error',
    '-select_streams',
    stream,
    '-show_entries',
    'frame=pts_time',
    '-of',
    'csv=p=0',
    file,
  ]);
  return r.stdout.toString().trim().split('\n').filter(Boolean);
}

/** PSNR in dB between two byte buffers of 8-bit samples (Infinity when identical). */
function psnr8(a: Buffer, b: Buffer): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    sum += d * d;
  }
  return sum === 0 ? Infinity : 10 * Math.log10((255 * 255) / (sum / a.length));
}

/** PSNR in dB between two s16le sample buffers. */
function psnr16(a: Buffer, b: Buffer): number {
  let sum = 0;
  const n = Math.floor(a.length / 2);
  for (let i = 0; i < n; i++) {
    const d = a.readInt16LE(2 * i) - b.readInt16LE(2 * i);
    sum += d * d;
  }
  return sum === 0 ? Infinity : 10 * Math.log10((32767 * 32767) / (sum / n));
}

/** Runs `yaml` in the tab with `inputs` (job input name → file; a lone http_input is `media`) and saves the output. */
async function inTab(yaml: string, inputs: Record<string, string>, name: string, marker: string): Promise<string> {
  await page.fill('textarea[aria-label="Pipeline YAML"]', yaml);
  // This document (not the last one) is drawn and checked.
  await page.waitForSelector(`.node[data-node="${marker}"]`);
  await page.waitForFunction(() => document.querySelector('.yaml .status')?.textContent?.includes('valid'));
  for (const [input, file] of Object.entries(inputs)) {
    const field = page.locator(`input[aria-label="Input ${input}"]`);
    await field.setInputFiles(file);
  }
  const previous = await page.evaluate(() => document.querySelector('.runbar > a.output')?.getAttribute('href'));
  await page.click('button:has-text("Run in tab")');
  const fresh = await page.waitForFunction(
    (prev) => {
      const href = document.querySelector('.runbar > a.output')?.getAttribute('href');
      return href && href !== prev ? href : false;
    },
    previous,
    { timeout: 90_000 },
  );
  const href = (await fresh.jsonValue()) as string;
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.click(`.runbar > a.output[href="${href}"]`),
  ]);
  const path = join(out, `tab-${name}`);
  await download.saveAs(path);
  return path;
}

/** Runs `yaml` as a server job and saves the output. */
async function onServer(yaml: string, inputs: Record<string, string>, name: string): Promise<string> {
  const submitted = await submit(server.url, { text: yaml }, inputs);
  expect(submitted.status, JSON.stringify(submitted.body)).toBe(202);
  const job = await waitFinal(server.url, submitted.body.id ?? '', 90_000);
  expect(job.state, JSON.stringify(job.error)).toBe('succeeded');
  const response = await fetch(`${server.url}/api/v1/jobs/${job.id}/outputs/output`);
  const path = join(out, `server-${name}`);
  await writeFile(path, new Uint8Array(await response.arrayBuffer()));
  return path;
}

beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), 'weft-parity-'));
  makeTinyWhisper(join(out, 'models'));
  server = await testServer({ modelsDir: join(out, 'models') });
  browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });
  const context = await browser.newContext({ acceptDownloads: true });
  page = await context.newPage();
  await page.goto(`${server.url}/`);
  await page.waitForSelector('.node-item');
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('tab and server give the same result', () => {
  it('VP9/Opus transcode: same frames, timestamps and samples', async () => {
    const input = await ensureMedia(...H264_AAC);
    const tab = await inTab(TRANSCODE, { media: input }, 'transcode.webm', 'venc');
    const job = await onServer(TRANSCODE, { media: input }, 'transcode.webm');
    expect(ptsList(tab, 'v')).toEqual(ptsList(job, 'v'));
    expect(ptsList(tab, 'v')).toHaveLength(60);
    expect(ptsList(tab, 'a')).toEqual(ptsList(job, 'a'));
    const video = (f: string) => ffmpeg(['-i', f, '-map', '0:v', '-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-']);
    const audio = (f: string) => ffmpeg(['-i', f, '-map', '0:a', '-f', 's16le', '-']);
    const [tv, sv, ta, sa] = [video(tab), video(job), audio(tab), audio(job)];
    expect(tv.length).toBe(sv.length);
    expect(ta.length).toBe(sa.length);
    const pv = psnr8(tv, sv);
    const pa = psnr16(ta, sa);
    console.log(`parity transcode: video PSNR ${pv} dB, audio PSNR ${pa} dB`);
    expect(pv).toBeGreaterThanOrEqual(50);
    expect(pa).toBeGreaterThanOrEqual(50);
  });

  it('a mix with gain to WAV: identical samples', async () => {
    const voice = await ensureMedia(...MONO_WAV);
    const music = await ensureMedia(...MUSIC);
    const tab = await inTab(MIX, { voice, music }, 'mix.wav', 'quiet');
    const job = await onServer(MIX, { voice, music }, 'mix.wav');
    const pcm = (f: string) => ffmpeg(['-i', f, '-f', 's16le', '-']);
    const [t, s] = [pcm(tab), pcm(job)];
    expect(t.length).toBeGreaterThan(48_000 * 2 * 2); // over a second of stereo
    expect(t.equals(s)).toBe(true);
  });

  it('speech and voice activity (eSpeak NG, Silero): identical samples, identical events', async () => {
    const text = join(out, 'story.txt');
    await writeFile(text, 'The same pipeline gives the same result. In the tab, and on the server. Every time.');
    const tab = await inTab(SPEAK, { media: text }, 'speech.wav', 'speak');
    const job = await onServer(SPEAK, { media: text }, 'speech.wav');
    const pcm = (f: string) => ffmpeg(['-i', f, '-f', 's16le', '-']);
    const [t, s] = [pcm(tab), pcm(job)];
    expect(t.length).toBeGreaterThan(22_050 * 2 * 3); // over three seconds of speech
    expect(t.equals(s)).toBe(true);
    const tabEvents = await inTab(DETECT, { media: job }, 'events.jsonl', 'vad');
    const jobEvents = await onServer(DETECT, { media: job }, 'events.jsonl');
    const [te, se] = [readFileSync(tabEvents, 'utf8'), readFileSync(jobEvents, 'utf8')];
    expect(te.trim().split('\n').length).toBeGreaterThanOrEqual(2); // at least one start and its end
    expect(te).toBe(se);
  });

  it('speech to text (transformers.js Whisper): the same transcript, segment for segment', async () => {
    const text = join(out, 'dictation.txt');
    await writeFile(text, 'First we speak. Then we listen.');
    const tab = await inTab(TRANSCRIBE, { media: text }, 'transcript.jsonl', 'stt');
    const job = await onServer(TRANSCRIBE, { media: text }, 'transcript.jsonl');
    const [t, s] = [readFileSync(tab, 'utf8'), readFileSync(job, 'utf8')];
    expect(t.trim().split('\n').length).toBeGreaterThanOrEqual(1);
    expect(t).toBe(s);
  });

  it('colour bars to H.264: same frames and timestamps', async () => {
    const tab = await inTab(BARS, {}, 'bars.mp4', 'bars');
    const job = await onServer(BARS, {}, 'bars.mp4');
    expect(ptsList(tab, 'v')).toEqual(ptsList(job, 'v'));
    expect(ptsList(tab, 'v')).toHaveLength(45);
    const video = (f: string) => ffmpeg(['-i', f, '-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-']);
    const [t, s] = [video(tab), video(job)];
    expect(t.length).toBe(s.length);
    const p = psnr8(t, s);
    console.log(`parity colour bars: video PSNR ${p} dB`);
    expect(p).toBeGreaterThanOrEqual(50);
  });
});
