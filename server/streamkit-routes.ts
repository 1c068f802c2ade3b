/**
 * StreamKit's remaining HTTP routes, in its shapes, so its web UI and clients work against
 * `weft serve`: `/permissions` (StreamKit's role and 15 booleans, from Weft's token model: whoever
 * gets past the API token is the admin), `/config` (the relay as `moq_gateway_url`), `/plugins`
 * (Weft loads none), sample pipelines (Weft's own as system samples; users' saved in the data
 * directory) and audio assets (under `samples/audio/{system,user}` of the files root, so a
 * `core::file_reader` reads them by the path listed).
 */
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { parse } from 'yaml';
import { clip, parsePipeline } from '../src/engine';
import { inside } from './jobs/ids';

/** StreamKit's limits. */
const MAX_SAMPLE_BYTES = 1024 * 1024;
const MAX_AUDIO_BYTES = 100 * 1024 * 1024;
const AUDIO_EXTENSIONS = ['opus', 'ogg', 'flac', 'mp3', 'wav'];
/** A sample id (its file name without extension). */
const SAMPLE_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;
/** An uploaded audio file name. */
const AUDIO_NAME = /^[A-Za-z0-9][A-Za-z0-9 _.()-]{0,200}$/;

export interface StreamkitRoutesOptions {
  /** Weft's sample pipelines (`samples/` with `oneshot/` and `dynamic/`). */
  samplesDir: string;
  /** Where users' saved samples go (`<data>/samples`). */
  userSamplesDir: string;
  /** The files root: audio assets live in its `samples/audio/{system,user}`. */
  filesRoot: string;
  /** Whether the server hosts the MoQ relay at `/moq`. */
  relay: boolean;
}

/** What a caller past the API token may do, in StreamKit's terms. */
export const ADMIN_PERMISSIONS = {
  create_sessions: true,
  destroy_sessions: true,
  list_sessions: true,
  modify_sessions: true,
  tune_nodes: true,
  load_plugins: false, // Weft has no plugin loader
  delete_plugins: false,
  list_nodes: true,
  list_samples: true,
  read_samples: true,
  write_samples: true,
  delete_samples: true,
  access_all_sessions: true,
  upload_assets: true,
  delete_assets: true,
};

interface SamplePipeline {
  id: string;
  name: string;
  description: string;
  yaml: string;
  is_system: boolean;
  mode: 'oneshot' | 'dynamic';
  is_fragment: boolean;
}

/** Samples of one folder; ids are `<folder>/<file name>` as StreamKit makes them. */
async function readSamples(
  dir: string,
  prefix: string,
  isSystem: boolean,
  mode: 'oneshot' | 'dynamic',
): Promise<SamplePipeline[]> {
  const files = await readdir(dir).catch(() => [] as string[]);
  const out: SamplePipeline[] = [];
  for (const file of files.sort()) {
    if (!/\.ya?ml$/.test(file)) continue;
    const id = basename(file).replace(/\.ya?ml$/, '');
    if (!SAMPLE_ID.test(id)) continue;
    const yaml = await readFile(join(dir, file), 'utf8');
    let doc: { name?: unknown; description?: unknown; mode?: unknown } = {};
    try {
      doc = (parse(yaml) as typeof doc | null) ?? {};
    } catch {
      continue; // not a pipeline
    }
    const docMode = doc.mode === 'oneshot' ? 'oneshot' : 'dynamic';
    if (docMode !== mode) continue;
    out.push({
      id: `${prefix}/${id}`,
      name: typeof doc.name === 'string' ? doc.name : id.replace(/[-_]/g, ' '),
      description: typeof doc.description === 'string' ? doc.description : '',
      yaml,
      is_system: isSystem,
      mode,
      // StreamKit calls a document without its own name, description or mode a fragment.
      is_fragment: typeof doc.name !== 'string' || typeof doc.description !== 'string' || doc.mode === undefined,
    });
  }
  return out;
}

/** A sample id as the route gets it: `oneshot/x`, `user/x`, or StreamKit's older bare `x`. */
function sampleFile(id: string): string | undefined {
  const stem = id.includes('/') ? id.slice(id.indexOf('/') + 1) : id;
  return SAMPLE_ID.test(stem) ? stem : undefined;
}

interface AudioAsset {
  id: string;
  name: string;
  path: string;
  format: string;
  size_bytes: number;
  is_system: boolean;
}

async function readAudio(root: string, scope: 'system' | 'user'): Promise<AudioAsset[]> {
  const dir = join(root, 'samples', 'audio', scope);
  const files = await readdir(dir).catch(() => [] as string[]);
  const out: AudioAsset[] = [];
  for (const file of files.sort()) {
    const format = extname(file).slice(1).toLowerCase();
    if (!AUDIO_EXTENSIONS.includes(format)) continue;
    const info = await stat(join(dir, file)).catch(() => undefined);
    if (!info?.isFile()) continue;
    out.push({
      id: scope === 'user' ? file : `system/${file}`,
      name: file.slice(0, -(format.length + 1)),
      path: `samples/audio/${scope}/${file}`,
      format,
      size_bytes: info.size,
      is_system: scope === 'system',
    });
  }
  return out;
}

/** StreamKit shows its API's error bodies as text: a sentence that reads on its own. */
const refuse = (message: string, status: 400 | 403 | 404 | 409 | 413) =>
  new Response(message, { status, headers: { 'content-type': 'text/plain; charset=utf-8' } });

export function streamkitRoutes(options: StreamkitRoutesOptions) {
  const system = (mode: 'oneshot' | 'dynamic') => readSamples(join(options.samplesDir, mode), mode, true, mode);
  const user = () => readSamples(join(options.userSamplesDir, 'oneshot'), 'user', false, 'oneshot');
  const userAudio = join(options.filesRoot, 'samples', 'audio', 'user');

  return new Hono()
    .get('/permissions', (c) => c.json({ role: 'admin', permissions: ADMIN_PERMISSIONS }))
    .get('/config', (c) =>
      c.json(options.relay ? { moq_gateway_url: new URL('/moq', new URL(c.req.url).origin).href } : {}),
    )
    .get('/plugins', (c) => c.json([]))
    .get('/samples/oneshot', async (c) => c.json([...(await system('oneshot')), ...(await user())]))
    .get('/samples/dynamic', async (c) => c.json(await system('dynamic')))
    .get('/samples/oneshot/:id', async (c) => {
      const id = c.req.param('id');
      const all = [...(await system('oneshot')), ...(await user())];
      const found =
        all.find((s) => s.id === id) ?? (id.includes('/') ? undefined : all.find((s) => s.id.endsWith(`/${id}`)));
      return found ? c.json(found) : refuse(`Sample '${clip(id)}' not found`, 404);
    })
    .post(
      '/samples/oneshot',
      bodyLimit({ maxSize: MAX_SAMPLE_BYTES + 4096, onError: () => refuse('Sample YAML is over 1 MB', 413) }),
      async (c) => {
        const body = (await c.req.json().catch(() => undefined)) as
          { name?: unknown; description?: unknown; yaml?: unknown; overwrite?: unknown } | undefined;
        if (!body || typeof body.name !== 'string' || typeof body.yaml !== 'string')
          return refuse('Send JSON {name, description, yaml, overwrite?}', 400);
        const id = body.name
          .trim()
          .toLowerCase()
          .replace(/[^a-z0-9_-]+/g, '-')
          .replace(/^-+|-+$/g, '')
          .slice(0, 128);
        if (!SAMPLE_ID.test(id)) return refuse(`Sample name '${clip(body.name)}' needs letters or digits`, 400);
        if (Buffer.byteLength(body.yaml) > MAX_SAMPLE_BYTES) return refuse('Sample YAML is over 1 MB', 413);
        try {
          parsePipeline(body.yaml);
        } catch (error) {
          return refuse(`Invalid pipeline: ${clip((error as Error).message, 400)}`, 400);
        }
        if ((await system('oneshot')).some((s) => s.id === `oneshot/${id}`))
          return refuse(`'${id}' is a system sample; save under another name`, 403);
        const dir = join(options.userSamplesDir, 'oneshot');
        const path = inside(dir, `${id}.yml`);
        if (body.overwrite !== true && (await stat(path).catch(() => undefined)))
          return refuse(`A sample named '${id}' exists; send overwrite: true to replace it`, 409);
        await mkdir(dir, { recursive: true });
        // The document keeps its own name and description, as StreamKit's editor reads them.
        const header = `name: ${JSON.stringify(body.name)}\ndescription: ${JSON.stringify(typeof body.description === 'string' ? body.description : '')}\n`;
        const doc = (parse(body.yaml) as Record<string, unknown> | null) ?? {};
        await writeFile(path, 'name' in doc ? body.yaml : header + body.yaml);
        const saved = (await user()).find((s) => s.id === `user/${id}`);
        return c.json(saved, 200);
      },
    )
    .delete('/samples/oneshot/:id', async (c) => {
      const id = c.req.param('id');
      const stem = sampleFile(id);
      if (!stem) return refuse(`Sample '${clip(id)}' not found`, 404);
      if (!id.startsWith('user/') && (await system('oneshot')).some((s) => s.id === `oneshot/${stem}`))
        return refuse('System samples cannot be deleted', 403);
      const path = inside(join(options.userSamplesDir, 'oneshot'), `${stem}.yml`);
      if (!(await stat(path).catch(() => undefined))) return refuse(`Sample '${clip(id)}' not found`, 404);
      await rm(path);
      return c.body(null, 204);
    })
    .get('/assets/audio', async (c) =>
      c.json([...(await readAudio(options.filesRoot, 'system')), ...(await readAudio(options.filesRoot, 'user'))]),
    )
    .post(
      '/assets/audio',
      bodyLimit({
        maxSize: MAX_AUDIO_BYTES + 64 * 1024,
        onError: () => refuse('Audio files are limited to 100 MB', 413),
      }),
      async (c) => {
        const form = await c.req.formData().catch(() => undefined);
        // StreamKit takes the first field, whatever its name; it must be a file.
        const first = form ? [...form.values()][0] : undefined;
        if (!(first instanceof File) || !first.name)
          return refuse('Send the audio file as the first multipart field', 400);
        const format = extname(first.name).slice(1).toLowerCase();
        if (!AUDIO_EXTENSIONS.includes(format))
          return refuse(`Audio files must be ${AUDIO_EXTENSIONS.join(', ')}; '${clip(first.name)}' is not`, 400);
        const name = basename(first.name);
        if (!AUDIO_NAME.test(name)) return refuse(`File name '${clip(name)}' is not allowed`, 400);
        await mkdir(userAudio, { recursive: true });
        const path = inside(userAudio, name);
        if (await stat(path).catch(() => undefined)) return refuse(`An asset named '${name}' exists`, 409);
        await writeFile(path, new Uint8Array(await first.arrayBuffer()));
        const asset = (await readAudio(options.filesRoot, 'user')).find((a) => a.id === name);
        return c.json(asset, 200);
      },
    )
    .delete('/assets/audio/:id', async (c) => {
      const id = c.req.param('id');
      if (id.startsWith('system')) return refuse('System assets cannot be deleted', 403);
      if (!AUDIO_NAME.test(id)) return refuse(`Asset '${clip(id)}' not found`, 404);
      const path = inside(userAudio, id);
      if (!(await stat(path).catch(() => undefined))) return refuse(`Asset '${clip(id)}' not found`, 404);
      await rm(path);
      return c.body(null, 204);
    });
}
