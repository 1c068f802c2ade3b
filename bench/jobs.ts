/**
 * `npm run bench:jobs`: job-server latency and throughput (not a test).
 *
 * - cold: `weft serve` process start → first output byte of a `/api/v1/process` job sent as soon
 *   as `/healthz` answers (browser launch and page load included);
 * - warm: the same request against the running server (median of 20);
 * - load: 20 clients, each sending oneshot jobs back to back for 60 s (StreamKit's load preset),
 *   counting jobs done, failures and latency percentiles.
 *
 * The job: a 2 s 640x360 H.264+AAC clip to Ogg/Opus (`samples/oneshot/audio-to-ogg-opus.yaml`).
 * Goals: warm ≤ 300 ms, cold ≤ 2 s, zero failures.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, openAsBlob, readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from '../tests/support/redis';

const DIR = resolve('.weft/bench');
const CLIP = join(DIR, 'clip-360p-2s.mp4');
const PIPELINE = readFileSync('samples/oneshot/audio-to-ogg-opus.yaml', 'utf8');
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 20);
const LOAD_SECONDS = Number(process.env.BENCH_SECONDS ?? 60);

function makeClip(): void {
  if (existsSync(CLIP)) return;
  mkdirSync(DIR, { recursive: true });
  execFileSync('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=30:duration=2',
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000:duration=2',
    '-c:v', 'libx264', '-preset', 'veryfast', '-c:a', 'aac', '-shortest', CLIP,
  ]); // prettier-ignore
}

/** Sends one /process job; resolves with ms to the first output byte and to the end. */
async function processJob(base: string, clip: Blob): Promise<{ firstByte: number; total: number; bytes: number }> {
  const started = performance.now();
  const form = new FormData();
  form.append('config', PIPELINE);
  form.append('media', clip, 'clip.mp4');
  const response = await fetch(`${base}/api/v1/process`, { method: 'POST', body: form });
  if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}: ${await response.text()}`);
  let firstByte = 0;
  let bytes = 0;
  for await (const chunk of response.body) {
    if (bytes === 0) firstByte = performance.now() - started;
    bytes += (chunk as Uint8Array).byteLength;
  }
  if (bytes === 0) throw new Error('empty output');
  return { firstByte, total: performance.now() - started, bytes };
}

const pct = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
};

async function main(): Promise<void> {
  makeClip();
  execFileSync('node_modules/.bin/vite', ['build', '--logLevel', 'error'], { stdio: 'inherit' });
  const clip = await openAsBlob(CLIP);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const data = await mkdtemp(join(tmpdir(), 'weft-bench-'));

  const spawned = performance.now();
  const server = spawn(process.execPath, ['bin/weft.js', 'serve', '--port', String(port), '--data', data], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    for (;;) {
      try {
        if ((await fetch(`${base}/healthz`)).ok) break;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    const cold = await processJob(base, clip);
    const coldMs = performance.now() - spawned - (cold.total - cold.firstByte);
    console.log(
      `cold: process start → first output byte ${coldMs.toFixed(0)} ms (job itself ${cold.firstByte.toFixed(0)} ms)`,
    );

    const warm: number[] = [];
    for (let i = 0; i < 20; i++) warm.push((await processJob(base, clip)).firstByte);
    console.log(
      `warm: submit → first output byte median ${pct(warm, 50).toFixed(0)} ms, p90 ${pct(warm, 90).toFixed(0)} ms (20 sequential jobs)`,
    );

    let done = 0;
    let failed = 0;
    const latencies: number[] = [];
    const errors = new Map<string, number>();
    const end = performance.now() + LOAD_SECONDS * 1000;
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        while (performance.now() < end) {
          try {
            latencies.push((await processJob(base, clip)).total);
            done++;
          } catch (error) {
            failed++;
            const key = error instanceof Error ? error.message.slice(0, 120) : String(error);
            errors.set(key, (errors.get(key) ?? 0) + 1);
          }
        }
      }),
    );
    console.log(
      `load: ${CLIENTS} concurrent clients for ${LOAD_SECONDS} s: ${done} jobs done (${(done / LOAD_SECONDS).toFixed(2)} jobs/s), ${failed} failed; latency p50 ${pct(latencies, 50).toFixed(0)} ms, p95 ${pct(latencies, 95).toFixed(0)} ms`,
    );
    for (const [message, n] of errors) console.log(`  ${n}× ${message}`);
  } finally {
    server.kill('SIGTERM');
  }
}

await main();
