/**
 * The server's own formats for the ids and names that become parts of file paths, and the one way
 * paths are built from them. Every id that enters (a route, the queue, Redis, a record read from
 * disk) is checked against `JOB_ID`; every input or output name against `SAFE_NAME`; and a path
 * made of checked parts is still verified to stay inside its directory.
 */
import { isAbsolute, relative, resolve } from 'node:path';
import { clip as echo } from '../../src/engine';
import { JOB_IO_NAME, JOB_IO_NAME_RULE } from '../../src/nodes';

/** A job id as the server makes them: a lowercase random UUID (`crypto.randomUUID()`). */
export const JOB_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/**
 * Names of inputs and outputs become file names: letters, digits, `_ . -`, at most 64, and not
 * starting with a dot (so never `.`, `..` or a hidden file). The nodes' own rule for job io names.
 */
export const SAFE_NAME = JOB_IO_NAME;

/** True when `id` is in the server's job id format. */
export function isJobId(id: unknown): boolean {
  return typeof id === 'string' && JOB_ID.test(id);
}

/** True when `name` may name an input or output file. */
export function isSafeName(name: unknown): boolean {
  return typeof name === 'string' && SAFE_NAME.test(name);
}

/** An id or name that is not in the server's format, or a path that would leave its directory. */
export class UnsafePathError extends Error {
  override readonly name = 'UnsafePathError';
}

/** Throws unless `id` is a job id. */
export function assertJobId(id: unknown): asserts id is string {
  if (!isJobId(id)) throw new UnsafePathError(`'${echo(String(id))}' is not a job id`);
}

/** Throws unless `name` is a safe input/output name. */
export function assertSafeName(name: unknown, what = 'name'): asserts name is string {
  if (!isSafeName(name)) {
    throw new UnsafePathError(`${what} '${echo(String(name))}' is not allowed (${JOB_IO_NAME_RULE})`);
  }
}

/**
 * Joins checked parts under `root` and verifies the result is strictly inside it. The parts must
 * already be validated; this is the second line of defence, not the first.
 */
export function inside(root: string, ...parts: string[]): string {
  const base = resolve(root);
  const path = resolve(base, ...parts);
  const rel = relative(base, path);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) {
    throw new UnsafePathError(`a path built from ${parts.map((p) => `'${echo(p)}'`).join(', ')} leaves ${base}`);
  }
  return path;
}
