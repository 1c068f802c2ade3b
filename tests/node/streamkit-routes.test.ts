/**
 * StreamKit's routes in its shapes: permissions (the role and its 15 booleans in order), config,
 * plugins, samples (system and saved, save/overwrite/delete rules, 1 MB limit) and audio assets
 * (first multipart field, allowed formats, user-only delete, paths a file_reader can read).
 */
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { createApp } from '../../server/app';
import { createRegistry } from '../../src/nodes';

let app: ReturnType<typeof createApp>;
let root: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'weft-sk-'));
  await mkdir(join(root, 'samples', 'audio', 'system'), { recursive: true });
  await writeFile(join(root, 'samples', 'audio', 'system', 'THE LADY IS A TRAMP.opus'), 'opus');
  app = createApp({
    registry: createRegistry(),
    streamkit: { samplesDir: 'samples', userSamplesDir: join(root, 'data', 'samples'), filesRoot: root, relay: true },
  });
});

const json = (path: string, init?: RequestInit) => app.request(`/api/v1${path}`, init);

describe('StreamKit routes', () => {
  it('answers permissions, config and plugins in StreamKit’s shapes', async () => {
    const perms = (await (await json('/permissions')).json()) as { role: string; permissions: Record<string, boolean> };
    expect(perms.role).toBe('admin');
    expect(Object.keys(perms.permissions)).toEqual([
      'create_sessions',
      'destroy_sessions',
      'list_sessions',
      'modify_sessions',
      'tune_nodes',
      'load_plugins',
      'delete_plugins',
      'list_nodes',
      'list_samples',
      'read_samples',
      'write_samples',
      'delete_samples',
      'access_all_sessions',
      'upload_assets',
      'delete_assets',
    ]);
    expect(perms.permissions.load_plugins).toBe(false);
    expect(await (await json('/config')).json()).toEqual({ moq_gateway_url: 'http://localhost/moq' });
    expect(await (await json('/plugins')).json()).toEqual([]);
  });

  it('lists Weft’s samples as system samples, by mode, with their YAML', async () => {
    type Sample = { id: string; name: string; yaml: string; is_system: boolean; mode: string; is_fragment: boolean };
    const oneshot = (await (await json('/samples/oneshot')).json()) as Sample[];
    expect(oneshot.length).toBeGreaterThan(5);
    expect(
      oneshot.every((s) => s.mode === 'oneshot' && s.is_system && !s.is_fragment && s.yaml.includes('nodes')),
    ).toBe(true);
    const dynamic = (await (await json('/samples/dynamic')).json()) as Sample[];
    expect(dynamic.map((s) => s.id)).toContain('dynamic/moq-transform');
    expect(oneshot.every((s) => s.id.startsWith('oneshot/'))).toBe(true);
    const one = (await (await json(`/samples/oneshot/${encodeURIComponent(oneshot[0]?.id ?? '')}`)).json()) as Sample;
    expect(one.yaml).toBe(oneshot[0]?.yaml);
    // StreamKit's older bare ids still find it.
    const bare = (await (await json(`/samples/oneshot/${oneshot[0]?.id.split('/')[1] ?? ''}`)).json()) as Sample;
    expect(bare.id).toBe(oneshot[0]?.id);
    expect((await json('/samples/oneshot/nope')).status).toBe(404);
  });

  it('saves, refuses to clobber, overwrites and deletes a user sample', async () => {
    const yaml =
      'mode: oneshot\nnodes:\n  in: { kind: streamkit::http_input }\n  out: { kind: streamkit::http_output, needs: in }\n';
    const save = (body: object) =>
      json('/samples/oneshot', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const saved = await save({ name: 'My Copy', description: 'copies', yaml });
    expect(saved.status).toBe(200);
    expect(await saved.json()).toMatchObject({
      id: 'user/my-copy',
      name: 'My Copy',
      description: 'copies',
      is_system: false,
    });
    expect((await save({ name: 'My Copy', description: '', yaml })).status).toBe(409);
    expect((await save({ name: 'My Copy', description: 'v2', yaml, overwrite: true })).status).toBe(200);
    expect(await readFile(join(root, 'data', 'samples', 'oneshot', 'my-copy.yml'), 'utf8')).toContain('v2');
    const listed = (await (await json('/samples/oneshot')).json()) as { id: string }[];
    expect(listed.map((s) => s.id)).toContain('user/my-copy');
    expect((await save({ name: 'bad', description: '', yaml: 'nodes: [' })).status).toBe(400);
    expect(await (await save({ name: 'volume-boost', description: '', yaml })).text()).toMatch(/system sample/);
    const big = await save({ name: 'big', description: '', yaml: `${yaml}# ${'x'.repeat(1024 * 1024)}` });
    expect(big.status).toBe(413);
    expect((await json('/samples/oneshot/volume-boost', { method: 'DELETE' })).status).toBe(403);
    expect((await json('/samples/oneshot/user%2Fmy-copy', { method: 'DELETE' })).status).toBe(204);
    expect((await json('/samples/oneshot/user%2Fmy-copy')).status).toBe(404);
  });

  it('never reaches outside its folders through an id, however encoded', async () => {
    await writeFile(join(root, 'secret.yml'), 'mode: oneshot\nnodes: {}\n');
    await writeFile(join(root, 'secret.opus'), 'x');
    const ids = [
      '..%2Fsecret',
      '..%2F..%2Fsecret',
      'user%2F..%2F..%2Fsecret',
      '%2E%2E%2Fsecret',
      '..%252Fsecret',
      'user%2F%2E%2E%2Fsecret',
    ];
    for (const id of ids) {
      expect((await json(`/samples/oneshot/${id}`)).status, id).toBe(404);
      expect((await json(`/samples/oneshot/${id}`, { method: 'DELETE' })).status, id).toBe(404);
      expect((await json(`/assets/audio/${id}.opus`, { method: 'DELETE' })).status, id).toBe(404);
    }
    expect(await readFile(join(root, 'secret.yml'), 'utf8')).toContain('oneshot');
    expect(await readFile(join(root, 'secret.opus'), 'utf8')).toBe('x');
  });

  it('lists, uploads and deletes audio assets under samples/audio, by a path file_reader reads', async () => {
    const upload = (name: string) => {
      const form = new FormData();
      form.append('whatever', new Blob([new Uint8Array([1, 2, 3])]), name);
      return json('/assets/audio', { method: 'POST', body: form });
    };
    const up = await upload('voice.ogg');
    expect(up.status).toBe(200);
    expect(await up.json()).toEqual({
      id: 'voice.ogg',
      name: 'voice',
      path: 'samples/audio/user/voice.ogg',
      format: 'ogg',
      size_bytes: 3,
      is_system: false,
    });
    expect(await readFile(join(root, 'samples', 'audio', 'user', 'voice.ogg'))).toEqual(Buffer.from([1, 2, 3]));
    expect((await upload('voice.ogg')).status).toBe(409);
    expect(await (await upload('notes.txt')).text()).toMatch(/must be opus, ogg, flac, mp3, wav/);
    expect((await upload('../escape.ogg')).status).toBe(200); // the name is cut to its base name
    const list = (await (await json('/assets/audio')).json()) as { path: string; is_system: boolean }[];
    expect(list).toContainEqual(
      expect.objectContaining({ path: 'samples/audio/system/THE LADY IS A TRAMP.opus', is_system: true }),
    );
    expect(list.map((a) => a.path)).toContain('samples/audio/user/escape.ogg');
    expect((await json('/assets/audio/voice.ogg', { method: 'DELETE' })).status).toBe(204);
    expect((await json('/assets/audio/voice.ogg', { method: 'DELETE' })).status).toBe(404);
  });
});
