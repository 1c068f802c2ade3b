/**
 * Serves the asset root (models, fonts, images) under `ASSETS_URL_PATH`, for the headless bridge
 * and the server alike: names are checked against the asset rule, and the real path (symlinks
 * resolved) must stay inside the root. Runs in Node.
 */
import { createReadStream } from 'node:fs';
import { readFile, realpath, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { extname, join, sep } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { Hono } from 'hono';
import { z } from 'zod';
import { ASSETS_URL_PATH, BUNDLED_FONT_ASSETS, BUNDLED_MARK_ASSET, isAssetPath } from '../engine';

const require = createRequire(import.meta.url);

/** Assets Weft ships (npm packages), by asset name: served when the user's folder lacks the name. */
export const BUNDLED_ASSET_FILES: ReadonlyMap<string, string> = new Map([
  [BUNDLED_FONT_ASSETS.regular, require.resolve('@fontsource/dejavu-sans/files/dejavu-sans-latin-400-normal.woff2')],
  [BUNDLED_FONT_ASSETS.bold, require.resolve('@fontsource/dejavu-sans/files/dejavu-sans-latin-700-normal.woff2')],
  [BUNDLED_MARK_ASSET, fileURLToPath(new URL('../../samples/images/weft-mark.png', import.meta.url))],
]);

const TYPES: Record<string, string> = {
  '.json': 'application/json',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.ttf': 'font/ttf',
  '.otf': 'font/otf',
  '.woff2': 'font/woff2',
  '.onnx': 'application/octet-stream',
  '.wasm': 'application/wasm',
};

/** The real path of asset `name` under `root`, or undefined when it is not a file inside it. */
export async function resolveAsset(root: string, name: string): Promise<string | undefined> {
  if (!isAssetPath(name)) return undefined;
  try {
    const realRoot = await realpath(root);
    const path = await realpath(join(realRoot, name));
    if (!path.startsWith(realRoot + sep)) return undefined; // a symlink pointing out of the root
    return (await stat(path)).isFile() ? path : undefined;
  } catch {
    return undefined; // missing file or root: an ordinary 404
  }
}

/** Assets named `models/…` come from the models folder (`--models DIR`) when there is one. */
export const MODELS_PREFIX = 'models/';

/** The models folder's own map (`DIR/models.json`), read at each request so edits apply at once. */
export const MODELS_MAP_FILE = 'models.json';

const FolderName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'a folder name (letters, digits, . _ -)');
const ModelsMap = z.strictObject({
  /** Names pipelines ask for → the folder that answers (`whisper-base.en` → `whisper-tiny.en`). */
  aliases: z.record(FolderName, FolderName).default({}),
});

/** The folder under `modelsDir` that answers model `name`: itself, or what models.json maps it to. */
async function mappedModel(modelsDir: string, name: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(join(modelsDir, MODELS_MAP_FILE), 'utf8');
  } catch {
    return name; // no map
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`${MODELS_MAP_FILE} in the models folder is not JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const parsed = ModelsMap.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${MODELS_MAP_FILE} in the models folder: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`);
  }
  const slash = name.indexOf('/');
  const folder = slash < 0 ? name : name.slice(0, slash);
  const to = parsed.data.aliases[folder];
  return to === undefined ? name : `${to}${name.slice(folder.length)}`;
}

/**
 * Routes serving `root` (else Weft's bundled assets) under `ASSETS_URL_PATH`, and `models/<name>`
 * from `modelsDir` first (a Hugging Face–style model folder, or the one `models.json` maps the name
 * to: StreamKit's model names onto the folders there). Assets are never served as HTML.
 */
export function assetFiles(root: string | undefined, modelsDir?: string) {
  const app = new Hono();
  app.get(`${ASSETS_URL_PATH}*`, async (c) => {
    let name: string;
    try {
      name = decodeURIComponent(new URL(c.req.url).pathname.slice(ASSETS_URL_PATH.length));
    } catch {
      return c.text('not found', 404);
    }
    let model: string | undefined;
    if (modelsDir && name.startsWith(MODELS_PREFIX)) {
      try {
        model = await mappedModel(modelsDir, name.slice(MODELS_PREFIX.length));
      } catch (error) {
        return c.text((error as Error).message, 500);
      }
    }
    const path =
      (modelsDir && model !== undefined ? await resolveAsset(modelsDir, model) : undefined) ??
      (root ? await resolveAsset(root, name) : undefined) ??
      BUNDLED_ASSET_FILES.get(name);
    if (!path) return c.text(`no asset '${name}'`, 404);
    const size = (await stat(path)).size;
    return c.body(Readable.toWeb(createReadStream(path)) as ReadableStream<Uint8Array>, 200, {
      'Content-Type': TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream',
      'Content-Length': String(size),
      'X-Content-Type-Options': 'nosniff',
      'Content-Security-Policy': "default-src 'none'; sandbox",
    });
  });
  return app;
}
