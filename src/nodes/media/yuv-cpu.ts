/**
 * Pixel conversion on the CPU, for machines whose WebGL is a software renderer (SwiftShader),
 * where shaders are far slower than a plain loop: 8-bit RGB(A) → limited-range YUV 4:2:0 (I420 or
 * NV12) with the BT.709 or BT.601 matrix, two rows at a time in 16.16 fixed point, each chroma
 * sample the mean of its 2×2 block; and I420 ↔ NV12 chroma moves. Pure functions over byte
 * arrays (no DOM), so they are tested in Node as well.
 */

/** Where R, G and B sit in each 4-byte pixel. */
export type RgbLayout = 'RGBA' | 'BGRA';
/** YUV matrices. */
export type YuvMatrix = 'bt709' | 'bt601';

const SHIFT = 16;
const HALF = 1 << (SHIFT - 1);

/** Fixed-point coefficients (×2^16) for luma (0–219 excursion) and chroma (±112). */
export function fixed(matrix: YuvMatrix) {
  const [kr, kb] = matrix === 'bt709' ? [0.2126, 0.0722] : [0.299, 0.114];
  const kg = 1 - kr - kb;
  const s = (v: number) => Math.round(v * (1 << SHIFT));
  const ys = 219 / 255;
  const cs = 224 / 255;
  return {
    yr: s(kr * ys),
    yg: s(kg * ys),
    yb: s(kb * ys),
    ur: s((-kr / (2 * (1 - kb))) * cs),
    ug: s((-kg / (2 * (1 - kb))) * cs),
    ub: s(0.5 * cs),
    vr: s(0.5 * cs),
    vg: s((-kg / (2 * (1 - kr))) * cs),
    vb: s((-kb / (2 * (1 - kr))) * cs),
  };
}

/**
 * Writes the YUV 4:2:0 bytes of an RGB(A) image (`stride` bytes per row) into `out` (luma, then
 * U and V planes for I420, or interleaved UV for NV12). Odd widths and heights repeat the last
 * column or row into the chroma average.
 */
export function rgbToYuv420(
  src: Uint8Array,
  layout: RgbLayout,
  width: number,
  height: number,
  stride: number,
  matrix: YuvMatrix,
  format: 'I420' | 'NV12',
  out: Uint8Array,
): void {
  const k = fixed(matrix);
  const [ri, bi] = layout === 'RGBA' ? [0, 2] : [2, 0];
  const cw = Math.ceil(width / 2);
  const ch = Math.ceil(height / 2);
  const lumaSize = width * height;
  const uBase = lumaSize;
  const vBase = lumaSize + cw * ch;
  const { yr, yg, yb, ur, ug, ub, vr, vg, vb } = k;
  // Chroma: coefficients × the sum of four pixels, so shift by two more bits.
  const cshift = SHIFT + 2;
  const cround = (128 << cshift) + (1 << (cshift - 1));
  for (let cy = 0; cy < ch; cy++) {
    const y0 = 2 * cy;
    const y1 = Math.min(y0 + 1, height - 1);
    const r0 = y0 * stride;
    const r1 = y1 * stride;
    const o0 = y0 * width;
    const o1 = y1 * width;
    const writeSecond = y1 !== y0;
    const cRow = cy * cw;
    for (let cx = 0; cx < cw; cx++) {
      const x0 = 2 * cx;
      const x1 = Math.min(x0 + 1, width - 1);
      const a = r0 + 4 * x0;
      const b = r0 + 4 * x1;
      const c = r1 + 4 * x0;
      const d = r1 + 4 * x1;
      const R0 = src[a + ri] as number;
      const G0 = src[a + 1] as number;
      const B0 = src[a + bi] as number;
      const R1 = src[b + ri] as number;
      const G1 = src[b + 1] as number;
      const B1 = src[b + bi] as number;
      const R2 = src[c + ri] as number;
      const G2 = src[c + 1] as number;
      const B2 = src[c + bi] as number;
      const R3 = src[d + ri] as number;
      const G3 = src[d + 1] as number;
      const B3 = src[d + bi] as number;
      out[o0 + x0] = ((yr * R0 + yg * G0 + yb * B0 + HALF) >> SHIFT) + 16;
      if (x1 !== x0) out[o0 + x1] = ((yr * R1 + yg * G1 + yb * B1 + HALF) >> SHIFT) + 16;
      if (writeSecond) {
        out[o1 + x0] = ((yr * R2 + yg * G2 + yb * B2 + HALF) >> SHIFT) + 16;
        if (x1 !== x0) out[o1 + x1] = ((yr * R3 + yg * G3 + yb * B3 + HALF) >> SHIFT) + 16;
      }
      const R = R0 + R1 + R2 + R3;
      const G = G0 + G1 + G2 + G3;
      const B = B0 + B1 + B2 + B3;
      const u = (ur * R + ug * G + ub * B + cround) >> cshift;
      const v = (vr * R + vg * G + vb * B + cround) >> cshift;
      if (format === 'I420') {
        out[uBase + cRow + cx] = u;
        out[vBase + cRow + cx] = v;
      } else {
        out[uBase + 2 * (cRow + cx)] = u;
        out[uBase + 2 * (cRow + cx) + 1] = v;
      }
    }
  }
}

/**
 * Re-lays YUV 4:2:0 chroma between I420 (two planes) and NV12 (interleaved); luma is copied.
 * `src` and `out` are tightly packed frames of the same size.
 */
export function relayout420(
  src: Uint8Array,
  from: 'I420' | 'NV12',
  to: 'I420' | 'NV12',
  width: number,
  height: number,
  out: Uint8Array,
): void {
  const luma = width * height;
  const chroma = Math.ceil(width / 2) * Math.ceil(height / 2);
  out.set(src.subarray(0, luma));
  if (from === to) {
    out.set(src.subarray(luma, luma + 2 * chroma), luma);
    return;
  }
  if (from === 'I420') {
    for (let i = 0; i < chroma; i++) {
      out[luma + 2 * i] = src[luma + i] as number;
      out[luma + 2 * i + 1] = src[luma + chroma + i] as number;
    }
  } else {
    for (let i = 0; i < chroma; i++) {
      out[luma + i] = src[luma + 2 * i] as number;
      out[luma + chroma + i] = src[luma + 2 * i + 1] as number;
    }
  }
}
