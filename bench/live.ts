/**
 * `npm run bench:live` (not a test): live over MoQ on this machine, through `weft serve`'s relay.
 *
 * 1. Glass-to-glass latency at 720p30: Chromium's fake camera → /publish (VP8 in the tab) →
 *    relay → /watch (decode, draw). Frames carry wall-clock capture stamps; the watcher measures
 *    at draw time. Goals: p50 ≤ 80 ms, p95 ≤ 150 ms.
 * 2. Fan-out: WATCHERS MoQ subscribers (Node, `@moq/net`, reading every frame but not decoding)
 *    for FANOUT_S seconds: frames lost per watcher, relay CPU and RSS over the run.
 *
 * Env: WATCHERS (50), FANOUT_S (180), LATENCY_S (20).
 */
import '../server/relay/polyfills';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as Moq from '@moq/net';
import { chromium } from 'playwright-core';
import { WebSocket } from 'ws';
import { CHROMIUM_ARGS, chromiumPath } from '../scripts/chromium.js';
import { startServer } from '../server/serve';
import type { PlayerStats } from '../src/studio/live/player';
import type { PublishStats } from '../src/studio/live/publisher';

Object.assign(globalThis, { WebSocket });
console.debug = () => undefined;

const WATCHERS = Number(process.env.WATCHERS ?? 50);
const FANOUT_S = Number(process.env.FANOUT_S ?? 180);
const LATENCY_S = Number(process.env.LATENCY_S ?? 20);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
function pct(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
}
const mib = (b: number) => (b / 1048576).toFixed(0);

const server = await startServer({
  host: '127.0.0.1',
  port: 0,
  studioDir: 'dist',
  dataDir: await mkdtemp(join(tmpdir(), 'weft-bench-live-')),
  workers: 1,
  log: () => undefined,
});
const browser = await chromium.launch({
  executablePath: chromiumPath(),
  args: [...CHROMIUM_ARGS, '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'],
});
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const publisher = await context.newPage();
  await publisher.goto(`${server.url}/publish?broadcast=bench`);
  while ((await publisher.locator('#camera option').count()) < 2) await sleep(100);
  await publisher.selectOption('#quality', '720');
  await publisher.selectOption('#microphone', '');
  await publisher.click('#start');
  const pubStats = () =>
    publisher.evaluate(() => (globalThis as unknown as { weftPublish(): PublishStats | undefined }).weftPublish());
  while ((await pubStats())?.state !== 'live') await sleep(100);

  // 1. Latency.
  const watcher = await context.newPage();
  await watcher.goto(`${server.url}/watch/bench`);
  const watchStats = () => watcher.evaluate(() => (globalThis as unknown as { weftWatch(): PlayerStats }).weftWatch());
  while ((await watchStats()).framesDrawn < 30) await sleep(200);
  const latencies: number[] = [];
  let seen = (await watchStats()).framesDrawn;
  const end = Date.now() + LATENCY_S * 1000;
  while (Date.now() < end) {
    await sleep(2000);
    const s = await watchStats();
    const fresh = Math.min(s.framesDrawn - seen, s.latencies.length);
    latencies.push(...s.latencies.slice(s.latencies.length - fresh));
    seen = s.framesDrawn;
  }
  const w = await watchStats();
  console.log(
    `latency 720p30 (VP8, ${String(w.width)}x${String(w.height)}, ${String(latencies.length)} frames over ${String(LATENCY_S)} s):`,
  );
  console.log(
    `  glass-to-glass p50 ${pct(latencies, 50).toFixed(0)} ms, p95 ${pct(latencies, 95).toFixed(0)} ms (goals: p50 ≤ 80, p95 ≤ 150)`,
  );
  await watcher.close();

  // 2. Fan-out.
  const url = new URL(`${server.url}/moq`);
  const counts = Array.from({ length: WATCHERS }, () => ({ frames: 0, groups: 0, gaps: 0 }));
  const connections: Moq.Connection.Established[] = [];
  const stop = new AbortController();
  await Promise.all(
    counts.map(async (c) => {
      const conn = await Moq.Connection.connect(url, { websocket: { delay: 0 } });
      connections.push(conn);
      const track = conn.consume(Moq.Path.from('bench')).subscribe('video/data');
      void (async () => {
        let last: number | undefined;
        while (!stop.signal.aborted) {
          const g = await track.recvGroup();
          if (!g) return;
          if (last !== undefined && g.sequence > last + 1) c.gaps += g.sequence - last - 1;
          last = Math.max(last ?? g.sequence, g.sequence);
          c.groups++;
          for (;;) {
            const f = await g.readFrame().catch(() => undefined);
            if (!f) break;
            c.frames++;
          }
        }
      })();
    }),
  );
  await sleep(3000); // every watcher at its first keyframe
  const start = counts.map((c) => c.frames);
  const pubStart = (await pubStats())?.videoFrames ?? 0;
  const cpu0 = process.cpuUsage();
  const t0 = Date.now();
  const rss: number[] = [];
  // Live heap after a full collection (with --expose-gc): what a leak would grow, unlike RSS,
  // which also holds what the allocator has not handed back yet.
  const heap: number[] = [];
  const gc = (globalThis as { gc?: () => void }).gc;
  while (Date.now() - t0 < FANOUT_S * 1000) {
    await sleep(5000);
    rss.push(process.memoryUsage().rss);
    if (gc) {
      gc();
      const m = process.memoryUsage();
      heap.push(m.heapUsed + m.arrayBuffers);
    }
  }
  const cpu = process.cpuUsage(cpu0);
  const secs = (Date.now() - t0) / 1000;
  const sent = ((await pubStats())?.videoFrames ?? 0) - pubStart;
  stop.abort();
  const lost = counts.map((c, i) => Math.max(0, sent - (c.frames - (start[i] ?? 0))));
  const thirds = (xs: number[]) => {
    const n = Math.max(1, Math.floor(xs.length / 3));
    return [xs.slice(0, n).reduce((a, b) => a + b, 0) / n, xs.slice(-n).reduce((a, b) => a + b, 0) / n] as const;
  };
  const [early, late] = thirds(rss);
  console.log(
    `fan-out: ${String(WATCHERS)} watchers for ${secs.toFixed(0)} s, ${String(sent)} video frames published:`,
  );
  console.log(
    `  frames lost per watcher: median ${pct(lost, 50)}, max ${Math.max(...lost)} (${((100 * pct(lost, 50)) / Math.max(1, sent)).toFixed(2)} %)`,
  );
  console.log(
    `  relay process CPU: ${((100 * (cpu.user + cpu.system)) / 1e6 / secs).toFixed(0)} % of one core (server + relay + ${String(WATCHERS)} Node clients in one process)`,
  );
  console.log(
    `  RSS: first third ${mib(early)} MiB, last third ${mib(late)} MiB, max ${mib(Math.max(...rss))} MiB (${late > early * 1.2 ? 'GROWING' : 'flat'})`,
  );
  if (heap.length > 0) {
    const [h0, h1] = thirds(heap);
    console.log(
      `  live heap + buffers after GC: first third ${mib(h0)} MiB, last third ${mib(h1)} MiB (${h1 > h0 * 1.2 ? 'GROWING' : 'flat'})`,
    );
  }
  console.log(`  relay: ${JSON.stringify(server.relay.stats())}`);
  for (const c of connections) c.close();
} finally {
  await browser.close();
  await server.close();
}
process.exit(0);
