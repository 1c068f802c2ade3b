/**
 * The studio's model store (Cache API) in a real browser: folders kept and listed with their
 * files, found by their name or an alias, a URL folder's files fetched once and kept, and clear
 * errors for what cannot be: a bad name, a file outside the folder, a file a folder lacks, a URL
 * that cannot be reached.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  MODEL_CACHE,
  linkModelUrl,
  listModels,
  openStoredModel,
  removeModel,
  setAliases,
  storeFolder,
} from '../../src/studio/model-store';
import type { ModelTransfer } from '../../src/studio/model-store';

const signal = new AbortController().signal;
afterEach(() => caches.delete(MODEL_CACHE));

describe('studio model store', () => {
  it('keeps a picked folder, lists it, and answers its files by name and alias', async () => {
    await storeFolder('whisper-tiny.en', [
      { path: 'config.json', blob: new Blob(['{"a":1}']) },
      { path: 'onnx/encoder_model.onnx', blob: new Blob([new Uint8Array(1000)]) },
    ]);
    await setAliases('whisper-tiny.en', ['whisper-base.en']);
    expect(await listModels()).toEqual([
      {
        folder: 'whisper-tiny.en',
        source: { type: 'folder' },
        aliases: ['whisper-base.en'],
        files: [
          { path: 'config.json', bytes: 7 },
          { path: 'onnx/encoder_model.onnx', bytes: 1000 },
        ],
      },
    ]);
    expect(await (await openStoredModel('models/whisper-tiny.en/config.json', signal))?.text()).toBe('{"a":1}');
    expect((await openStoredModel('models/whisper-base.en/onnx/encoder_model.onnx', signal))?.size).toBe(1000);
    // Not the studio's: the server's models may have it.
    expect(await openStoredModel('models/other/config.json', signal)).toBeUndefined();
    await expect(openStoredModel('models/whisper-tiny.en/tokenizer.json', signal)).rejects.toThrow(
      "the model folder 'whisper-tiny.en' has no file 'tokenizer.json'",
    );
    await removeModel('whisper-tiny.en');
    expect(await listModels()).toEqual([]);
    expect(await openStoredModel('models/whisper-tiny.en/config.json', signal)).toBeUndefined();
  });

  it('refuses bad folder names, paths that leave the folder and non-http URLs', async () => {
    await expect(storeFolder('../x', [])).rejects.toThrow("'../x' is not a folder name");
    await expect(storeFolder('m', [{ path: '../secret', blob: new Blob([]) }])).rejects.toThrow(
      "'../secret' is not a file name a model folder may hold",
    );
    await expect(linkModelUrl('m', 'file:///etc/passwd')).rejects.toThrow('the URL must be http(s)');
    await expect(setAliases('absent', ['x'])).rejects.toThrow("the studio keeps no model folder 'absent'");
  });

  it('downloads a URL folder’s file on first use, reports it, keeps it; a missing one names the URL', async () => {
    // This page's own origin serves the project's files: a folder of them stands in for a model host.
    const base = new URL('/tests/golden/', location.origin).href;
    await linkModelUrl('goldens', base);
    const transfers: ModelTransfer[] = [];
    const file = 'mirror-crop.png';
    const listing = await (await fetch(`/tests/golden/${file}`)).blob();
    const got = await openStoredModel(`models/goldens/${file}`, signal, (t) => transfers.push(t));
    expect(got?.size).toBe(listing.size);
    expect(transfers.at(0)).toMatchObject({ folder: 'goldens', file, loaded: 0, done: false });
    expect(transfers.at(-1)).toMatchObject({ folder: 'goldens', file, loaded: listing.size, done: true });
    expect((await listModels())[0]?.files).toEqual([{ path: file, bytes: listing.size }]);
    // Kept: a second read does not download.
    transfers.length = 0;
    expect((await openStoredModel(`models/goldens/${file}`, signal, (t) => transfers.push(t)))?.size).toBe(
      listing.size,
    );
    expect(transfers).toEqual([]);
    // A host that cannot be reached is named with the file asked for.
    await linkModelUrl('gone', 'http://127.0.0.1:9/models/');
    await expect(openStoredModel('models/gone/config.json', signal)).rejects.toThrow(
      "could not download 'http://127.0.0.1:9/models/config.json'",
    );
  });
});
