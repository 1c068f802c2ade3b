/**
 * One test suite for every job-queue backend: the embedded queue and BullMQ on Redis.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedQueue } from '../../server/jobs/embedded-queue';
import type { JobQueue, QueueEvent } from '../../server/jobs/queue';
import { RetryableError } from '../../server/jobs/queue';
import { RedisQueue } from '../../server/jobs/redis-queue';
import type { TestRedis } from '../support/redis';
import { startRedis } from '../support/redis';

/** Waits until `check` is true (polling), failing after `ms`. */
async function until(check: () => boolean, ms = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function queueSuite(name: string, make: () => Promise<JobQueue>): void {
  describe(`job queue contract: ${name}`, () => {
    const open: JobQueue[] = [];
    const fresh = async () => {
      const q = await make();
      open.push(q);
      return q;
    };
    afterAll(async () => {
      await Promise.all(open.map((q) => q.close()));
    });

    it('runs jobs in the order they were added', async () => {
      const q = await fresh();
      const seen: string[] = [];
      const done: string[] = [];
      q.onEvent((e) => e.type === 'completed' && done.push(e.id));
      // Ids are the server's own format (random UUIDs): every queue refuses anything else.
      const ids = ['a', 'b', 'c', 'd'].map(() => randomUUID());
      for (const id of ids) await q.add(id);
      q.process((task) => {
        seen.push('abcd'[ids.findIndex((id) => id === task.id)] ?? '?');
        return Promise.resolve();
      }, 1);
      await until(() => done.length === 4, 10_000, 'four completions');
      expect(seen).toEqual(['a', 'b', 'c', 'd']);
    });

    it('never runs more than `concurrency` jobs at once', async () => {
      const q = await fresh();
      let running = 0;
      let peak = 0;
      let finished = 0;
      q.process(async () => {
        running++;
        peak = Math.max(peak, running);
        await sleep(80);
        running--;
        finished++;
      }, 2);
      for (let i = 0; i < 6; i++) await q.add(randomUUID());
      await until(() => finished === 6, 15_000, 'six jobs');
      expect(peak).toBe(2);
    });

    it('retries a job whose worker was lost, and fails others at once', async () => {
      const q = await fresh();
      const attempts = new Map<string, number[]>();
      const events: QueueEvent[] = [];
      q.onEvent((e) => events.push(e));
      const lost = randomUUID();
      const broken = randomUUID();
      q.process((task) => {
        attempts.set(task.id, [...(attempts.get(task.id) ?? []), task.attempt]);
        if (task.id === lost && task.attempt === 1) return Promise.reject(new RetryableError('worker lost'));
        if (task.id === broken) return Promise.reject(new Error('bad pipeline'));
        return Promise.resolve();
      }, 1);
      await q.add(lost);
      await q.add(broken);
      await until(
        () =>
          events.some((e) => e.type === 'completed' && e.id === lost) &&
          events.some((e) => e.type === 'failed' && e.id === broken),
        15_000,
        'retry and failure',
      );
      expect(attempts.get(lost)).toEqual([1, 2]);
      expect(attempts.get(broken)).toEqual([1]);
    });

    it('cancels a queued job (it never runs) and a running one (its signal aborts)', async () => {
      const q = await fresh();
      const started: string[] = [];
      let abortedSeen = false;
      const first = randomUUID();
      const second = randomUUID();
      q.process(async (task) => {
        started.push(task.id);
        if (task.id === first) {
          await new Promise<void>((resolve) => task.signal.addEventListener('abort', () => resolve(), { once: true }));
          abortedSeen = task.signal.aborted;
          throw new Error('canceled');
        }
      }, 1);
      await q.add(first);
      await q.add(second);
      await until(() => started.includes(first), 10_000, 'first job to start');
      expect(await q.cancel(second)).toBe('removed');
      expect(await q.cancel(first)).toBe('aborted');
      await until(() => abortedSeen, 10_000, 'abort to reach the handler');
      await sleep(300);
      expect(started).toEqual([first]);
      expect(await q.cancel(randomUUID())).toBe('unknown');
    });

    it('refuses ids that are not job ids', async () => {
      const q = await fresh();
      for (const id of ['../x', 'a', `${randomUUID()}/in`, randomUUID().toUpperCase()]) {
        await expect(q.add(id)).rejects.toThrow(/not a job id/);
      }
    });

    it('publishes progress and reports counts', async () => {
      const q = await fresh();
      const progress: unknown[] = [];
      q.onEvent((e) => e.type === 'progress' && progress.push(e.data));
      let release: () => void = () => undefined;
      const gate = new Promise<void>((r) => (release = r));
      q.process(async (task) => {
        task.progress({ fraction: 0.5 });
        await gate;
      }, 1);
      await q.add(randomUUID());
      await q.add(randomUUID());
      await until(() => progress.length > 0, 10_000, 'progress');
      expect(progress[0]).toEqual({ fraction: 0.5 });
      const counts = await q.counts();
      expect(counts.active).toBe(1);
      expect(counts.waiting).toBe(1);
      release();
    });
  });
}

queueSuite('embedded', () => Promise.resolve(new EmbeddedQueue()));

let redis: TestRedis | undefined;
beforeAll(async () => {
  redis = await startRedis();
}, 20_000);
afterAll(async () => {
  await redis?.stop();
});
queueSuite('BullMQ on Redis', async () => {
  if (!redis) throw new Error('redis did not start');
  const q = new RedisQueue(redis.url, { prefix: `t${randomUUID().slice(0, 8)}` });
  await q.ready();
  return q;
});
