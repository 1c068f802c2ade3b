/**
 * `npm run bench:studio`: first load of the studio on loopback (not a test). Prints time to
 * interactive (navigation start → palette rendered and the default graph drawn, i.e. the engine
 * Worker answered) as the median of 10 cold page loads, and the initial JS the page loads before
 * it is interactive (gzipped), next to the goals (≤ 1 s, ≤ 250 kB).
 */
import { execFileSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, chromiumPath } from '../scripts/chromium.js';
import { testServer } from '../tests/e2e/support';

const LOADS = 10;

execFileSync('node_modules/.bin/vite', ['build', '--logLevel', 'error'], { stdio: 'inherit' });
const server = await testServer();
const browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });
try {
  const times: number[] = [];
  let scripts = new Map<string, number>();
  for (let i = 0; i < LOADS; i++) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 720 } }); // cold cache
    const page = await context.newPage();
    const seen = new Map<string, number>();
    page.on('response', (response) => {
      const url = response.url();
      if (url.endsWith('.js') && !url.includes('worker')) {
        void response.body().then((body) => seen.set(url, gzipSync(body).byteLength));
      }
    });
    await page.goto(`${server.url}/`);
    await page.waitForSelector('.node-item');
    await page.waitForSelector('svg.graph .node');
    const ms = await page.evaluate(() => performance.now());
    times.push(ms);
    scripts = seen;
    await context.close();
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)] ?? NaN;
  const total = [...scripts.values()].reduce((a, b) => a + b, 0);
  console.log(
    `studio time to interactive: median ${median.toFixed(0)} ms over ${LOADS} cold loads (min ${times[0]?.toFixed(0)}, max ${times.at(-1)?.toFixed(0)}); goal ≤ 1000 ms`,
  );
  console.log(`initial JS (page, gzipped): ${(total / 1024).toFixed(1)} kB in ${scripts.size} files; goal ≤ 250 kB`);
  for (const [url, bytes] of scripts) console.log(`  ${(bytes / 1024).toFixed(1)} kB  ${url.replace(server.url, '')}`);
  console.log('(the engine Worker bundle loads in parallel off the main thread and is not counted as initial page JS)');
} finally {
  await browser.close();
  await server.close();
}
