/**
 * `npm run bench:validate`: how pipeline validation scales, and what it costs the server's event
 * loop (not a test).
 *
 * - In process: `checkPipelineText` on chains of 1k, 2k, 5k and 10k nodes, as YAML and as JSON
 *   (cold first run, then the median of 5), and the time per node, which stays flat when the
 *   work is linear. Most of the YAML time is the yaml parser itself (about 1 MB/s).
 * - Against a running server (`createApp`, no browser needed): `/healthz` latency while four
 *   clients post 10k-node pipelines to `/api/v1/validate` back to back for 10 s.
 *
 * Goal (issue #10): a 10k-node pipeline validated in under a second; `/healthz` under a second
 * while such validations run. There is no ffmpeg counterpart to compare with.
 */
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { createApp } from '../server/app';
import { checkPipelineText } from '../src/engine';
import { createRegistry } from '../src/nodes';

const registry = createRegistry();
const CLIENTS = 4;
const LOAD_MS = 10_000;

/** A valid oneshot chain of `n` nodes: a tone, then passthroughs. */
function chain(n: number): string {
  const lines = ['mode: oneshot', 'nodes:'];
  lines.push('  n0: { kind: audio::sine }');
  for (let i = 1; i < n; i++) lines.push(`  n${i}: { kind: core::passthrough, needs: n${i - 1} }`);
  return lines.join('\n');
}

/** The same chain as a JSON document (what API clients and generators send). */
function chainJson(n: number): string {
  const nodes: Record<string, object> = {};
  nodes.n0 = { kind: 'audio::sine' };
  for (let i = 1; i < n; i++) nodes[`n${i}`] = { kind: 'core::passthrough', needs: `n${i - 1}` };
  return JSON.stringify({ mode: 'oneshot', nodes });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

console.log('form  nodes   bytes     cold ms   median ms   µs/node');
for (const [form, n] of [1_000, 2_000, 5_000, 10_000].flatMap(
  (n) =>
    [
      ['yaml', n],
      ['json', n],
    ] as const,
)) {
  const text = form === 'yaml' ? chain(n) : chainJson(n);
  const times: number[] = [];
  for (let i = 0; i < 6; i++) {
    const t = performance.now();
    if (!checkPipelineText(text, registry).valid) throw new Error('the bench pipeline should be valid');
    times.push(performance.now() - t);
  }
  const warm = median(times.slice(1));
  console.log(
    `${form}  ${String(n).padEnd(7)} ${String(text.length).padEnd(9)} ${times[0]?.toFixed(0).padEnd(9)} ${warm.toFixed(0).padEnd(11)} ${((warm * 1000) / n).toFixed(1)}`,
  );
}

const server = serve({ fetch: createApp({ registry }).fetch, hostname: '127.0.0.1', port: 0 });
await new Promise<void>((resolve) => server.once('listening', resolve));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const big = chain(10_000);
const end = Date.now() + LOAD_MS;
let validated = 0;
const clients = Array.from({ length: CLIENTS }, async () => {
  while (Date.now() < end) {
    const res = await fetch(`${base}/api/v1/validate`, { method: 'POST', body: big });
    await res.arrayBuffer();
    validated++;
  }
});
const health: number[] = [];
while (Date.now() < end) {
  const t = performance.now();
  await (await fetch(`${base}/healthz`)).arrayBuffer();
  health.push(performance.now() - t);
  await new Promise((resolve) => setTimeout(resolve, 100));
}
await Promise.all(clients);
server.close();
const sorted = [...health].sort((a, b) => a - b);
console.log(
  `\n${CLIENTS} clients posting 10k-node pipelines for ${LOAD_MS / 1000} s: ${validated} validated; /healthz median ${median(health).toFixed(0)} ms, max ${sorted.at(-1)?.toFixed(0) ?? '?'} ms`,
);
