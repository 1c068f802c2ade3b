/**
 * FileAccess, the rules of core::file_reader / core::file_writer on the server: patterns relative
 * to the root or absolute, no `..`, no NUL, and no way out through a symbolic link, reading or
 * writing (not even by creating folders under a link).
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, realpath, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { FileAccess, FileAccessError } from '../../src/headless/file-access';

let root: string;
let outside: string;

beforeAll(async () => {
  root = await realpath(await mkdtemp(join(tmpdir(), 'weft-fa-')));
  outside = await realpath(await mkdtemp(join(tmpdir(), 'weft-fa-out-')));
  await mkdir(join(root, 'samples', 'audio'), { recursive: true });
  await writeFile(join(root, 'samples', 'audio', 'a.opus'), 'a');
  await writeFile(join(root, 'secret.txt'), 's');
  await writeFile(join(outside, 'x.opus'), 'x');
  await symlink(join(outside, 'x.opus'), join(root, 'samples', 'link.opus'));
  await symlink(join(root, 'samples', 'audio', 'a.opus'), join(root, 'samples', 'inner.opus'));
  await mkdir(join(root, 'out'));
  await symlink(outside, join(root, 'out', 'away'));
});

describe('FileAccess', () => {
  it('reads only what the patterns allow, by default samples/**', async () => {
    const files = new FileAccess({ root });
    expect(files.readProblem('samples/audio/a.opus')).toBeUndefined();
    expect(await files.resolveRead('samples/audio/a.opus')).toBe(join(root, 'samples', 'audio', 'a.opus'));
    expect(files.readProblem('secret.txt')).toMatch(/not allowed for reading: this server allows 'samples\/\*\*'/);
    expect(files.readProblem(join(root, 'secret.txt'))).toMatch(/not allowed/);
    expect(files.readProblem('samples/../secret.txt')).toMatch(/may not contain '\.\.'/);
    expect(files.readProblem('samples/a\0.opus')).toMatch(/NUL/);
    // A link to a file inside the allowed paths is fine; one that leads out is not.
    expect(await files.resolveRead('samples/inner.opus')).toBe(join(root, 'samples', 'audio', 'a.opus'));
    await expect(files.resolveRead('samples/link.opus')).rejects.toThrow(/leads outside the allowed paths/);
    await expect(files.resolveRead('samples/none.opus')).rejects.toMatchObject({ status: 404 });
    await expect(files.resolveRead('samples/audio')).rejects.toThrow(FileAccessError);
  });

  it('takes absolute patterns as they are', async () => {
    const files = new FileAccess({ root, read: [`${outside}/*.opus`] });
    expect(await files.resolveRead(join(outside, 'x.opus'))).toBe(join(outside, 'x.opus'));
    expect(files.readProblem('samples/audio/a.opus')).toMatch(/not allowed/);
  });

  it('writes nowhere by default, and never through a link', async () => {
    expect(new FileAccess({ root }).writeProblem('out/a.webm')).toMatch(/allows no paths.*--allow-write/);
    const files = new FileAccess({ root, write: ['out/**'] });
    expect(await files.resolveWrite('out/new/deeper/a.webm')).toBe(join(root, 'out', 'new', 'deeper', 'a.webm'));
    expect(existsSync(join(root, 'out', 'new', 'deeper'))).toBe(true);
    await expect(files.resolveWrite('out/away/a.webm')).rejects.toThrow(/leads outside/);
    // Folders are not created under a link that leads out.
    await expect(files.resolveWrite('out/away/made/a.webm')).rejects.toThrow(/does not exist/);
    expect(existsSync(join(outside, 'made'))).toBe(false);
    await symlink(join(outside, 'x.opus'), join(root, 'out', 'file-link.webm'));
    await expect(files.resolveWrite('out/file-link.webm')).rejects.toThrow(/symbolic link/);
  });
});
