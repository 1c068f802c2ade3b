/**
 * End to end, live over MoQ on one `weft serve`: a tab publishes Chromium's fake camera and
 * microphone from /publish, a server session subscribes, scales the video, halves the gain and
 * republishes, and a second tab watches the result on /watch/<broadcast>. Then a late watcher of
 * the camera starts on a keyframe at once, and the publisher leaves and comes back.
 */
import { mkdirSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS, chromiumPath } from '../../scripts/chromium.js';
import type { PlayerStats } from '../../src/studio/live/player';
import type { PublishStats } from '../../src/studio/live/publisher';
import { testServer, until } from './support';

const ARTIFACTS = 'artifacts';

const TRANSFORM = `mode: dynamic
nodes:
  sub: { kind: transport::moq::subscriber, params: { broadcast: cam } }
  vdec: { kind: video::decoder, needs: { in: sub.video/data } }
  scale: { kind: video::scale, params: { width: 320, height: 180 }, needs: vdec }
  venc: { kind: video::vp9::encoder, params: { keyframe_interval: 30 }, needs: scale }
  adec: { kind: audio::opus::decoder, needs: sub }
  gain: { kind: audio::gain, params: { gain: 0.5 }, needs: adec }
  aenc: { kind: audio::opus::encoder, needs: gain }
  pub: { kind: transport::moq::publisher, params: { broadcast: out }, needs: { in: aenc, in_1: venc } }
`;

/** StreamKit's moq_peer.yml shape: the peer's input, through gain, back into the peer (a cycle). */
const PEER = `mode: dynamic
nodes:
  moq_peer:
    kind: transport::moq::peer
    params: { gateway_path: /moq, input_broadcast: input, output_broadcast: output, allow_reconnect: true }
    needs: opus_encoder
  opus_decoder: { kind: audio::opus::decoder, needs: moq_peer }
  gain: { kind: audio::gain, params: { gain: 0.5 }, needs: opus_decoder }
  opus_encoder: { kind: audio::opus::encoder, needs: gain }
`;

let server: Awaited<ReturnType<typeof testServer>>;
let browser: Browser;
let context: BrowserContext;

const publishStats = (page: Page) =>
  page.evaluate(() => (globalThis as unknown as { weftPublish(): PublishStats | undefined }).weftPublish());
const watchStats = (page: Page) =>
  page.evaluate(() => (globalThis as unknown as { weftWatch(): PlayerStats }).weftWatch());

async function goLive(page: Page): Promise<void> {
  await page.selectOption('#quality', '360');
  await page.click('#start');
  await until(async () => (await publishStats(page))?.state === 'live', 20_000, 'the publisher to go live');
}

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  server = await testServer();
  browser = await chromium.launch({
    executablePath: chromiumPath(),
    args: [...CHROMIUM_ARGS, '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'],
  });
  context = await browser.newContext({ viewport: { width: 1000, height: 800 } });
});
// A test that fails leaves nothing behind for the next: its pages close and its sessions end
// (the test server has one headless page for sessions).
afterEach(async () => {
  for (const p of context.pages()) await p.close();
  for (const s of server.sessions.list()) await server.sessions.destroy(s.id).catch(() => undefined);
});
/**
 * Clicks in a page that may be behind others: a background page gets no animation frames, which
 * Playwright's click waits for, so it is brought to the front first.
 */
async function press(page: Page, selector: string): Promise<void> {
  await page.bringToFront();
  await page.click(selector);
}
/**
 * Saves a screenshot to look at. A loaded machine may not paint a page in time; the picture is for
 * people, the assertions are on the players' counters, so a late one is skipped with a note.
 */
async function snap(page: Page, name: string): Promise<void> {
  await page.bringToFront();
  await page
    .screenshot({ path: `${ARTIFACTS}/${name}`, timeout: 10_000 })
    .catch((error: unknown) => console.warn(`screenshot ${name} skipped: ${String(error).split('\n')[0]}`));
}
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('live over MoQ', () => {
  // The longest test here (publish, session, two watchers, a restart): room for a loaded machine.
  it(
    'goes from a tab through a server session to another tab, and a late watcher starts on a keyframe',
    { timeout: 240_000 },
    async () => {
      const publisher = await context.newPage();
      await publisher.goto(`${server.url}/publish?broadcast=cam`);
      await until(async () => (await publisher.locator('#camera option').count()) > 1, 10_000, 'the device list');
      await goLive(publisher);
      await snap(publisher, 'live-publish.png');

      const created = await fetch(`${server.url}/api/v1/sessions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'transform', yaml: TRANSFORM }),
      });
      expect(created.status, await created.clone().text()).toBe(200);

      const watcher = await context.newPage();
      await watcher.goto(`${server.url}/watch/out`);
      await until(
        async () => (await watchStats(watcher)).framesDrawn >= 15,
        45_000,
        'frames of the transformed broadcast',
      );
      const seen = await watchStats(watcher);
      expect([seen.width, seen.height]).toEqual([320, 180]);
      expect(seen.firstWasKey).toBe(true);
      await until(
        async () => (await watchStats(watcher)).audioPlayed > 5,
        20_000,
        'audio of the transformed broadcast',
      );
      await snap(watcher, 'live-watch.png');

      // A late watcher of the camera: the relay holds the newest group, so its first frame is a
      // keyframe and comes well within one group (two seconds of video).
      const late = await context.newPage();
      await late.goto(`${server.url}/watch/cam`);
      await until(async () => (await watchStats(late)).framesDrawn >= 1, 20_000, 'the late watcher’s first frame');
      const lateStats = await watchStats(late);
      expect(lateStats.firstWasKey).toBe(true);
      expect((lateStats.firstFrameMs ?? Infinity) - (lateStats.foundMs ?? 0)).toBeLessThan(2000);
      expect(server.relay.broadcasts()).toEqual(['cam', 'out']);

      // The publisher leaves and comes back: the session picks the camera up again.
      await press(publisher, '#stop');
      await until(() => !server.relay.broadcasts().includes('cam'), 10_000, 'the camera broadcast to end');
      const before = (await watchStats(watcher)).framesDrawn;
      await press(publisher, '#start');
      await until(
        async () => (await publishStats(publisher))?.state === 'live',
        20_000,
        'the publisher to go live again',
      );
      await until(
        async () => (await watchStats(watcher)).framesDrawn > before + 10,
        45_000,
        'frames after the publisher came back',
      );
      await fetch(`${server.url}/api/v1/sessions/transform`, { method: 'DELETE' });
      await until(() => !server.relay.broadcasts().includes('out'), 10_000, 'the session to end');
      for (const p of [publisher, watcher, late]) await p.close();
    },
  );

  it('the studio’s Stream view runs the pipeline on the server, publishes the camera into it and watches its output', async () => {
    const studio = await context.newPage();
    await studio.goto(`${server.url}/`);
    await studio.fill(
      'textarea[aria-label="Pipeline YAML"]',
      TRANSFORM.replaceAll('cam', 'studio-cam').replaceAll('broadcast: out', 'broadcast: studio-out'),
    );
    await studio.waitForSelector('.node[data-node="pub"]');
    await studio.click('nav.tabs button:has-text("Stream")');
    await studio.waitForSelector('.live-card.input[data-broadcast="studio-cam"]');
    await studio.waitForSelector('.live-card.output[data-broadcast="studio-out"]');
    await studio.click('button:has-text("Start session on server")');
    await studio.waitForSelector('.stream-session');
    const id = (await studio.getAttribute('.stream-session', 'data-session')) ?? '';
    expect(server.sessions.list().map((s) => s.id)).toContain(id);
    await studio.click('.live-card.input[data-broadcast="studio-cam"] button:has-text("Publish")');
    await studio.waitForSelector('.live-card.input button:has-text("Stop publishing")');
    const drawn = async () => Number((await studio.getAttribute('.live-card.output canvas', 'data-frames')) ?? '0');
    await until(async () => (await drawn()) >= 15, 45_000, 'frames of the session’s output in the Stream view');
    await until(
      async () => /320×180/.test(await studio.locator('.live-card.output .status').innerText()),
      5_000,
      'the output’s size in its status',
    );
    await snap(studio, 'studio-stream.png');
    await studio.click('button:has-text("Stop session")');
    await studio.waitForSelector('.stream-session', { state: 'detached' });
    await until(() => !server.sessions.list().some((s) => s.id === id), 10_000, 'the session to stop');
    await studio.close();
  });

  it('refuses a session whose MoQ node points at a private address; the server’s own relay by URL is fine', async () => {
    const create = (yaml: string) =>
      fetch(`${server.url}/api/v1/sessions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ yaml }),
      });
    const refused = await create(
      TRANSFORM.replace('params: { broadcast: cam }', 'params: { url: "http://10.9.8.7/moq", broadcast: cam }'),
    );
    expect(refused.status).toBe(400);
    expect(await refused.text()).toMatch(/node 'sub' \(transport::moq::subscriber\) param url 10\.9\.8\.7/);
    const own = await create(
      TRANSFORM.replace('params: { broadcast: cam }', `params: { url: "${server.url}/moq", broadcast: cam }`),
    );
    expect(own.status, await own.clone().text()).toBe(200);
    const { session_id: id } = (await own.json()) as { session_id: string };
    await fetch(`${server.url}/api/v1/sessions/${id}`, { method: 'DELETE' });
  });

  it('transport::moq::peer in a server session: a tab publishes into it, the cycle through gain comes back out, and a publisher may reconnect', async () => {
    const created = await fetch(`${server.url}/api/v1/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'peer', yaml: PEER }),
    });
    expect(created.status, await created.clone().text()).toBe(200);
    const publisher = await context.newPage();
    await publisher.goto(`${server.url}/publish?broadcast=input`);
    await until(async () => (await publisher.locator('#camera option').count()) > 1, 10_000, 'the device list');
    await publisher.selectOption('#camera', '');
    await goLive(publisher);
    const watcher = await context.newPage();
    await watcher.goto(`${server.url}/watch/output`);
    await until(async () => (await watchStats(watcher)).audioPlayed > 20, 30_000, 'audio back out of the peer');
    // allow_reconnect: the peer takes the publisher back after it leaves.
    await press(publisher, '#stop');
    await until(() => !server.relay.broadcasts().includes('input'), 10_000, 'the input broadcast to end');
    const before = (await watchStats(watcher)).audioPlayed;
    await press(publisher, '#start');
    await until(
      async () => (await watchStats(watcher)).audioPlayed > before + 20,
      30_000,
      'audio after the publisher came back',
    );
    await fetch(`${server.url}/api/v1/sessions/peer`, { method: 'DELETE' });
    for (const p of [publisher, watcher]) await p.close();
  });
});
