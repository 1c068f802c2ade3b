// AssemblyScript, compiled to WebAssembly with SIMD by scripts/build-wasm.js into
// ../yuv-simd-wasm.ts. RGB(A) → limited-range YUV 4:2:0, the same arithmetic as rgbToYuv420 in
// ../yuv-cpu.ts (16.16 fixed point, chroma the mean of each 2×2 block, the last column or row
// repeated at odd sizes), eight pixels of two rows per step. Channel 0, 1 and 2 are the first
// three bytes of each pixel; the caller orders the coefficients to match (RGBA or BGRA).

/** Where callers may place their buffers: after this module's own data. */
export function heapBase(): usize {
  return __heap_base;
}

@inline
function luma8(ptr: usize, c0: v128, c1: v128, c2: v128, k0: v128, k1: v128, k2: v128, round: v128): void {
  const lo = i32x4.shr_s(
    i32x4.add(
      i32x4.add(i32x4.mul(i32x4.extend_low_i16x8_u(c0), k0), i32x4.mul(i32x4.extend_low_i16x8_u(c1), k1)),
      i32x4.add(i32x4.mul(i32x4.extend_low_i16x8_u(c2), k2), round),
    ),
    16,
  );
  const hi = i32x4.shr_s(
    i32x4.add(
      i32x4.add(i32x4.mul(i32x4.extend_high_i16x8_u(c0), k0), i32x4.mul(i32x4.extend_high_i16x8_u(c1), k1)),
      i32x4.add(i32x4.mul(i32x4.extend_high_i16x8_u(c2), k2), round),
    ),
    16,
  );
  const y16 = i16x8.narrow_i32x4_u(lo, hi);
  store<u64>(ptr, i64x2.extract_lane(i8x16.narrow_i16x8_u(y16, y16), 0));
}

@inline
function chroma4(s0: v128, s1: v128, s2: v128, k0: v128, k1: v128, k2: v128, round: v128): v128 {
  return i32x4.shr_s(
    i32x4.add(i32x4.add(i32x4.mul(s0, k0), i32x4.mul(s1, k1)), i32x4.add(i32x4.mul(s2, k2), round)),
    18,
  );
}

@inline
function scalarLuma(p: usize, y0: i32, y1: i32, y2: i32): u8 {
  return <u8>(((y0 * <i32>load<u8>(p) + y1 * <i32>load<u8>(p, 1) + y2 * <i32>load<u8>(p, 2) + 32768) >> 16) + 16);
}

export function rgbToYuv420(
  src: usize,
  width: i32,
  height: i32,
  stride: i32,
  out: usize,
  nv12: bool,
  y0: i32,
  y1: i32,
  y2: i32,
  u0: i32,
  u1: i32,
  u2: i32,
  v0: i32,
  v1: i32,
  v2: i32,
): void {
  const cw = (width + 1) >> 1;
  const ch = (height + 1) >> 1;
  const uBase = out + <usize>(width * height);
  const vBase = uBase + <usize>(cw * ch);
  const ky0 = i32x4.splat(y0);
  const ky1 = i32x4.splat(y1);
  const ky2 = i32x4.splat(y2);
  const ku0 = i32x4.splat(u0);
  const ku1 = i32x4.splat(u1);
  const ku2 = i32x4.splat(u2);
  const kv0 = i32x4.splat(v0);
  const kv1 = i32x4.splat(v1);
  const kv2 = i32x4.splat(v2);
  const yRound = i32x4.splat(32768 + (16 << 16));
  const cRoundScalar = (128 << 18) + (1 << 17);
  const cRound = i32x4.splat(cRoundScalar);
  const simdWidth = width & ~7;
  for (let cy = 0; cy < ch; cy++) {
    const ya = cy * 2;
    const yb = min(ya + 1, height - 1);
    const rowA = src + <usize>(ya * stride);
    const rowB = src + <usize>(yb * stride);
    const outA = out + <usize>(ya * width);
    const outB = out + <usize>(yb * width);
    const cRow = cy * cw;
    let x = 0;
    for (; x < simdWidth; x += 8) {
      const a0 = v128.load(rowA + <usize>(x * 4));
      const a1 = v128.load(rowA + <usize>(x * 4), 16);
      const b0 = v128.load(rowB + <usize>(x * 4));
      const b1 = v128.load(rowB + <usize>(x * 4), 16);
      const a0c = i16x8.extend_low_i8x16_u(i8x16.shuffle(a0, a1, 0, 4, 8, 12, 16, 20, 24, 28, 0, 0, 0, 0, 0, 0, 0, 0));
      const a1c = i16x8.extend_low_i8x16_u(i8x16.shuffle(a0, a1, 1, 5, 9, 13, 17, 21, 25, 29, 0, 0, 0, 0, 0, 0, 0, 0));
      const a2c = i16x8.extend_low_i8x16_u(i8x16.shuffle(a0, a1, 2, 6, 10, 14, 18, 22, 26, 30, 0, 0, 0, 0, 0, 0, 0, 0));
      const b0c = i16x8.extend_low_i8x16_u(i8x16.shuffle(b0, b1, 0, 4, 8, 12, 16, 20, 24, 28, 0, 0, 0, 0, 0, 0, 0, 0));
      const b1c = i16x8.extend_low_i8x16_u(i8x16.shuffle(b0, b1, 1, 5, 9, 13, 17, 21, 25, 29, 0, 0, 0, 0, 0, 0, 0, 0));
      const b2c = i16x8.extend_low_i8x16_u(i8x16.shuffle(b0, b1, 2, 6, 10, 14, 18, 22, 26, 30, 0, 0, 0, 0, 0, 0, 0, 0));
      luma8(outA + <usize>x, a0c, a1c, a2c, ky0, ky1, ky2, yRound);
      luma8(outB + <usize>x, b0c, b1c, b2c, ky0, ky1, ky2, yRound);
      const s0 = i32x4.extadd_pairwise_i16x8_u(i16x8.add(a0c, b0c));
      const s1 = i32x4.extadd_pairwise_i16x8_u(i16x8.add(a1c, b1c));
      const s2 = i32x4.extadd_pairwise_i16x8_u(i16x8.add(a2c, b2c));
      const u = chroma4(s0, s1, s2, ku0, ku1, ku2, cRound);
      const v = chroma4(s0, s1, s2, kv0, kv1, kv2, cRound);
      const uv16 = i16x8.narrow_i32x4_u(u, v);
      const uv8 = i8x16.narrow_i16x8_u(uv16, uv16); // u0 u1 u2 u3 v0 v1 v2 v3 …
      const c = cRow + (x >> 1);
      if (nv12) {
        const inter = i8x16.shuffle(uv8, uv8, 0, 4, 1, 5, 2, 6, 3, 7, 0, 0, 0, 0, 0, 0, 0, 0);
        store<u64>(uBase + <usize>(c * 2), i64x2.extract_lane(inter, 0));
      } else {
        store<u32>(uBase + <usize>c, i32x4.extract_lane(uv8, 0));
        store<u32>(vBase + <usize>c, i32x4.extract_lane(uv8, 1));
      }
    }
    // The columns left over (and an odd last one), one 2×2 block at a time.
    for (; x < width; x += 2) {
      const x1 = min(x + 1, width - 1);
      const pa = rowA + <usize>(x * 4);
      const pb = rowA + <usize>(x1 * 4);
      const pc = rowB + <usize>(x * 4);
      const pd = rowB + <usize>(x1 * 4);
      store<u8>(outA + <usize>x, scalarLuma(pa, y0, y1, y2));
      store<u8>(outA + <usize>x1, scalarLuma(pb, y0, y1, y2));
      store<u8>(outB + <usize>x, scalarLuma(pc, y0, y1, y2));
      store<u8>(outB + <usize>x1, scalarLuma(pd, y0, y1, y2));
      const s0 = <i32>load<u8>(pa) + <i32>load<u8>(pb) + <i32>load<u8>(pc) + <i32>load<u8>(pd);
      const s1 = <i32>load<u8>(pa, 1) + <i32>load<u8>(pb, 1) + <i32>load<u8>(pc, 1) + <i32>load<u8>(pd, 1);
      const s2 = <i32>load<u8>(pa, 2) + <i32>load<u8>(pb, 2) + <i32>load<u8>(pc, 2) + <i32>load<u8>(pd, 2);
      const u = <u8>((u0 * s0 + u1 * s1 + u2 * s2 + cRoundScalar) >> 18);
      const v = <u8>((v0 * s0 + v1 * s1 + v2 * s2 + cRoundScalar) >> 18);
      const c = cRow + (x >> 1);
      if (nv12) {
        store<u8>(uBase + <usize>(c * 2), u);
        store<u8>(uBase + <usize>(c * 2 + 1), v);
      } else {
        store<u8>(uBase + <usize>c, u);
        store<u8>(vBase + <usize>c, v);
      }
    }
  }
}
