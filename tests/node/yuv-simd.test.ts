/**
 * The WebAssembly SIMD pixel kernels give the scalar converter's bytes exactly, at every size and
 * layout, and the checked-in module is the build of its AssemblyScript source.
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { compileYuv, moduleText, TARGET } from '../../scripts/build-wasm';
import { rgbToYuv420 } from '../../src/nodes/media/yuv-cpu';
import { SimdYuv } from '../../src/nodes/media/yuv-simd';

/** A reproducible pseudo-random image. */
function noise(bytes: number, seed: number): Uint8Array {
  const out = new Uint8Array(bytes);
  let s = seed;
  for (let i = 0; i < bytes; i++) {
    s = (s * 1_103_515_245 + 12_345) >>> 0;
    out[i] = s >>> 24;
  }
  return out;
}

describe('SIMD RGB → YUV 4:2:0', () => {
  it('matches the scalar converter byte for byte', async () => {
    const simd = await SimdYuv.open();
    if (!simd) throw new Error('this Node has no WebAssembly SIMD');
    for (const [w, h] of [
      [64, 32],
      [1920, 8],
      [37, 19],
      [7, 3],
      [1, 1],
      [16, 2],
    ] as const) {
      for (const stride of [w * 4, w * 4 + 12]) {
        const image = noise(stride * h, w * 31 + h);
        for (const layout of ['RGBA', 'BGRA'] as const) {
          for (const matrix of ['bt709', 'bt601'] as const) {
            for (const format of ['I420', 'NV12'] as const) {
              const expected = new Uint8Array(w * h + 2 * Math.ceil(w / 2) * Math.ceil(h / 2));
              rgbToYuv420(image, layout, w, h, stride, matrix, format, expected);
              simd.source(image.byteLength, expected.byteLength).set(image);
              const actual = simd.convert(layout, w, h, stride, matrix, format);
              expect(Buffer.compare(actual, expected), `${w}x${h} stride ${stride} ${layout} ${matrix} ${format}`).toBe(
                0,
              );
            }
          }
        }
      }
    }
  });

  it('is checked in as built from its source (npm run build:wasm)', async () => {
    expect(await readFile(TARGET, 'utf8')).toBe(moduleText(await compileYuv()));
  });
});
