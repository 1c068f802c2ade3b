/**
 * The studio's model folders, end to end: the built studio on the real server (which has no
 * --models), driven by playwright-core. A model folder the user picks is kept in the browser and
 * found by another name (StreamKit's Whisper name); a linked URL (another origin) is downloaded on
 * first use, with progress in the run bar, and kept: after the URL is gone, a fresh page still runs
 * it. The pipeline is samples/dynamic/live-captions.yaml with a telemetry tap after the speech to
 * text: Chromium's fake microphone plays espeak-ng speech, the tiny random Whisper
 * (scripts/tiny-models.ts) transcribes each phrase, the caption goes to the compositor. The voice
 * activity sample runs on the same microphone.
 */
import { execFileSync } from 'node:child_process';
import { createReadStream, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import type { Server } from 'node:http';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join, normalize } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS, chromiumPath } from '../../scripts/chromium.js';
import { makeTinyWhisper } from '../../scripts/tiny-models';
import { testServer } from './support';

const ARTIFACTS = 'artifacts';
let server: Awaited<ReturnType<typeof testServer>>;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let models: string;
let files: Server;
let filesUrl: string;
const requested: string[] = [];
const problems: string[] = [];

/** The live captions sample with a telemetry tap between the speech to text and the caption. */
const CAPTIONS = readFileSync('samples/dynamic/live-captions.yaml', 'utf8').replace(
  /( {2}caption:\n(?: {4}.*\n)*?) {4}needs: stt\n/,
  '  tap:\n    kind: core::telemetry_tap\n    needs: stt\n$1    needs: tap\n',
);

/** A static file server on another origin, with CORS, as a model host would be. */
function serveFiles(root: string): Promise<Server> {
  const s = createServer((req, res) => {
    const path = normalize(join(root, decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)));
    requested.push(req.url ?? '');
    res.setHeader('access-control-allow-origin', '*');
    if (!path.startsWith(root) || !existsSync(path) || statSync(path).isDirectory()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-length': statSync(path).size });
    createReadStream(path).pipe(res);
  });
  return new Promise((resolve) => s.listen(0, '127.0.0.1', () => resolve(s)));
}

async function open(): Promise<Page> {
  const p = await context.newPage();
  p.on('console', (m) => {
    if (m.type() === 'error') problems.push(`${m.type()}: ${m.text()}`);
  });
  p.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  await p.goto(`${server.url}/`);
  await p.waitForSelector('.node-item');
  return p;
}

/** Runs the captions pipeline in the tab until the tap reports a transcription; returns the line. */
async function captions(p: Page, shot: string): Promise<string> {
  await p.fill('textarea[aria-label="Pipeline YAML"]', CAPTIONS);
  await p.waitForSelector('.node[data-node="tap"]');
  await expect.poll(() => p.locator('.yaml .status').textContent()).toContain('valid');
  await p.click('button:has-text("Run in tab")');
  const line = p.locator('.monitor .telemetry li', { hasText: 'stt.result' }).first();
  await line.waitFor({ timeout: 90_000 });
  await p.click('.node[data-node="scene"]');
  await p.waitForTimeout(1500);
  await p.screenshot({ path: `${ARTIFACTS}/${shot}` });
  const text = await line.innerText();
  await p.click('.runbar button:has-text("Stop")');
  await p.waitForSelector('.runbar button:has-text("Run in tab"):not([disabled])');
  return text;
}

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  const dir = await mkdtemp(join(tmpdir(), 'weft-studio-models-'));
  models = join(dir, 'models');
  makeTinyWhisper(models, 'whisper-tiny-random');
  // The fake microphone: two spoken phrases with silence around them (Chromium loops the file).
  const a = join(dir, 'a.wav');
  const b = join(dir, 'b.wav');
  execFileSync('espeak-ng', ['-v', 'en-us', '-w', a, '--', 'Hello from the studio.']);
  execFileSync('espeak-ng', ['-v', 'en-us', '-w', b, '--', 'Captions are written here.']);
  const mic = join(dir, 'mic.wav');
  execFileSync('ffmpeg', [
    '-v', 'error', '-y', '-i', a, '-i', b, '-filter_complex',
    '[0]adelay=1000,apad=pad_dur=1.5[x];[1]apad=pad_dur=1.5[y];[x][y]concat=n=2:v=0:a=1',
    '-ar', '48000', '-ac', '1', mic,
  ]); // prettier-ignore
  files = await serveFiles(models);
  const address = files.address();
  filesUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  server = await testServer();
  browser = await chromium.launch({
    executablePath: chromiumPath(),
    args: [
      ...CHROMIUM_ARGS,
      '--use-fake-device-for-media-stream',
      '--use-fake-ui-for-media-stream',
      `--use-file-for-fake-audio-capture=${mic}`,
    ],
  });
  context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
  page = await open();
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
  files?.close();
});

describe('studio model folders', () => {
  it('keeps a picked folder under another name, and live captions in the tab find it', async () => {
    await page.click('header button:has-text("Models")');
    await page.fill('input[aria-label="Model folder name"]', 'whisper-tiny-random');
    await page.setInputFiles('input[aria-label="Pick a model folder"]', join(models, 'whisper-tiny-random'));
    const row = page.locator('tr[data-model="whisper-tiny-random"]');
    await row.waitFor();
    expect(await row.innerText()).toMatch(/a folder you picked\s+\d+ \(/);
    // The sample asks for StreamKit's ggml-base.en, which maps to whisper-base.en.
    await row.locator('input').fill('whisper-base.en');
    await row.locator('input').press('Enter');
    await expect.poll(() => page.locator('.toast').innerText()).toContain('also answers to whisper-base.en');
    await page.click('.models button:has-text("Close")');

    const line = await captions(page, 'studio-captions-folder.png');
    expect(line).toMatch(/tap\s+stt\.result/);
    const loaded = page.locator('.monitor .telemetry li', { hasText: '"status":"loaded"' }).first();
    expect(await loaded.innerText()).toMatch(/stt\s+model\.progress.*"model":"whisper-base\.en".*"device":"wasm"/);
  }, 150_000);

  it('downloads a linked URL folder on first use with progress, and keeps it', async () => {
    await page.click('header button:has-text("Models")');
    await page.locator('tr[data-model="whisper-tiny-random"] button:has-text("Remove")').click();
    await page.locator('tr[data-model="whisper-tiny-random"]').waitFor({ state: 'detached' });
    await page.fill('input[aria-label="Model folder name"]', 'whisper-base.en');
    await page.fill('input[aria-label="Model folder URL"]', `${filesUrl}/whisper-tiny-random/`);
    await page.click('.models button:has-text("Link URL")');
    const row = page.locator('tr[data-model="whisper-base.en"]');
    await row.waitFor();
    expect(await row.innerText()).toContain(`${filesUrl}/whisper-tiny-random/`);
    await page.screenshot({ path: `${ARTIFACTS}/studio-models.png` });
    await page.click('.models button:has-text("Close")');

    await captions(page, 'studio-captions-url.png');
    expect(requested).toContain('/whisper-tiny-random/onnx/encoder_model.onnx');
    expect(await page.locator('.runbar .downloaded').innerText()).toMatch(/\d+ model file\(s\) downloaded and kept/);
    await page.click('header button:has-text("Models")');
    expect(await row.innerText()).toMatch(/whisper-base\.en\s+http\S+\s+[1-9]\d* \(/);
    await page.click('.models button:has-text("Close")');

    // The URL goes away; a fresh page runs the model from the browser's copy.
    await new Promise((resolve) => files.close(resolve));
    const count = requested.length;
    const fresh = await open();
    expect(await captions(fresh, 'studio-captions-cached.png')).toMatch(/tap\s+stt\.result/);
    expect(requested.length).toBe(count);
    expect(await fresh.locator('.runbar .downloaded').count()).toBe(0);
    await fresh.close();
  }, 200_000);

  it('the voice activity sample marks the fake microphone’s speech in the monitor', async () => {
    await page.fill(
      'textarea[aria-label="Pipeline YAML"]',
      readFileSync('samples/dynamic/voice-activity.yaml', 'utf8'),
    );
    await page.waitForSelector('.node[data-node="events"]');
    await expect.poll(() => page.locator('.yaml .status').textContent()).toContain('valid');
    await page.click('button:has-text("Run in tab")');
    // The microphone plays two phrases, the first after 1 s of silence, looping.
    const started = page.locator('.monitor .telemetry li', { hasText: 'speech_start' }).first();
    const ended = page.locator('.monitor .telemetry li', { hasText: 'speech_end' }).first();
    await started.waitFor({ timeout: 30_000 });
    await ended.waitFor({ timeout: 30_000 });
    expect(await ended.innerText()).toMatch(/events\s+\S*speech_end.*"duration_ms":\d{3,}/);
    await page.click('.runbar button:has-text("Stop")');
    await page.waitForSelector('.runbar button:has-text("Run in tab"):not([disabled])');
  }, 60_000);

  it('logged no page errors', () => {
    expect(problems).toEqual([]);
  });
});
