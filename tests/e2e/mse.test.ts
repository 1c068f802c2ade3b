/**
 * End to end: a live session on a real server serves a WebM stream through
 * `transport::http::mse`, and a `<video>` in Chromium plays it through Media Source Extensions on
 * Weft's /play page: frames advance for 5 s. The server answers StreamKit's 404 before the stream
 * exists, 503 beyond max_clients, and 410 once the session is destroyed.
 */
import { mkdir } from 'node:fs/promises';
import type { Browser } from 'playwright-core';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS, chromiumPath } from '../../scripts/chromium.js';
import { testServer, until } from './support';

const LIVE = `mode: dynamic
nodes:
  bars: { kind: video::colorbars, params: { width: 320, height: 240, fps: 30, pixel_format: i420, draw_time: true } }
  enc: { kind: video::vp9::encoder, params: { keyframe_interval: 30 }, needs: bars }
  mux: { kind: containers::webm::muxer, params: { streaming_mode: live }, needs: enc }
  mse: { kind: transport::http::mse, params: { path: /video, max_clients: 2 }, needs: mux }
`;

let server: Awaited<ReturnType<typeof testServer>>;
let browser: Browser;

beforeAll(async () => {
  server = await testServer();
  browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

type PlayStats = { state: string; frames: number; time: number; error?: string };

describe('transport::http::mse', () => {
  it('streams a live session to a <video> through MSE, as StreamKit answers', async () => {
    const created = await fetch(`${server.url}/api/v1/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ yaml: LIVE }),
    });
    expect(created.status).toBe(200);
    const id = ((await created.json()) as { session_id: string }).session_id;
    const stream = `${server.url}/mse/${id}/video`;
    await until(async () => (await fetch(stream, { method: 'HEAD' })).status === 200, 60_000, 'the stream to start');

    const page = await browser.newPage();
    try {
      await page.goto(`${server.url}/play/${id}/video`);
      const stats = () => page.evaluate(() => (globalThis as unknown as { weftPlay: () => PlayStats }).weftPlay());
      await until(async () => (await stats()).frames > 0, 60_000, 'the first frame');
      const first = await stats();
      await page.waitForTimeout(5_000);
      const later = await stats();
      expect(later.state, later.error).toBe('playing');
      // 5 s at 30 fps is 150 frames; a loaded machine shows fewer, but they must keep coming.
      expect(later.frames - first.frames).toBeGreaterThan(30);
      expect(later.time - first.time).toBeGreaterThan(2);
      const size = await page.evaluate(() => {
        const v = document.querySelector('video');
        return [v?.videoWidth, v?.videoHeight];
      });
      expect(size).toEqual([320, 240]);
      await mkdir('artifacts', { recursive: true });
      await page.screenshot({ path: 'artifacts/play-mse.png', timeout: 10_000 }).catch(() => undefined);

      // One more viewer fits (max_clients 2); the one after is turned away.
      const second = await fetch(stream);
      expect(second.status).toBe(200);
      expect(second.headers.get('content-type')).toMatch(/^video\/webm/);
      const reader = second.body?.getReader();
      const head = new Uint8Array((await reader?.read())?.value ?? []);
      expect([...head.subarray(0, 4)]).toEqual([0x1a, 0x45, 0xdf, 0xa3]); // the init segment comes first
      const third = await fetch(stream);
      expect(third.status).toBe(503);
      expect(await third.text()).toMatch(/max_clients/);
      await reader?.cancel();
    } finally {
      await page.close();
    }

    expect((await fetch(`${server.url}/mse/${id}/nothing`)).status).toBe(404);
    expect((await fetch(`${server.url}/api/v1/sessions/${id}`, { method: 'DELETE' })).status).toBe(200);
    await until(async () => (await fetch(stream, { method: 'HEAD' })).status === 410, 10_000, 'the stream to end');
  }, 180_000);
});
