/**
 * The headless page's job output path: writes from the engine reach the driver's sink through the
 * loopback bridge in chunks it accepts, also when one write is larger than a chunk (a muxer
 * writing a whole box), and positioned writes land where they belong.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bridge } from '../../src/headless/bridge';
import { startBridge } from '../../src/headless/bridge';
import { openBridgeOutput } from '../../src/headless/bridge-sink';
import { OUTPUT_CHUNK_BYTES } from '../../src/headless/protocol';

let bridge: Bridge;
beforeAll(async () => {
  bridge = await startBridge(await mkdtemp(join(tmpdir(), 'weft-bridge-')));
});
afterAll(() => bridge.close());

describe('bridge output sink', () => {
  it('splits a write larger than a chunk, and keeps positioned writes in place', async () => {
    let file = new Uint8Array(0);
    let closed = false;
    const base = bridge.register('s3cret', {
      inputs: new Map(),
      openOutput: () =>
        Promise.resolve({
          write: (data: Uint8Array, position: number) => {
            if (data.byteLength > OUTPUT_CHUNK_BYTES) throw new Error('a chunk over the limit reached the sink');
            const end = Math.max(file.byteLength, position + data.byteLength);
            const grown = new Uint8Array(end);
            grown.set(file);
            grown.set(data, position);
            file = grown;
            return Promise.resolve();
          },
          close: () => {
            closed = true;
            return Promise.resolve();
          },
          abort: () => Promise.resolve(),
        }),
    });
    const sink = await openBridgeOutput(`${bridge.origin}${base}`, 'out', 'video/mp4');
    const big = new Uint8Array(2.5 * OUTPUT_CHUNK_BYTES);
    for (let i = 0; i < big.length; i++) big[i] = i % 251;
    await sink.write(new Uint8Array(8)); // a header to patch later
    await sink.write(big);
    await sink.write(Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]), 0);
    await sink.close();
    await bridge.unregister('s3cret');
    expect(closed).toBe(true);
    expect(file.byteLength).toBe(8 + big.byteLength);
    expect([...file.subarray(0, 8)]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(Buffer.compare(file.subarray(8), big)).toBe(0);
  });
});
