/**
 * Job records, inputs and outputs on disk: `<data>/jobs/<id>/{job.json,in/,out/}`. Records are
 * written atomically (temp file + rename), so a crash never leaves a half-written record.
 *
 * Paths are built only from a checked job id and checked names (`ids.ts`), never from what a
 * record says: a record read from disk must carry the id of the directory it was read from, and
 * its input and output names must be safe names, or it is skipped.
 */
import { randomUUID } from 'node:crypto';
import { lstat, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { clip } from '../../src/engine';
import { assertJobId, assertSafeName, inside, isJobId } from './ids';
import type { JobRecord } from './record';
import { JobRecordSchema } from './record';

export { SAFE_NAME } from './ids';

/** File name of a job's record inside its directory. */
const RECORD_FILE = 'job.json';

export class JobStore {
  readonly root: string;
  readonly #jobs = new Map<string, JobRecord>();
  readonly #writes = new Map<string, Promise<void>>();

  constructor(dataDir: string) {
    this.root = inside(dataDir, 'jobs');
  }

  /**
   * Reads the record in `<root>/<id>/job.json`: a real directory (not a link), a record that parses,
   * whose id is the directory's. Throws otherwise.
   */
  async #read(id: string): Promise<JobRecord> {
    assertJobId(id);
    const dir = inside(this.root, id);
    if (!(await lstat(dir)).isDirectory()) throw new Error(`${dir} is not a directory`);
    const record = JobRecordSchema.parse(JSON.parse(await readFile(inside(dir, RECORD_FILE), 'utf8')));
    if (record.id !== id) throw new Error(`the record in ${id}/ names another job ('${clip(record.id)}')`);
    return record;
  }

  /** Loads every record from disk (skipping, and reporting, entries that are not valid jobs). */
  async load(): Promise<JobRecord[]> {
    await mkdir(this.root, { recursive: true });
    for (const entry of await readdir(this.root)) {
      if (!isJobId(entry)) {
        if (!entry.endsWith('.tmp')) console.error(`weft: ignoring '${clip(entry)}' in ${this.root}: not a job id`);
        continue;
      }
      try {
        const record = await this.#read(entry);
        this.#jobs.set(record.id, record);
      } catch (error) {
        console.error(
          `weft: skipping job ${entry}: unreadable record (${clip(error instanceof Error ? error.message : String(error), 300)})`,
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
    if (!isJobId(id)) return undefined;
    try {
      const record = await this.#read(id);
      const cached = this.#jobs.get(id);
      if (cached && cached.rev > record.rev) return cached; // our own newer write is still landing
      this.#jobs.set(id, record);
      return record;
    } catch {
      return this.#jobs.get(id); // removed meanwhile, or a write in progress: keep what we know
    }
  }

  get(id: string): JobRecord | undefined {
    return isJobId(id) ? this.#jobs.get(id) : undefined;
  }

  newId(): string {
    return randomUUID();
  }

  /** The job's directory. Throws for anything but a job id. */
  dir(id: string): string {
    assertJobId(id);
    return inside(this.root, id);
  }
  /** Where input `name` of job `id` is stored. Throws for an unsafe id or name. */
  inputPath(id: string, name: string): string {
    assertSafeName(name, 'input name');
    return inside(this.dir(id), 'in', name);
  }
  /** Where output `name` of job `id` is stored. Throws for an unsafe id or name. */
  outputPath(id: string, name: string): string {
    assertSafeName(name, 'output name');
    return inside(this.dir(id), 'out', name);
  }

  /** Creates the job's directories (before its inputs are written). */
  async prepare(id: string): Promise<void> {
    const dir = this.dir(id);
    await mkdir(inside(dir, 'in'), { recursive: true });
    await mkdir(inside(dir, 'out'), { recursive: true });
  }

  /** Saves a record (new or changed). */
  async save(input: JobRecord): Promise<void> {
    const dir = this.dir(input.id);
    for (const i of input.inputs) assertSafeName(i.name, 'input name');
    for (const o of input.outputs) assertSafeName(o.name, 'output name');
    const record = { ...input, rev: Math.max(input.rev, this.#jobs.get(input.id)?.rev ?? 0) + 1 };
    this.#jobs.set(record.id, record);
    // Writes of one job are serialized, so the file ends with the latest record.
    const previous = this.#writes.get(record.id) ?? Promise.resolve();
    const write = previous.then(async () => {
      const path = inside(dir, RECORD_FILE);
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
    const dir = this.dir(id);
    this.#jobs.delete(id);
    this.#writes.delete(id);
    await rm(dir, { recursive: true, force: true });
  }
}
