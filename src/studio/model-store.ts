/**
 * The studio's model folders, kept in the browser (Cache API): a folder the user picked, copied in
 * once, or a URL whose files are downloaded the first time a model asks for them and kept. The
 * engine Worker answers `models/<folder>/…` assets from here before asking the server; a folder may
 * also answer to other names (`aliases`: StreamKit's model names a pipeline uses). Works in the
 * page and in Workers; importable without effects.
 */
import { isAssetPath } from '../engine';

/** The Cache API cache that holds model files. */
export const MODEL_CACHE = 'weft-models';
/** Where the files sit in the cache: a synthetic path under this origin (never fetched). */
const CACHE_ROOT = '/weft-model-cache/';
/** Each folder's description, stored beside its files. */
const MANIFEST = '.weft-model.json';
/** A folder name: one safe path segment. */
const FOLDER = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
/** Progress is reported at most this often per file (bytes). */
const PROGRESS_STEP_BYTES = 1 << 20;

/** Where a stored folder's files come from. */
export type ModelSource = { type: 'folder' } | { type: 'url'; url: string };

/** A model folder the studio keeps. */
export interface StoredModel {
  folder: string;
  source: ModelSource;
  /** Other names pipelines may ask for it by (`whisper-base.en` for a `whisper-tiny.en` folder). */
  aliases: string[];
  /** The files held now (a URL folder gains them as they are used). */
  files: { path: string; bytes: number }[];
}

/** How a copy or download goes: `loaded` of `total` bytes (total null when the server does not say). */
export interface ModelTransfer {
  folder: string;
  file: string;
  loaded: number;
  total: number | null;
  done: boolean;
}

interface Manifest {
  source: ModelSource;
  aliases: string[];
}

/** Why `name` cannot be a model folder's name, or null. */
export function folderNameProblem(name: string): string | null {
  return FOLDER.test(name) ? null : `'${name}' is not a folder name (letters, digits, '.', '_' and '-')`;
}

/** Why `url` cannot be a model folder's URL, or null. */
export function modelUrlProblem(url: string): string | null {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? null : 'the URL must be http(s)';
  } catch {
    return `'${url}' is not a URL`;
  }
}

const key = (folder: string, path: string) =>
  new URL(`${CACHE_ROOT}${folder}/${path}`, globalThis.location.origin).href;

async function manifests(cache: Cache): Promise<Map<string, Manifest>> {
  const out = new Map<string, Manifest>();
  for (const request of await cache.keys()) {
    const path = new URL(request.url).pathname.slice(CACHE_ROOT.length);
    const [folder, file] = [path.slice(0, path.indexOf('/')), path.slice(path.indexOf('/') + 1)];
    if (file !== MANIFEST) continue;
    const response = await cache.match(request);
    if (response) out.set(folder, (await response.json()) as Manifest);
  }
  return out;
}

async function putManifest(cache: Cache, folder: string, manifest: Manifest): Promise<void> {
  await cache.put(
    key(folder, MANIFEST),
    new Response(JSON.stringify(manifest), { headers: { 'content-type': 'application/json' } }),
  );
}

/** The folders the studio keeps, by name. */
export async function listModels(): Promise<StoredModel[]> {
  const cache = await caches.open(MODEL_CACHE);
  const found = await manifests(cache);
  const files = new Map<string, { path: string; bytes: number }[]>();
  for (const request of await cache.keys()) {
    const path = new URL(request.url).pathname.slice(CACHE_ROOT.length);
    const folder = path.slice(0, path.indexOf('/'));
    const file = path.slice(path.indexOf('/') + 1);
    if (file === MANIFEST || !found.has(folder)) continue;
    const bytes = Number((await cache.match(request))?.headers.get('content-length') ?? 0);
    files.set(folder, [...(files.get(folder) ?? []), { path: decodeURI(file), bytes }]);
  }
  return [...found.entries()]
    .map(([folder, m]) => ({ folder, source: m.source, aliases: m.aliases, files: files.get(folder) ?? [] }))
    .sort((a, b) => a.folder.localeCompare(b.folder));
}

/**
 * Copies the files of a folder the user picked (`path` relative to the folder) into the store as
 * `folder`, replacing what it held; `onProgress` follows each file.
 */
export async function storeFolder(
  folder: string,
  files: { path: string; blob: Blob }[],
  onProgress: (transfer: ModelTransfer) => void = () => undefined,
): Promise<void> {
  const problem = folderNameProblem(folder);
  if (problem) throw new Error(problem);
  const bad = files.find((f) => !isAssetPath(f.path));
  if (bad) throw new Error(`'${bad.path}' is not a file name a model folder may hold`);
  await removeModel(folder);
  const cache = await caches.open(MODEL_CACHE);
  for (const f of files) {
    await cache.put(key(folder, f.path), new Response(f.blob, { headers: { 'content-length': String(f.blob.size) } }));
    onProgress({ folder, file: f.path, loaded: f.blob.size, total: f.blob.size, done: true });
  }
  await putManifest(cache, folder, { source: { type: 'folder' }, aliases: [] });
}

/** Keeps `folder` as a link to `url` (a folder of the Hugging Face layout): files download when first asked for. */
export async function linkModelUrl(folder: string, url: string): Promise<void> {
  const problem = folderNameProblem(folder) ?? modelUrlProblem(url);
  if (problem) throw new Error(problem);
  await removeModel(folder);
  const base = url.endsWith('/') ? url : `${url}/`;
  await putManifest(await caches.open(MODEL_CACHE), folder, { source: { type: 'url', url: base }, aliases: [] });
}

/** Sets the other names `folder` answers to. */
export async function setAliases(folder: string, aliases: string[]): Promise<void> {
  const bad = aliases.find((a) => folderNameProblem(a) !== null);
  if (bad !== undefined) throw new Error(folderNameProblem(bad) ?? '');
  const cache = await caches.open(MODEL_CACHE);
  const manifest = (await manifests(cache)).get(folder);
  if (!manifest) throw new Error(`the studio keeps no model folder '${folder}'`);
  await putManifest(cache, folder, { ...manifest, aliases: [...new Set(aliases)].filter((a) => a !== folder) });
}

/** Forgets `folder` and its files. */
export async function removeModel(folder: string): Promise<void> {
  const cache = await caches.open(MODEL_CACHE);
  const prefix = key(folder, '');
  for (const request of await cache.keys()) if (request.url.startsWith(prefix)) await cache.delete(request);
}

/** Reads `response`'s body, reporting progress, into a Blob. */
async function download(
  response: Response,
  report: (loaded: number, total: number | null) => void,
  signal: AbortSignal,
): Promise<Blob> {
  const length = Number(response.headers.get('content-length'));
  const total = Number.isFinite(length) && length > 0 ? length : null;
  const reader = response.body?.getReader();
  if (!reader) return response.blob();
  const parts: Uint8Array<ArrayBuffer>[] = [];
  let loaded = 0;
  let reported = 0;
  for (;;) {
    signal.throwIfAborted();
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    loaded += value.byteLength;
    if (loaded - reported >= PROGRESS_STEP_BYTES) {
      reported = loaded;
      report(loaded, total);
    }
  }
  return new Blob(parts);
}

/**
 * The stored file for asset `path` (`models/<name>/<file>`), downloading and keeping it first for
 * a URL folder; undefined when no stored folder has that name (the server's models may have it).
 * A file the URL does not have is an error naming it.
 */
export async function openStoredModel(
  path: string,
  signal: AbortSignal,
  onProgress: (transfer: ModelTransfer) => void = () => undefined,
): Promise<Blob | undefined> {
  const match = /^models\/([^/]+)\/(.+)$/.exec(path);
  if (!match || typeof caches === 'undefined') return undefined;
  const [, name = '', file = ''] = match;
  const cache = await caches.open(MODEL_CACHE);
  const all = await manifests(cache);
  const folder = all.has(name) ? name : [...all.entries()].find(([, m]) => m.aliases.includes(name))?.[0];
  const manifest = folder === undefined ? undefined : all.get(folder);
  if (folder === undefined || !manifest) return undefined;
  const held = await cache.match(key(folder, file));
  if (held) return held.blob();
  if (manifest.source.type === 'folder') throw new Error(`the model folder '${folder}' has no file '${file}'`);
  const url = new URL(file, manifest.source.url).href;
  const response = await fetch(url, { signal, credentials: 'omit' }).catch((error: unknown) => {
    throw new Error(`could not download '${url}' (${(error as Error).message})`, { cause: error });
  });
  if (!response.ok) throw new Error(`'${url}' answered HTTP ${response.status}`);
  const report = (loaded: number, total: number | null, done = false) =>
    onProgress({ folder, file, loaded, total, done });
  report(0, Number(response.headers.get('content-length')) || null);
  const blob = await download(response, report, signal);
  await cache.put(key(folder, file), new Response(blob, { headers: { 'content-length': String(blob.size) } }));
  report(blob.size, blob.size, true);
  return blob;
}
