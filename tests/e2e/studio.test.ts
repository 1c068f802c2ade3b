/**
 * End to end in the studio: the built studio served by the real server, driven by playwright-core
 * in headless Chromium. Builds a pipeline by palette clicks and drags, runs it in the tab, checks
 * the download with ffprobe, and covers undo/redo, copy/paste, share links, Run on server and the
 * Convert view. Screenshots go to artifacts/ (not committed).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { CHROMIUM_ARGS, chromiumPath } from '../../scripts/chromium.js';
import { H264_AAC } from '../browser/inputs';
import { codecs, ensureMedia, probe, testServer } from './support';

const ARTIFACTS = 'artifacts';
let server: Awaited<ReturnType<typeof testServer>>;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let out: string;
const problems: string[] = [];
let madeByWeft = '';

async function open(url: string): Promise<Page> {
  const p = await context.newPage();
  p.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
  });
  p.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  await p.goto(url);
  await p.waitForSelector('.node-item');
  return p;
}

const nodeCount = () => page.locator('svg.graph .node').count();

/** Drags from an output pin to an input pin with the mouse. */
async function drag(from: string, fromPin: string, to: string, toPin: string): Promise<void> {
  const a = await page.locator(`.node[data-node="${from}"] .pin.out[data-pin="${fromPin}"] circle`).boundingBox();
  const b = await page.locator(`.node[data-node="${to}"] .pin.in[data-pin="${toPin}"] circle`).boundingBox();
  if (!a || !b) {
    await page.screenshot({ path: `${ARTIFACTS}/failed-drag.png` });
    throw new Error(`pins ${from}.${fromPin} or ${to}.${toPin} not on screen`);
  }
  await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
  await page.mouse.down();
  await page.mouse.move((a.x + b.x) / 2, (a.y + b.y) / 2, { steps: 5 });
  await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 5 });
  await page.mouse.up();
}

async function download(p: Page, selector: string, name: string): Promise<string> {
  const [file] = await Promise.all([p.waitForEvent('download'), p.click(selector)]);
  const path = join(out, name);
  await file.saveAs(path);
  return path;
}

/** Puts `yaml` in the editor, runs it in the tab and probes the output this run wrote. */
async function record(yaml: string, source: string, name: string, nodes = 4) {
  await page.fill('textarea[aria-label="Pipeline YAML"]', yaml);
  // The graph shows this YAML (not the last one) once its source node is drawn.
  await page.waitForSelector(`.node[data-node="${source}"]`);
  await expect.poll(nodeCount).toBe(nodes);
  await expect.poll(() => page.locator('.yaml .status').textContent()).toContain('valid');
  return runForOutput(name);
}

/** Runs the editor's pipeline in the tab and probes the output this run wrote. */
async function runForOutput(name: string) {
  // Wait for this run's output link, not the previous run's.
  const previous = await page.evaluate(() => document.querySelector('.runbar > a.output')?.getAttribute('href'));
  await page.click('button:has-text("Run in tab")');
  await page.waitForFunction(
    (prev) => {
      const href = document.querySelector('.runbar > a.output')?.getAttribute('href');
      return href && href !== prev;
    },
    previous,
    { timeout: 60_000 },
  );
  return probe(await download(page, '.runbar > a.output', name));
}

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  out = await mkdtemp(join(tmpdir(), 'weft-studio-'));
  server = await testServer();
  browser = await chromium.launch({
    executablePath: chromiumPath(),
    // A fake camera and an auto-accepted permission prompt stand in for the user's devices.
    args: [...CHROMIUM_ARGS, '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'],
  });
  context = await browser.newContext({ viewport: { width: 1280, height: 720 }, acceptDownloads: true });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
  page = await open(`${server.url}/`);
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('studio', () => {
  it('builds a pipeline from the palette, refuses a bad connection, sets params, runs in the tab', async () => {
    await page.click('button:has-text("New")');
    expect(await nodeCount()).toBe(0);
    for (const kind of ['video::colorbars', 'video::encoder', 'containers::muxer', 'streamkit::http_output']) {
      await page.click(`.node-item[data-kind="${kind}"]`);
    }
    expect(await nodeCount()).toBe(4);
    await page.click('button:has-text("Fit")');
    await drag('colorbars', 'out', 'muxer', 'audio');
    await expect.poll(() => page.locator('.toast').textContent()).toContain('Refused');
    await drag('colorbars', 'out', 'encoder', 'in');
    await drag('encoder', 'out', 'muxer', 'video');
    await drag('muxer', 'out', 'http_output', 'in');
    await expect.poll(() => page.locator('[data-edge]').count()).toBe(3);

    await page.click('.node[data-node="colorbars"] .head');
    for (const [param, value] of [
      ['width', '320'],
      ['height', '240'],
      ['frame_count', '30'],
    ] as const) {
      await page.fill(`#param-${param}`, value);
      await page.press(`#param-${param}`, 'Enter');
    }
    await expect.poll(() => page.inputValue('textarea[aria-label="Pipeline YAML"]')).toContain('frame_count: 30');
    await expect.poll(() => page.locator('.yaml .status').textContent()).toContain('valid');
    await page.click('button:has-text("Run in tab")');
    await page.waitForSelector('a.output', { timeout: 60_000 });
    await page.screenshot({ path: `${ARTIFACTS}/studio-editor.png` });
    await page.locator('.monitor').screenshot({ path: `${ARTIFACTS}/studio-monitor.png` });
    const file = await download(page, 'a.output', 'tab.webm');
    madeByWeft = file;
    const p = await probe(file);
    const video = p.streams.find((s) => s.codec_type === 'video');
    expect(video?.width).toBe(320);
    expect(video?.height).toBe(240);
    expect(Number(video?.nb_read_frames)).toBe(30);
  });

  it('undo/redo and copy/paste round-trip', async () => {
    await page.click('.node[data-node="encoder"] .head');
    await page.keyboard.press('Delete');
    expect(await nodeCount()).toBe(3);
    await page.keyboard.press('Control+z');
    expect(await nodeCount()).toBe(4);
    await expect.poll(() => page.locator('[data-edge]').count()).toBe(3);
    await page.keyboard.press('Control+Shift+z');
    expect(await nodeCount()).toBe(3);
    await page.keyboard.press('Control+z');
    expect(await nodeCount()).toBe(4);

    await page.click('.node[data-node="encoder"] .head');
    await page.keyboard.press('Control+c');
    await page.keyboard.press('Control+v');
    await expect.poll(nodeCount).toBe(5);
    expect(await page.locator('.node[data-node="encoder_2"]').count()).toBe(1);
    await page.keyboard.press('Control+z');
    expect(await nodeCount()).toBe(4);
  });

  it('a file Weft wrote carries its pipeline: opening it offers to restore the graph', async () => {
    const yaml = await page.inputValue('textarea[aria-label="Pipeline YAML"]');
    await page.click('button:has-text("New")');
    await page.setInputFiles('input[aria-label="Open pipeline or media file"]', madeByWeft);
    await page.click('.offer button:has-text("Open its pipeline")');
    await expect.poll(() => page.inputValue('textarea[aria-label="Pipeline YAML"]')).toBe(yaml);
  });

  it('a share link opens the same graph in a fresh page', async () => {
    await page.click('button:has-text("Copy link")');
    await expect.poll(() => page.getAttribute('input[data-share-url]', 'value')).toContain('#p=');
    const url = (await page.getAttribute('input[data-share-url]', 'value')) ?? '';
    const yaml = await page.inputValue('textarea[aria-label="Pipeline YAML"]');
    const fresh = await open(url);
    await expect.poll(() => fresh.inputValue('textarea[aria-label="Pipeline YAML"]')).toBe(yaml);
    expect(await fresh.locator('svg.graph .node').count()).toBe(4);
    await fresh.close();
  });

  it('Run on server completes a job on the server that served the page', async () => {
    await page.click('button:has-text("Run on server")');
    await page.waitForSelector('.server-job[data-state="succeeded"]', { timeout: 60_000 });
    expect(await page.locator('.server-job a.output').count()).toBe(1);
  });

  it('the Convert view converts a generated file in the tab', async () => {
    const input = await ensureMedia(...H264_AAC);
    await page.click('nav button:has-text("Convert")');
    await page.setInputFiles('input[aria-label="File to convert"]', input);
    await page.selectOption('select[aria-label="Preset"]', 'webm-vp9');
    await page.selectOption('select[aria-label="Size"]', '360');
    await page.click('.knobs button:has-text("Convert")');
    await page.waitForSelector('.done a, .convert .error', { timeout: 60_000 });
    expect(await page.locator('.convert .error').allTextContents()).toEqual([]);
    await page.screenshot({ path: `${ARTIFACTS}/studio-convert.png` });
    const file = await download(page, '.done a', 'converted.webm');
    const p = await probe(file);
    expect(codecs(p)).toEqual(['opus', 'vp9']);
    expect(p.streams.find((s) => s.codec_type === 'video')?.height).toBe(360);
  });

  it('edits a running dynamic pipeline (hot reconfigure through the engine batch)', async () => {
    await page.click('nav button:has-text("Editor")');
    await page.fill(
      'textarea[aria-label="Pipeline YAML"]',
      'mode: dynamic\nnodes:\n  bars: { kind: video::colorbars, params: { width: 160, height: 120, fps: 10 } }\n  sink: { kind: core::sink, needs: bars }\n',
    );
    await expect.poll(nodeCount).toBe(2);
    await page.click('button:has-text("Run in tab")');
    await page.waitForSelector('.node[data-node="bars"].state-running');
    await page.click('.node-item[data-kind="core::passthrough"]');
    await page.click('button:has-text("Fit")');
    await drag('bars', 'out', 'passthrough', 'in');
    await page.waitForSelector('.node[data-node="passthrough"].state-running');
    await expect.poll(() => page.locator('.toast').textContent()).toContain('running pipeline');
    await page.click('.runbar button:has-text("Stop")');
    await page.waitForSelector('.runbar button:has-text("Run in tab"):not([disabled])');
    // Stopping is not a failure (it used to say "Run failed: signal is aborted without reason").
    await expect.poll(() => page.locator('.toast').last().textContent()).toContain('Stopped');
  });

  it('runs core::file_reader in the tab on a file the user picks for its path', async () => {
    await page.click('nav button:has-text("Editor")');
    const picked = join(out, 'picked.ogg');
    execFileSync('ffmpeg', [
      '-v',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      'sine=frequency=330:duration=1',
      '-c:a',
      'libopus',
      picked,
    ]);
    await page.fill(
      'textarea[aria-label="Pipeline YAML"]',
      'mode: oneshot\nnodes:\n  read: { kind: core::file_reader, params: { path: samples/audio/system/music.opus } }\n  demux: { kind: containers::ogg::demuxer, needs: read }\n  dec: { kind: audio::opus::decoder, needs: demux }\n  enc: { kind: audio::opus::encoder, needs: dec }\n  mux: { kind: containers::webm::muxer, needs: enc }\n  out: { kind: streamkit::http_output, needs: mux }\n',
    );
    await expect.poll(nodeCount).toBe(6);
    // Without a file, the run says which node needs one.
    await page.click('button:has-text("Run in tab")');
    await expect.poll(() => page.locator('.toast').last().textContent()).toContain('Choose the file for read');
    await page.setInputFiles('input[aria-label="File for read"]', picked);
    await expect.poll(() => page.locator('.runbar label.file').first().textContent()).toContain('picked.ogg');
    const p = await runForOutput('file-reader.webm');
    expect(codecs(p)).toEqual(['opus']);
  });

  it('lists node telemetry in the monitor (a telemetry_tap on a running tone)', async () => {
    await page.click('nav button:has-text("Editor")');
    await page.fill(
      'textarea[aria-label="Pipeline YAML"]',
      'mode: dynamic\nnodes:\n  tone: { kind: audio::sine, params: { amplitude: 0.5 } }\n  pace: { kind: audio::pacer, needs: tone }\n  tap: { kind: core::telemetry_tap, params: { packet_types: [Audio], audio_sample_interval_ms: 200 }, needs: pace }\n  sink: { kind: core::sink, needs: tap }\n',
    );
    await expect.poll(nodeCount).toBe(4);
    await page.click('button:has-text("Run in tab")');
    const line = page.locator('.monitor .telemetry li', { hasText: 'audio.level' }).first();
    await line.waitFor({ timeout: 15_000 });
    expect(await line.innerText()).toMatch(/tap\s+audio\.level\s+\{"rms":0\.354,"peak":0\.5/);
    await page.click('.runbar button:has-text("Stop")');
    await page.waitForSelector('.runbar button:has-text("Run in tab"):not([disabled])');
  });

  it('edits a compositor in the scene editor: a dragged layer and an added text reach the YAML and the running pipeline', async () => {
    await page.fill(
      'textarea[aria-label="Pipeline YAML"]',
      'mode: dynamic\nnodes:\n  bg: { kind: video::colorbars, params: { width: 320, height: 180, fps: 10, pixel_format: i420 } }\n  cam: { kind: video::colorbars, params: { width: 160, height: 120, fps: 10, pixel_format: i420, animate: true } }\n  comp: { kind: video::compositor, params: { width: 640, height: 360, fps: 10 }, needs: [bg, cam] }\n  sink: { kind: core::sink, needs: comp }\n',
    );
    await expect.poll(nodeCount).toBe(4);
    await page.waitForSelector('.node[data-node="comp"]'); // this graph, not a previous one of four nodes
    // Laid out and fitted, so no node lies over the one clicked.
    await page.click('button:has-text("Layout")');
    await page.click('button:has-text("Fit")');
    // Stopped, a still of the output stands behind the boxes.
    await page.click('.node[data-node="comp"] .head');
    await page.click('.scene button:has-text("Still")');
    await expect.poll(() => page.locator('.toast').last().textContent()).toContain('Still of comp');
    const lit = () =>
      page.evaluate(() => {
        const c = document.querySelector<HTMLCanvasElement>('.scene-canvas canvas');
        const d = c?.getContext('2d')?.getImageData(0, 0, c.width, c.height).data ?? new Uint8ClampedArray();
        let n = 0;
        for (let i = 0; i < d.length; i += 4) if ((d[i] ?? 0) + (d[i + 1] ?? 0) + (d[i + 2] ?? 0) > 200) n++;
        return n;
      });
    await expect.poll(lit).toBeGreaterThan(1000);
    await page.waitForSelector('.runbar button:has-text("Run in tab"):not([disabled])');
    await page.click('button:has-text("Run in tab")');
    try {
      await sceneEdits();
    } finally {
      // A failure must not leave the run going for the tests after this one.
      if (await page.locator('.runbar button:has-text("Stop")').count())
        await page.click('.runbar button:has-text("Stop")');
      await page.waitForSelector('.runbar button:has-text("Run in tab"):not([disabled])');
    }
  });

  async function sceneEdits(): Promise<void> {
    await page.waitForSelector('.node[data-node="comp"].state-running');
    await page.click('.node[data-node="comp"] .head');
    await page.waitForSelector('.scene [data-item="layer:in_1"]');
    const params = async () => {
      const text = await page.inputValue('textarea[aria-label="Pipeline YAML"]');
      return (
        (parseYaml(text) as { nodes: Record<string, { params?: Record<string, unknown> }> }).nodes.comp?.params ?? {}
      );
    };
    // The unconfigured second input sits in the default corner PiP; drag it 60 screen px left and up.
    await page.locator('.scene').scrollIntoViewIfNeeded();
    const box = await page.locator('.scene [data-item="layer:in_1"]').boundingBox();
    if (!box) throw new Error('no PiP box on screen');
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2 - 30, box.y + box.height / 2 - 30, { steps: 4 });
    await page.mouse.move(box.x + box.width / 2 - 60, box.y + box.height / 2 - 60, { steps: 4 });
    await page.mouse.up();
    const scale = 300 / 640;
    const moved = ((await params()).layers as Record<string, { rect: { x: number; y: number } }>).in_1?.rect;
    // Default PiP: a third of 640×360 at 20 px from the corner (x 407, y 220), moved by 60 / scale.
    expect(Math.abs((moved?.x ?? 0) - (407 - 60 / scale))).toBeLessThanOrEqual(2);
    expect(Math.abs((moved?.y ?? 0) - (220 - 60 / scale))).toBeLessThanOrEqual(2);
    // Add a text overlay and change its text.
    await page.click('.scene button:has-text("Add text")');
    await page.waitForSelector('.scene [data-item="text:0"]');
    await page.click('.scene [data-item="text:0"]');
    await page.fill('.scene input[aria-label="Overlay text"]', 'Hello scene');
    await page.press('.scene input[aria-label="Overlay text"]', 'Enter');
    await expect
      .poll(async () => ((await params()).text_overlays as { text: string }[] | undefined)?.[0]?.text)
      .toBe('Hello scene');
    // The running compositor took the edits live (no node failed).
    await expect.poll(() => page.locator('.node[data-node="comp"].state-running').count()).toBe(1);
    await page.waitForTimeout(500); // a frame with the text in the preview behind the boxes
    await page.locator('.scene').screenshot({ path: `${ARTIFACTS}/studio-scene-editor.png` });
  }

  it('Run on server for a dynamic pipeline attaches the editor to a live session there', async () => {
    await page.fill(
      'textarea[aria-label="Pipeline YAML"]',
      'mode: dynamic\nnodes:\n  tone: { kind: audio::sine }\n  pace: { kind: audio::pacer, needs: tone }\n  vol: { kind: audio::gain, params: { gain: 0.5 }, needs: pace }\n  sink: { kind: core::sink, needs: vol }\n',
    );
    await expect.poll(nodeCount).toBe(4);
    await page.waitForSelector('.node[data-node="vol"]');
    await page.click('button:has-text("Run on server")');
    await page.waitForSelector('.server-session');
    const id = (await page.getAttribute('.server-session', 'data-session')) ?? '';
    expect(server.sessions.list().map((s) => s.id)).toEqual([id]);
    // Node state badges follow the server's events.
    await page.waitForSelector('.node[data-node="vol"].state-running');
    const pipeline = async () =>
      (await (await fetch(`${server.url}/api/v1/sessions/${id}/pipeline`)).json()) as {
        nodes: Record<string, { params: { gain?: number } }>;
      };
    // A live param goes to the server session.
    await page.click('.node[data-node="vol"] .head');
    await page.fill('#param-gain', '0.25');
    await page.press('#param-gain', 'Enter');
    await expect.poll(async () => (await pipeline()).nodes.vol?.params.gain).toBe(0.25);
    // A graph edit goes to it as a batch.
    await page.click('.node-item[data-kind="core::passthrough"]');
    await page.click('button:has-text("Fit")');
    await drag('pace', 'out', 'passthrough', 'in');
    await expect.poll(async () => Object.keys((await pipeline()).nodes)).toContain('passthrough');
    await page.waitForSelector('.node[data-node="passthrough"].state-running');
    await page.waitForSelector('.monitor tbody tr td:has-text("vol")', { timeout: 10_000 });
    await page.waitForTimeout(2_500); // a second sample, so the rates show
    await page.screenshot({ path: `${ARTIFACTS}/studio-server-session.png` });
    await page.click('.runbar button:has-text("Stop")');
    await page.waitForSelector('.server-session', { state: 'detached' });
    await expect.poll(() => server.sessions.list().length).toBe(0);
  });

  it('records from the camera (fake device) in the tab', async () => {
    const p = await record(
      'mode: oneshot\nnodes:\n  cam: { kind: video::camera, params: { frame_count: 10, width: 320, height: 240 } }\n  enc: { kind: video::encoder, params: { codec: vp8 }, needs: cam }\n  mux: { kind: containers::muxer, params: { format: webm }, needs: { video: enc } }\n  out: { kind: streamkit::http_output, needs: mux }\n',
      'cam',
      'camera.webm',
    );
    const video = p.streams.find((s) => s.codec_type === 'video');
    expect(video?.codec_name).toBe('vp8');
    expect(Number(video?.nb_read_frames)).toBe(10);
  });

  it('records the microphone (fake device) to Ogg/Opus and the screen to WebM in the tab', async () => {
    const mic = await record(
      'mode: oneshot\nnodes:\n  mic: { kind: audio::microphone, params: { frame_count: 50 } }\n  enc: { kind: audio::opus::encoder, needs: mic }\n  mux: { kind: containers::ogg::muxer, needs: enc }\n  out: { kind: streamkit::http_output, needs: mux }\n',
      'mic',
      'microphone.ogg',
    );
    const audio = mic.streams.find((s) => s.codec_type === 'audio');
    expect(audio?.codec_name).toBe('opus');
    expect(Number(mic.format.duration)).toBeGreaterThan(0.2);
    const screen = await record(
      'mode: oneshot\nnodes:\n  scr: { kind: video::screen, params: { frame_count: 5 } }\n  enc: { kind: video::encoder, params: { codec: vp8 }, needs: scr }\n  mux: { kind: containers::muxer, params: { format: webm }, needs: { video: enc } }\n  out: { kind: streamkit::http_output, needs: mux }\n',
      'scr',
      'screen.webm',
    );
    const video = screen.streams.find((s) => s.codec_type === 'video');
    expect(video?.codec_name).toBe('vp8');
    expect(Number(video?.nb_read_frames)).toBe(5);
  });

  it('records the screen + camera picture-in-picture sample in the tab (1 s of it)', async () => {
    const sample = readFileSync('samples/oneshot/camera-screen-pip-webm.yaml', 'utf8').replaceAll(
      'frame_count: 300',
      'frame_count: 30',
    );
    const info = await record(sample, 'camera', 'camera-screen-pip.webm', 6);
    const video = info.streams.find((s) => s.codec_type === 'video');
    expect([video?.codec_name, video?.width, video?.height]).toEqual(['vp8', 1280, 720]);
    expect(Number(video?.nb_read_frames)).toBeGreaterThanOrEqual(25);
  });

  it('logged no console errors or warnings', () => {
    expect(problems).toEqual([]);
  });
});
