/**
 * End to end, when things go wrong: Chromium killed mid-job, the server restarted mid-queue, and
 * (with Redis) a worker process killed mid-job while two workers share ten jobs.
 */
import type { ChildProcess } from 'node:child_process';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { TestRedis } from '../support/redis';
import { startRedis } from '../support/redis';
import type { JobView } from './support';
import { submit, testServer, until, waitFinal } from './support';

/**
 * Colour bars encoded to WebM: no input, length set per job. `paced` releases the frames in real
 * time (frames / 30 s, little CPU), so a kill lands mid-job however fast the machine encodes.
 */
const bars = (frames: number, size = '640, height: 360', paced = false) =>
  `mode: oneshot
nodes:
  bars: { kind: video::colorbars, params: { width: ${size}, fps: 30, frame_count: ${frames} } }
${paced ? '  pace: { kind: core::pacer, needs: bars }\n' : ''}  enc: { kind: video::encoder, params: { codec: vp8, bitrate_kbps: 1000 }, needs: ${paced ? 'pace' : 'bars'} }
  mux: { kind: containers::muxer, params: { format: webm }, needs: { video: enc } }
  output: { kind: streamkit::http_output, needs: mux }
`;

const getJob = async (base: string, id: string) => (await (await fetch(`${base}/api/v1/jobs/${id}`)).json()) as JobView;

describe('resilience', () => {
  it('a Chromium killed mid-job: the job is retried on a fresh browser and the next job succeeds', async () => {
    const server = await testServer();
    try {
      // The kill lands once the page is really encoding (progress seen), not after a guessed sleep.
      // The job is paced (4 s of real time, little CPU): a retry redoes it from the start, and
      // unpaced it either ends before the kill on a fast machine or takes long on a loaded one.
      const { body } = await submit(server.url, { text: bars(120, undefined, true) });
      const id = body.id ?? '';
      const encoding = async () => {
        const job = (await getJob(server.url, id)) as JobView & { progress?: { media_time_us?: number } };
        return job.state === 'running' && (job.progress?.media_time_us ?? 0) > 0;
      };
      await until(encoding, 30_000, 'job to make progress');
      execFileSync('pkill', ['-KILL', '-f', server.pool.processMarker]);
      const job = await waitFinal(server.url, id, 90_000);
      expect(job.attempts).toBeGreaterThanOrEqual(2);
      expect(job.state).toBe('succeeded');
      expect(server.pool.restarts).toBeGreaterThanOrEqual(1);
      const next = await submit(server.url, { text: bars(30) });
      expect((await waitFinal(server.url, next.body.id ?? '')).state).toBe('succeeded');
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      expect(metrics).toMatch(/weft_worker_restarts_total [1-9]/);
    } finally {
      await server.close();
    }
  });

  it('a server restarted mid-queue loses no queued job and no finished output', async () => {
    const first = await testServer();
    const done = await submit(first.url, { text: bars(15) });
    expect((await waitFinal(first.url, done.body.id ?? '')).state).toBe('succeeded');
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await submit(first.url, { text: bars(300) })).body.id ?? '');
    await until(async () => (await getJob(first.url, ids[0] ?? '')).state === 'running', 30_000, 'first job to run');
    await first.close();

    const second = await testServer({ dataDir: first.dataDir });
    try {
      for (const id of ids) expect((await waitFinal(second.url, id, 90_000)).state).toBe('succeeded');
      const kept = await fetch(`${second.url}/api/v1/jobs/${done.body.id ?? ''}/outputs/output`);
      expect(kept.status).toBe(200);
      expect((await kept.arrayBuffer()).byteLength).toBeGreaterThan(1000);
    } finally {
      await second.close();
    }
  });
});

/** Processes whose command line holds `marker`. */
function processesWith(marker: string): number[] {
  try {
    return execFileSync('pgrep', ['-f', marker], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

describe('shutdown', () => {
  it('SIGTERM with a running job: exits within 10 s, leaves no Chromium, and the job runs after a restart', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'weft-sigterm-'));
    const start = () => {
      const child = spawn(
        process.execPath,
        ['bin/weft.js', 'serve', '--port', '0', '--data', dataDir, '--workers', '1'],
        {
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      child.stderr.on('data', (c: Buffer) => (out += c.toString()));
      return { child, out: () => out };
    };
    const first = start();
    await until(() => /API on (http:\/\/[^/\s]+)\//.test(first.out()), 60_000, 'the server to start');
    const url = /API on (http:\/\/[^/\s]+)\//.exec(first.out())?.[1] ?? '';
    const marker = /--(weft-pool=[0-9a-f]+)/.exec(first.out())?.[1] ?? '';
    expect(marker).not.toBe('');
    expect(processesWith(marker).length).toBeGreaterThan(0);
    const { body } = await submit(url, { text: bars(900, '1280, height: 720') });
    const id = body.id ?? '';
    await until(async () => (await getJob(url, id)).state === 'running', 30_000, 'job to run');
    // An open event stream must not hold the shutdown up.
    const events = await fetch(`${url}/api/v1/jobs/${id}/events`);
    const reading = events.body?.getReader().read();
    const exited = new Promise<number | null>((resolve) => first.child.once('exit', (code) => resolve(code)));
    const sent = Date.now();
    first.child.kill('SIGTERM');
    const code = await exited;
    const took = Date.now() - sent;
    await reading?.catch(() => undefined);
    expect(took, first.out()).toBeLessThan(10_000);
    expect(code).toBe(0);
    await until(() => processesWith(marker).length === 0, 3_000, 'no Chromium left');
    // The job was left queued, and the next start runs it.
    const second = await testServer({ dataDir });
    try {
      const job = await waitFinal(second.url, id, 120_000);
      expect(job.state).toBe('succeeded');
    } finally {
      await second.close();
    }
  });
});

describe('scale-out on Redis', () => {
  let redis: TestRedis | undefined;
  const workers: ChildProcess[] = [];
  afterAll(async () => {
    for (const w of workers) w.kill('SIGKILL');
    await redis?.stop();
  });

  it('two workers share 10 jobs; one is killed mid-job; all 10 succeed exactly once', async () => {
    redis = await startRedis();
    const server = await testServer({ redisUrl: redis.url, work: false });
    try {
      const startWorker = () => {
        const child = spawn(
          process.execPath,
          ['bin/weft.js', 'worker', '--redis', redis?.url ?? '', '--data', server.dataDir, '--workers', '1'],
          { stdio: ['ignore', 'pipe', 'pipe'] },
        );
        let out = '';
        child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
        child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
        workers.push(child);
        return { child, ready: () => out.includes('taking jobs') };
      };
      const a = startWorker();
      const b = startWorker();
      await until(() => a.ready() && b.ready(), 60_000, 'two workers');
      const ids: string[] = [];
      // Paced jobs (2 s each): worker A is still on one when it is killed.
      for (let i = 0; i < 10; i++)
        ids.push((await submit(server.url, { text: bars(60, undefined, true) })).body.id ?? '');
      // Kill worker A as soon as it runs a job.
      const pidA = a.child.pid ?? -1;
      let victim = '';
      await until(
        async () => {
          for (const id of ids) {
            const job = await getJob(server.url, id);
            if (job.state === 'running' && job.worker?.endsWith(`:${pidA}`)) victim = id;
          }
          return victim !== '';
        },
        60_000,
        'worker A to take a job',
      );
      a.child.kill('SIGKILL');
      const finals = await Promise.all(ids.map((id) => waitFinal(server.url, id, 120_000)));
      expect(finals.map((j) => j.state)).toEqual(Array(10).fill('succeeded'));
      const retried = finals.find((j) => j.id === victim);
      expect(retried?.attempts).toBeGreaterThanOrEqual(2);
      expect(retried?.worker).not.toContain(`:${pidA}`);
      // Exactly once: every job finished once, on a live worker, with its output in place.
      for (const job of finals) {
        expect(job.outputs).toHaveLength(1);
        const response = await fetch(`${server.url}/api/v1/jobs/${job.id}/outputs/output`);
        expect(response.status).toBe(200);
        expect((await response.arrayBuffer()).byteLength).toBe(job.outputs[0]?.bytes);
      }
      const finished = server.service.metrics.finished.succeeded ?? 0;
      expect(finished).toBe(10);
    } finally {
      await server.close();
    }
  });
});
