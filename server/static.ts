/**
 * Serves the built studio: files from the Vite output directory, `index.html` for any other
 * path (the studio routes on the client). Paths cannot escape the directory.
 */
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { Hono } from 'hono';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.wasm': 'application/wasm',
  '.yaml': 'text/yaml; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
};

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false; // a missing file is an ordinary miss, answered with index.html or 404
  }
}

/** Routes that serve `dir`. */
export function staticFiles(dir: string) {
  const root = resolve(dir);
  const app = new Hono();
  app.get('*', async (c) => {
    let decoded: string;
    try {
      decoded = decodeURIComponent(new URL(c.req.url).pathname);
    } catch {
      return c.text('not found', 404); // a malformed escape (%E0%A4%A) names no file
    }
    if (decoded.includes('\0')) return c.text('not found', 404);
    const wanted = normalize(decoded).replace(/^([/\\])+/, '');
    const path = resolve(join(root, wanted));
    if (path !== root && !path.startsWith(root + sep)) return c.text('not found', 404);
    // The live pages are routes of their own: /publish, /watch/<broadcast> and /play/<session><path>.
    const page =
      wanted === 'publish'
        ? 'publish.html'
        : /^watch(?:\/|$)/.test(wanted)
          ? 'watch.html'
          : /^play(?:\/|$)/.test(wanted)
            ? 'play.html'
            : 'index.html';
    const file = (await isFile(path)) ? path : join(root, page);
    if (!(await isFile(file))) return c.text('the studio is not built: run `npm start`', 404);
    const body = await readFile(file);
    const hashed = file.includes(`${sep}assets${sep}`);
    return c.body(body, 200, {
      'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
      'Cache-Control': hashed ? 'public, max-age=31536000, immutable' : 'no-cache',
    });
  });
  return app;
}
