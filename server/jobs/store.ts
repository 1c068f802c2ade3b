/**
 * Job records, inputs and outputs on disk: `<data>/jobs/<id>/{job.json,in/,out/}`. Records are
 * written atomically (temp file + rename), so a crash never leaves a half-written record.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { JobRecord } from './record';
import { JobRecordSchema } from './record';

/** Names of inputs and outputs become file names: keep them to a safe alphabet. */
export const SAFE_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

export class JobStore {
  readonly root: string;
  readonly #jobs = new Map<string, JobRecord>();
  readonly #writes = new Map<string, Promise<void>>();

  constructor(dataDir: string) {
    this.root = join(dataDir, 'jobs');
  }

  /** Loads every record from disk (skipping unreadable ones, which are reported). */
  async load(): Promise<JobRecord[]> {
    await mkdir(this.root, { recursive: true });
    for (const id of await readdir(this.root)) {
      try {
        const record = JobRecordSchema.parse(JSON.parse(await readFile(join(this.root, id, 'job.json'), 'utf8')));
        this.#jobs.set(record.id, record);
      } catch (error) {
        console.error(
          `weft: skipping job ${id}: unreadable record (${error instanceof Error ? error.message : String(error)})`,
        );
      }
    }
    return this.list();
  }

  /** Jobs, oldest first. */
  list(): JobRecord[] {
    return [...this.#jobs.values()].sort((a, b) => a.created_at.localeCompare(b.created_at));
  }

  /** Re-reads a record from disk (another process, e.g. a `weft worker`, may have changed it). */
  async reload(id: string): Promise<JobRecord | undefined> {
    try {
      const record = JobRecordSchema.parse(JSON.parse(await readFile(join(this.root, id, 'job.json'), 'utf8')));
      const cached = this.#jobs.get(id);
      if (cached && cached.rev > record.rev) return cached; // our own newer write is still landing
      this.#jobs.set(id, record);
      return record;
    } catch {
      return this.#jobs.get(id); // removed meanwhile, or a write in progress: keep what we know
    }
  }

  get(id: string): JobRecord | undefined {
    return this.#jobs.get(id);
  }

  newId(): string {
    return randomUUID();
  }

  dir(id: string): string {
    return join(this.root, id);
  }
  inputPath(id: string, name: string): string {
    return join(this.root, id, 'in', name);
  }
  outputPath(id: string, name: string): string {
    return join(this.root, id, 'out', name);
  }

  /** Creates the job's directories (before its inputs are written). */
  async prepare(id: string): Promise<void> {
    await mkdir(join(this.root, id, 'in'), { recursive: true });
    await mkdir(join(this.root, id, 'out'), { recursive: true });
  }

  /** Saves a record (new or changed). */
  async save(input: JobRecord): Promise<void> {
    const record = { ...input, rev: Math.max(input.rev, this.#jobs.get(input.id)?.rev ?? 0) + 1 };
    this.#jobs.set(record.id, record);
    // Writes of one job are serialized, so the file ends with the latest record.
    const previous = this.#writes.get(record.id) ?? Promise.resolve();
    const write = previous.then(async () => {
      const path = join(this.root, record.id, 'job.json');
      const temp = `${path}.${process.pid}.${record.rev}.tmp`;
      await writeFile(temp, JSON.stringify(record, null, 1));
      await rename(temp, path);
    });
    this.#writes.set(
      record.id,
      write.catch(() => undefined), // the failure is reported to this save's caller below
    );
    await write;
  }

  /** Changes a record and saves it. */
  async update(id: string, change: Partial<JobRecord>): Promise<JobRecord> {
    const current = this.#jobs.get(id);
    if (!current) throw new Error(`job ${id} does not exist`);
    await this.save({ ...current, ...change });
    return this.#jobs.get(id) ?? { ...current, ...change };
  }

  /** Removes a job and its files. */
  async remove(id: string): Promise<void> {
    this.#jobs.delete(id);
    this.#writes.delete(id);
    await rm(join(this.root, id), { recursive: true, force: true });
  }
}
