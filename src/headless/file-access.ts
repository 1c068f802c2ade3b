/**
 * Which server-side files `core::file_reader` may read and `core::file_writer` may write, as
 * StreamKit's `[security]` does: `allowed_file_paths` (default `samples/**`) and
 * `allowed_write_paths` (default none), glob patterns relative to a root directory (the server's
 * working directory unless set) or absolute. A path is checked as written (no `..` out of the
 * root), and again after symlinks are resolved, so a link inside an allowed folder cannot lead
 * out of it. Node-side only.
 */
import { realpathSync } from 'node:fs';
import { lstat, mkdir, realpath, stat } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import picomatch from 'picomatch';

/** StreamKit's default read patterns. */
export const DEFAULT_READ_PATTERNS: readonly string[] = ['samples/**'];

export interface FileAccessOptions {
  /** Directory relative paths and patterns are taken from (default: the working directory). */
  root?: string;
  /** Patterns `core::file_reader` may read (default `samples/**`). */
  read?: readonly string[];
  /** Patterns `core::file_writer` may write (default: none). */
  write?: readonly string[];
}

/** A path a pipeline may not use; the message says which patterns allow what. */
export class FileAccessError extends Error {
  override readonly name = 'FileAccessError';
  readonly status: 403 | 404;
  constructor(message: string, status: 403 | 404 = 403) {
    super(message);
    this.status = status;
  }
}

type Matcher = (path: string) => boolean;

function matcher(patterns: readonly string[], root: string): Matcher {
  const relative = patterns.filter((p) => !isAbsolute(p));
  const absolute = patterns.filter((p) => isAbsolute(p));
  const rel = relative.length > 0 ? picomatch(relative, { dot: false }) : () => false;
  const abs = absolute.length > 0 ? picomatch(absolute, { dot: false }) : () => false;
  return (path) => {
    const r = relativeInside(root, path);
    return (r !== undefined && rel(r)) || abs(path.split(sep).join('/'));
  };
}

/** `path` relative to `root` (with `/`), or undefined when it is outside. */
function relativeInside(root: string, path: string): string | undefined {
  const r = relative(root, path);
  if (r === '' || r.startsWith('..') || isAbsolute(r)) return undefined;
  return r.split(sep).join('/');
}

export class FileAccess {
  readonly root: string;
  readonly readPatterns: readonly string[];
  readonly writePatterns: readonly string[];
  readonly #read: Matcher;
  readonly #write: Matcher;

  constructor(options: FileAccessOptions = {}) {
    const root = resolve(options.root ?? process.cwd());
    // Real paths are matched against the patterns, so the root is taken as a real path too.
    this.root = (() => {
      try {
        return realpathSync(root);
      } catch {
        return root;
      }
    })();
    this.readPatterns = options.read ?? DEFAULT_READ_PATTERNS;
    this.writePatterns = options.write ?? [];
    this.#read = matcher(this.readPatterns, this.root);
    this.#write = matcher(this.writePatterns, this.root);
  }

  /** Why `path` may not be read, judged on its text alone (submission time), or undefined. */
  readProblem(path: string): string | undefined {
    return this.#problem(path, 'read');
  }

  /** Why `path` may not be written, judged on its text alone, or undefined. */
  writeProblem(path: string): string | undefined {
    return this.#problem(path, 'write');
  }

  #problem(path: string, how: 'read' | 'write'): string | undefined {
    const patterns = how === 'read' ? this.readPatterns : this.writePatterns;
    const allowed = how === 'read' ? this.#read : this.#write;
    if (path.includes('\0')) return `path '${path.replace(/\0/g, '\\0')}' contains a NUL byte`;
    const segments = path.split(/[\\/]/);
    if (segments.includes('..')) return `path '${path}' may not contain '..'`;
    const abs = resolve(this.root, path);
    if (allowed(abs)) return undefined;
    const flag = how === 'read' ? '--allow-read' : '--allow-write';
    const list = patterns.length > 0 ? patterns.map((p) => `'${p}'`).join(', ') : 'no paths';
    return `path '${path}' is not allowed for ${how === 'read' ? 'reading' : 'writing'}: this server allows ${list} (relative to ${this.root}); start it with ${flag} PATTERN to allow more`;
  }

  /** The real path of a file that may be read; throws `FileAccessError`. */
  async resolveRead(path: string): Promise<string> {
    const problem = this.readProblem(path);
    if (problem) throw new FileAccessError(problem);
    const abs = resolve(this.root, path);
    const real = await realpath(abs).catch(() => {
      throw new FileAccessError(`file '${path}' does not exist (looked in ${this.root})`, 404);
    });
    if (!this.#read(real)) {
      throw new FileAccessError(`path '${path}' leads outside the allowed paths through a symbolic link`);
    }
    if (!(await stat(real)).isFile()) throw new FileAccessError(`path '${path}' is not a regular file`);
    return real;
  }

  /**
   * The path a file may be written at (its folder is created inside the root when missing); throws
   * `FileAccessError`. A symbolic link is never written through.
   */
  async resolveWrite(path: string): Promise<string> {
    const problem = this.writeProblem(path);
    if (problem) throw new FileAccessError(problem);
    const abs = resolve(this.root, path);
    const existing = await lstat(abs).catch(() => undefined);
    if (existing?.isSymbolicLink())
      throw new FileAccessError(`path '${path}' is a symbolic link; it is not written through`);
    if (existing && !existing.isFile()) throw new FileAccessError(`path '${path}' exists and is not a regular file`);
    const folder = dirname(abs);
    // Missing folders are created only under a real folder inside the root: never through a link
    // that leads out (an absolute pattern's folder must exist).
    let ancestor = folder;
    while (!(await lstat(ancestor).catch(() => undefined))) ancestor = dirname(ancestor);
    if (ancestor !== folder) {
      const real = await realpath(ancestor);
      if (real !== this.root && relativeInside(this.root, real) === undefined) {
        throw new FileAccessError(`the folder of '${path}' does not exist`, 404);
      }
      await mkdir(folder, { recursive: true });
    }
    const realFolder = await realpath(folder);
    const real = resolve(realFolder, relative(folder, abs));
    if (!this.#write(real)) {
      throw new FileAccessError(`path '${path}' leads outside the allowed paths through a symbolic link`);
    }
    return real;
  }
}
