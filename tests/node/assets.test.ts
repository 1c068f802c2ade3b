/**
 * The asset service's file side: names follow the asset rule, and nothing outside the asset root
 * is served (no `..`, no encoded traversal, no symlink pointing out).
 */
import { mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ASSETS_URL_PATH, BUNDLED_FONT_ASSETS, isAssetPath } from '../../src/engine';
import { assetFiles } from '../../src/headless/asset-files';

let root: string;

beforeAll(async () => {
  const base = await mkdtemp(join(tmpdir(), 'weft-assets-'));
  root = join(base, 'assets');
  await mkdir(join(root, 'fonts'), { recursive: true });
  await writeFile(join(root, 'fonts', 'Test.ttf'), 'font bytes');
  await writeFile(join(base, 'secret.txt'), 'not an asset');
  await symlink(join(base, 'secret.txt'), join(root, 'escape.txt'));
});

describe('assets', () => {
  it('names follow the asset rule', () => {
    expect(isAssetPath('fonts/Inter-Regular.ttf')).toBe(true);
    expect(isAssetPath('models/whisper/tiny.onnx')).toBe(true);
    for (const bad of [
      '',
      '/etc/passwd',
      '../x',
      'a/../b',
      'a//b',
      './a',
      'a/.',
      'a\\b',
      'a b',
      `${'x'.repeat(600)}`,
    ]) {
      expect(isAssetPath(bad), bad).toBe(false);
    }
  });

  it('are served from the root, never from outside it', async () => {
    const app = assetFiles(root);
    const get = (path: string) => app.request(`http://localhost${ASSETS_URL_PATH}${path}`);
    const ok = await get('fonts/Test.ttf');
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toBe('font/ttf');
    expect(ok.headers.get('content-security-policy')).toContain('sandbox');
    expect(await ok.text()).toBe('font bytes');
    for (const path of [
      '../secret.txt',
      '%2e%2e/secret.txt',
      'fonts/..%2f..%2fsecret.txt',
      '..%2Fsecret.txt',
      '%252e%252e%252fsecret.txt',
      'escape.txt',
      'missing.ttf',
    ]) {
      expect((await get(path)).status, path).toBe(404);
    }
  });

  it('include the bundled font, after the user folder, and nothing for prototype names', async () => {
    await mkdir(join(root, 'weft', 'fonts'), { recursive: true });
    const app = assetFiles(root);
    const bundled = await app.request(`http://localhost${ASSETS_URL_PATH}${BUNDLED_FONT_ASSETS.bold}`);
    expect(bundled.status).toBe(200);
    expect(bundled.headers.get('content-type')).toBe('font/woff2');
    expect(new TextDecoder().decode((await bundled.arrayBuffer()).slice(0, 4))).toBe('wOF2');
    // A file of the same name in the user's folder wins.
    await writeFile(join(root, BUNDLED_FONT_ASSETS.regular), 'my own font');
    expect(await (await app.request(`http://localhost${ASSETS_URL_PATH}${BUNDLED_FONT_ASSETS.regular}`)).text()).toBe(
      'my own font',
    );
    // Without a folder, only the bundled names.
    const bare = assetFiles(undefined);
    expect((await bare.request(`http://localhost${ASSETS_URL_PATH}${BUNDLED_FONT_ASSETS.regular}`)).status).toBe(200);
    for (const name of ['__proto__', 'constructor', 'fonts/Test.ttf']) {
      expect((await bare.request(`http://localhost${ASSETS_URL_PATH}${name}`)).status, name).toBe(404);
    }
  });
});

describe('models folder (--models DIR)', () => {
  it('serves models/<name> from the models folder before the asset root, and nothing outside it', async () => {
    const base = await mkdtemp(join(tmpdir(), 'weft-models-'));
    const models = join(base, 'models');
    await mkdir(join(models, 'whisper-tiny', 'onnx'), { recursive: true });
    await writeFile(join(models, 'whisper-tiny', 'onnx', 'encoder_model.onnx'), 'model bytes');
    await writeFile(join(base, 'outside.txt'), 'not a model');
    await symlink(join(base, 'outside.txt'), join(models, 'escape.onnx'));
    const app = assetFiles(root, models);
    const hit = await app.request(`${ASSETS_URL_PATH}models/whisper-tiny/onnx/encoder_model.onnx`);
    expect(hit.status).toBe(200);
    expect(await hit.text()).toBe('model bytes');
    expect((await app.request(`${ASSETS_URL_PATH}models/escape.onnx`)).status).toBe(404);
    expect((await app.request(`${ASSETS_URL_PATH}models/..%2Foutside.txt`)).status).toBe(404);
    expect((await app.request(`${ASSETS_URL_PATH}models/missing.onnx`)).status).toBe(404);
    // Other assets still come from the asset root.
    expect((await app.request(`${ASSETS_URL_PATH}fonts/Test.ttf`)).status).toBe(200);
  });

  it('models.json maps the names pipelines ask for onto folders there, and a broken map is named', async () => {
    const models = await mkdtemp(join(tmpdir(), 'weft-models-map-'));
    await mkdir(join(models, 'whisper-tiny.en', 'onnx'), { recursive: true });
    await writeFile(join(models, 'whisper-tiny.en', 'config.json'), '{"tiny":true}');
    await writeFile(join(models, 'models.json'), JSON.stringify({ aliases: { 'whisper-base.en': 'whisper-tiny.en' } }));
    const app = assetFiles(undefined, models);
    const mapped = await app.request(`${ASSETS_URL_PATH}models/whisper-base.en/config.json`);
    expect(mapped.status).toBe(200);
    expect(await mapped.text()).toBe('{"tiny":true}');
    expect((await app.request(`${ASSETS_URL_PATH}models/whisper-tiny.en/config.json`)).status).toBe(200);
    expect((await app.request(`${ASSETS_URL_PATH}models/whisper-small/config.json`)).status).toBe(404);
    // A map cannot lead out of the folder.
    await writeFile(join(models, 'models.json'), JSON.stringify({ aliases: { x: '..' } }));
    const escape = await app.request(`${ASSETS_URL_PATH}models/x/config.json`);
    expect(escape.status).toBe(500);
    expect(await escape.text()).toMatch(/^models\.json in the models folder: aliases\.x a folder name/);
    await writeFile(join(models, 'models.json'), '{ not json');
    expect(await (await app.request(`${ASSETS_URL_PATH}models/x/config.json`)).text()).toMatch(
      /^models\.json in the models folder is not JSON/,
    );
  });
});
