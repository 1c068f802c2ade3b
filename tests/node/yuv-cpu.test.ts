/** The CPU pixel converter against the BT.709 / BT.601 formulas, odd sizes and layouts included. */
import { describe, expect, it } from 'vitest';
import { relayout420, rgbToYuv420 } from '../../src/nodes/media/yuv-cpu';

/** Limited-range Y, U, V of an 8-bit RGB colour. */
function reference([r, g, b]: number[], matrix: 'bt709' | 'bt601'): number[] {
  const [kr, kb] = matrix === 'bt709' ? [0.2126, 0.0722] : [0.299, 0.114];
  const [R, G, B] = [(r ?? 0) / 255, (g ?? 0) / 255, (b ?? 0) / 255];
  const y = kr * R + (1 - kr - kb) * G + kb * B;
  return [16 + 219 * y, 128 + (224 * (B - y)) / (2 * (1 - kb)), 128 + (224 * (R - y)) / (2 * (1 - kr))];
}

function flat(width: number, height: number, rgb: number[], layout: 'RGBA' | 'BGRA'): Uint8Array {
  const px = layout === 'RGBA' ? [rgb[0], rgb[1], rgb[2], 255] : [rgb[2], rgb[1], rgb[0], 255];
  const out = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) out.set(px as number[], i * 4);
  return out;
}

describe('rgbToYuv420', () => {
  for (const matrix of ['bt709', 'bt601'] as const) {
    it(`matches ${matrix} within one code value, RGBA and BGRA, I420 and NV12, odd sizes`, () => {
      for (const [w, h] of [
        [16, 8],
        [33, 17],
        [1, 1],
      ] as const) {
        for (const colour of [
          [192, 192, 0],
          [0, 192, 192],
          [255, 255, 255],
          [0, 0, 0],
          [12, 200, 90],
        ]) {
          const [ey, eu, ev] = reference(colour, matrix);
          for (const layout of ['RGBA', 'BGRA'] as const) {
            for (const format of ['I420', 'NV12'] as const) {
              const out = new Uint8Array(w * h + 2 * Math.ceil(w / 2) * Math.ceil(h / 2));
              rgbToYuv420(flat(w, h, colour, layout), layout, w, h, w * 4, matrix, format, out);
              const luma = w * h;
              const chroma = Math.ceil(w / 2) * Math.ceil(h / 2);
              for (let i = 0; i < luma; i++) expect(Math.abs((out[i] ?? 0) - (ey ?? 0))).toBeLessThanOrEqual(1);
              const u = format === 'I420' ? out[luma] : out[luma];
              const v = format === 'I420' ? out[luma + chroma] : out[luma + 1];
              expect(Math.abs((u ?? 0) - (eu ?? 0)), `${colour.join()} ${layout} ${format} U`).toBeLessThanOrEqual(1);
              expect(Math.abs((v ?? 0) - (ev ?? 0)), `${colour.join()} ${layout} ${format} V`).toBeLessThanOrEqual(1);
            }
          }
        }
      }
    });
  }

  it('averages each 2×2 block into its chroma sample', () => {
    // Left column red, right column blue: the one chroma sample is their mean.
    const src = new Uint8Array([255, 0, 0, 255, 0, 0, 255, 255, 255, 0, 0, 255, 0, 0, 255, 255]);
    const out = new Uint8Array(6);
    rgbToYuv420(src, 'RGBA', 2, 2, 8, 'bt709', 'I420', out);
    const [, ru, rv] = reference([255, 0, 0], 'bt709');
    const [, bu, bv] = reference([0, 0, 255], 'bt709');
    expect(Math.abs((out[4] ?? 0) - ((ru ?? 0) + (bu ?? 0)) / 2)).toBeLessThanOrEqual(1);
    expect(Math.abs((out[5] ?? 0) - ((rv ?? 0) + (bv ?? 0)) / 2)).toBeLessThanOrEqual(1);
  });
});

describe('relayout420', () => {
  it('moves chroma between I420 and NV12 exactly', () => {
    const w = 5;
    const h = 3;
    const size = w * h + 2 * 3 * 2;
    const i420 = Uint8Array.from({ length: size }, (_, i) => i);
    const nv12 = new Uint8Array(size);
    relayout420(i420, 'I420', 'NV12', w, h, nv12);
    expect([...nv12.subarray(15, 19)]).toEqual([15, 21, 16, 22]);
    const back = new Uint8Array(size);
    relayout420(nv12, 'NV12', 'I420', w, h, back);
    expect(back).toEqual(i420);
  });
});
