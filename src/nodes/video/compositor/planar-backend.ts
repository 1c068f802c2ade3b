/**
 * The compositor's planar CPU backend: composites in YUV 4:2:0, the layout decoders give and
 * encoders take, so no frame is converted to RGB and back. Each input's planes are copied out
 * once per new frame; layers are resampled bilinearly (fixed point) per plane, with opacity,
 * mirroring, crop, circle masks and rotation; text and image overlays are drawn once with
 * Canvas2D, converted to premultiplied YUVA, and blended per frame over their bounding box.
 *
 * It takes I420 and NV12 inputs of one colour matrix; scenes with other inputs (RGBA) use the
 * Canvas2D backend. Both draw the same plan and are held to the same golden images.
 */
import type { CanvasRect, Draw, LayerDraw } from './layout';
import type { SceneSources } from './canvas-backend';
import { drawText } from './canvas-backend';
import { planeLayout420 } from '../../media/pixel-formats';
import type { LoadedFont } from './overlays';

/** The YUV matrices this backend composites in (the output carries the inputs' own). */
type Matrix = 'bt709' | 'bt601';

/** One plane of a source: bytes, row stride, and the distance between samples (2 for NV12 chroma). */
interface Plane {
  data: Uint8Array;
  offset: number;
  stride: number;
  step: number;
  width: number;
  height: number;
}

/** A source frame's planes, copied out of the frame. */
interface SourcePlanes {
  frame: VideoFrame;
  bytes: Uint8Array<ArrayBuffer>;
  planes: [Plane, Plane, Plane];
}

/** An overlay drawn once and converted to premultiplied YUVA, per plane resolution. */
interface OverlayRaster {
  key: string;
  /** Canvas position of the raster's top-left pixel (even, so chroma lines up). */
  x: number;
  y: number;
  width: number;
  height: number;
  /** Luma resolution: premultiplied Y and alpha (0–255). */
  y8: Uint8Array;
  a8: Uint8Array;
  /** Chroma resolution: premultiplied U, V and alpha. */
  u8: Uint8Array;
  v8: Uint8Array;
  ca8: Uint8Array;
}

/** Fixed-point fraction bits of the resampler's weights. */
const FRACTION_BITS = 8;
const ONE = 1 << FRACTION_BITS;

/** Luma and chroma coefficients (limited range, 8 bit) for RGB 0–255. */
function coefficients(matrix: Matrix): { kr: number; kg: number; kb: number } {
  const [kr, kb] = matrix === 'bt709' ? [0.2126, 0.0722] : [0.299, 0.114];
  return { kr, kg: 1 - kr - kb, kb };
}

/** The matrix of a YUV frame, when it is one this backend composites in. */
export function planarMatrix(frame: VideoFrame): Matrix | undefined {
  if (frame.format !== 'I420' && frame.format !== 'NV12') return undefined;
  if (frame.colorSpace.fullRange === true) return undefined;
  const m = frame.colorSpace.matrix;
  // Untagged frames are taken as BT.709, as the browser draws them.
  if (m === 'bt709' || m === null) return 'bt709';
  if (m === 'smpte170m' || m === 'bt470bg') return 'bt601';
  return undefined;
}

/**
 * The matrix the plan can be composited in on this backend: every input drawn is I420 or NV12
 * in one limited-range matrix. Undefined: use the Canvas2D backend.
 */
export function planarMatrixFor(plan: readonly Draw[], frames: ReadonlyMap<string, VideoFrame>): Matrix | undefined {
  let matrix: Matrix | undefined;
  for (const d of plan) {
    if (d.type !== 'layer') continue;
    const frame = frames.get(d.pin);
    if (!frame) continue;
    const m = planarMatrix(frame);
    if (!m || (matrix && m !== matrix)) return undefined;
    matrix = m;
  }
  return matrix ?? 'bt709';
}

/** Copies a frame's planes out (visible rect, tightly packed). */
async function planesOf(frame: VideoFrame): Promise<SourcePlanes> {
  const width = frame.visibleRect?.width ?? frame.codedWidth;
  const height = frame.visibleRect?.height ?? frame.codedHeight;
  const cw = Math.ceil(width / 2);
  const ch = Math.ceil(height / 2);
  const luma = width * height;
  const bytes = new Uint8Array(luma + 2 * cw * ch);
  const nv12 = frame.format === 'NV12';
  await frame.copyTo(bytes, { layout: planeLayout420(nv12 ? 'NV12' : 'I420', width, height) });
  const y: Plane = { data: bytes, offset: 0, stride: width, step: 1, width, height };
  const u: Plane = nv12
    ? { data: bytes, offset: luma, stride: cw * 2, step: 2, width: cw, height: ch }
    : { data: bytes, offset: luma, stride: cw, step: 1, width: cw, height: ch };
  const v: Plane = nv12
    ? { data: bytes, offset: luma + 1, stride: cw * 2, step: 2, width: cw, height: ch }
    : { data: bytes, offset: luma + cw * ch, stride: cw, step: 1, width: cw, height: ch };
  return { frame, bytes, planes: [y, u, v] };
}

/** A destination plane of the output. */
interface Target {
  data: Uint8Array;
  offset: number;
  stride: number;
  width: number;
  height: number;
}

/**
 * Draws one layer into one plane. `sub` is the plane's subsampling (1 for luma, 2 for 4:2:0
 * chroma); `sourceScale` the source plane's size relative to its luma. Coverage follows Canvas2D:
 * a luma pixel is covered when its centre is inside the layer (rect, rotated rect, circle), with
 * hard edges; a chroma pixel is covered by the share of its luma pixels that are.
 */
function drawLayerPlane(
  target: Target,
  source: Plane,
  d: LayerDraw,
  sub: 1 | 2,
  sourceScale: number,
  luma: { width: number; height: number },
): void {
  const alpha = Math.round(d.opacity * ONE);
  if (alpha <= 0) return;
  const D = d.dst;
  const scale = 1 / sub;
  const dx = D.x * scale;
  const dy = D.y * scale;
  const sx = d.src.sx * sourceScale;
  const sy = d.src.sy * sourceScale;
  const kx = (d.src.sw * sourceScale) / (D.width * scale);
  const ky = (d.src.sh * sourceScale) / (D.height * scale);
  const { data: src, offset: so, stride: ss, step, width: sw, height: sh } = source;
  const out = target.data;
  const maxX = sw - 1;
  const maxY = sh - 1;
  // The layer's centre and circle radius in luma pixels.
  const cx = D.x + D.width / 2;
  const cy = D.y + D.height / 2;
  const r2 = (Math.min(D.width, D.height) / 2) ** 2;
  const inCircle = (lx: number, ly: number): boolean => (lx + 0.5 - cx) ** 2 + (ly + 0.5 - cy) ** 2 <= r2;
  /** The share (0–1) of the luma pixels plane pixel (x, y) stands for that `test` accepts. */
  const share = (x: number, y: number, test: (lx: number, ly: number) => boolean): number => {
    let hit = 0;
    let all = 0;
    for (let j = sub * x; j < Math.min(sub * x + sub, luma.width); j++) {
      for (let k = sub * y; k < Math.min(sub * y + sub, luma.height); k++) {
        all++;
        if (test(j, k)) hit++;
      }
    }
    return all === 0 ? 0 : hit / all;
  };

  if (d.rotation === 0) {
    // Luma pixels whose centres are inside the rect, then each plane pixel's share of them.
    const X0 = Math.ceil(D.x - 0.5);
    const X1 = Math.ceil(D.x + D.width - 0.5);
    const Y0 = Math.ceil(D.y - 0.5);
    const Y1 = Math.ceil(D.y + D.height - 0.5);
    const x0 = Math.max(0, Math.floor(X0 / sub));
    const x1 = Math.min(target.width, Math.ceil(X1 / sub));
    const y0 = Math.max(0, Math.floor(Y0 / sub));
    const y1 = Math.min(target.height, Math.ceil(Y1 / sub));
    if (x1 <= x0 || y1 <= y0) return;
    const n = x1 - x0;
    const colA = new Int32Array(n);
    const colB = new Int32Array(n);
    const colF = new Int32Array(n);
    const colC = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const x = x0 + i;
      // Of the luma columns this pixel stands for (one at an odd right edge), the share covered.
      const end = Math.min(sub * x + sub, luma.width);
      colC[i] = Math.round(((Math.min(end, X1) - Math.max(sub * x, X0)) / (end - sub * x)) * ONE);
      let u = (x + 0.5 - dx) * kx;
      if (d.mirrorH) u = d.src.sw * sourceScale - u;
      let fx = sx + u - 0.5;
      fx = fx < 0 ? 0 : fx > maxX ? maxX : fx;
      const ix = Math.floor(fx);
      colA[i] = so + ix * step;
      colB[i] = so + Math.min(ix + 1, maxX) * step;
      colF[i] = Math.round((fx - ix) * ONE);
    }
    for (let y = y0; y < y1; y++) {
      const bottomEnd = Math.min(sub * y + sub, luma.height);
      const rowC = Math.round(((Math.min(bottomEnd, Y1) - Math.max(sub * y, Y0)) / (bottomEnd - sub * y)) * ONE);
      let v = (y + 0.5 - dy) * ky;
      if (d.mirrorV) v = d.src.sh * sourceScale - v;
      let fy = sy + v - 0.5;
      fy = fy < 0 ? 0 : fy > maxY ? maxY : fy;
      const iy = Math.floor(fy);
      const wy = Math.round((fy - iy) * ONE);
      const rowA = iy * ss;
      const rowB = Math.min(iy + 1, maxY) * ss;
      const o = target.offset + y * target.stride + x0;
      const full = rowC === ONE && alpha === ONE && !d.circle;
      for (let i = 0; i < n; i++) {
        let a = ONE;
        if (!full) {
          a = ((((colC[i] as number) * rowC) >> FRACTION_BITS) * alpha) >> FRACTION_BITS;
          if (d.circle) {
            let inside = 0;
            const x = x0 + i;
            for (let j = 0; j < sub; j++)
              for (let k = 0; k < sub; k++) if (inCircle(sub * x + j, sub * y + k)) inside++;
            a = Math.round((a * inside) / (sub * sub));
          }
          if (a <= 0) continue;
        } else if ((colC[i] as number) < ONE) {
          a = colC[i] as number;
        }
        const ca = colA[i] as number;
        const cb = colB[i] as number;
        const wx = colF[i] as number;
        const top = (src[rowA + ca] as number) * (ONE - wx) + (src[rowA + cb] as number) * wx;
        const bottom = (src[rowB + ca] as number) * (ONE - wx) + (src[rowB + cb] as number) * wx;
        const value = (top * (ONE - wy) + bottom * wy + (1 << (2 * FRACTION_BITS - 1))) >> (2 * FRACTION_BITS);
        out[o + i] = a >= ONE ? value : ((out[o + i] as number) * (ONE - a) + value * a + (ONE >> 1)) >> FRACTION_BITS;
      }
    }
    return;
  }
  // Rotated: each plane pixel maps back through the inverse rotation about the centre.
  const cos = Math.cos(d.rotation);
  const sin = Math.sin(d.rotation);
  const hw = (Math.abs(D.width * cos) + Math.abs(D.height * sin)) / 2;
  const hh = (Math.abs(D.width * sin) + Math.abs(D.height * cos)) / 2;
  /** Layer coordinates (from its top-left, unrotated) of a luma position. */
  const local = (lx: number, ly: number): [number, number] => {
    const ex = lx - cx;
    const ey = ly - cy;
    return [ex * cos + ey * sin + D.width / 2, -ex * sin + ey * cos + D.height / 2];
  };
  const inside = (lx: number, ly: number): boolean => {
    const [u, v] = local(lx + 0.5, ly + 0.5);
    return u >= 0 && u < D.width && v >= 0 && v < D.height && (!d.circle || inCircle(lx, ly));
  };
  const x0 = Math.max(0, Math.floor((cx - hw) / sub) - 1);
  const x1 = Math.min(target.width, Math.ceil((cx + hw) / sub) + 1);
  const y0 = Math.max(0, Math.floor((cy - hh) / sub) - 1);
  const y1 = Math.min(target.height, Math.ceil((cy + hh) / sub) + 1);
  for (let y = y0; y < y1; y++) {
    const o = target.offset + y * target.stride;
    for (let x = x0; x < x1; x++) {
      const covered = share(x, y, inside);
      if (covered === 0) continue;
      const [lu, lv] = local((x + 0.5) * sub, (y + 0.5) * sub);
      let u = lu * scale * kx;
      let v = lv * scale * ky;
      if (d.mirrorH) u = d.src.sw * sourceScale - u;
      if (d.mirrorV) v = d.src.sh * sourceScale - v;
      let fx = sx + u - 0.5;
      let fy = sy + v - 0.5;
      fx = fx < 0 ? 0 : fx > maxX ? maxX : fx;
      fy = fy < 0 ? 0 : fy > maxY ? maxY : fy;
      const ix = Math.floor(fx);
      const iy = Math.floor(fy);
      const wx = fx - ix;
      const wy = fy - iy;
      const ixb = Math.min(ix + 1, maxX);
      const rowA = so + iy * ss;
      const rowB = so + Math.min(iy + 1, maxY) * ss;
      const top = (src[rowA + ix * step] as number) * (1 - wx) + (src[rowA + ixb * step] as number) * wx;
      const bottom = (src[rowB + ix * step] as number) * (1 - wx) + (src[rowB + ixb * step] as number) * wx;
      const value = top * (1 - wy) + bottom * wy;
      const w = (alpha / ONE) * covered;
      out[o + x] = Math.round((out[o + x] as number) * (1 - w) + value * w);
    }
  }
}

/** Composites scene plans in YUV 4:2:0 and hands out I420 or NV12 frames. */
export class PlanarBackend {
  readonly name = 'cpu-planar';
  readonly #width: number;
  readonly #height: number;
  readonly #sources = new Map<string, SourcePlanes>();
  readonly #overlays = new Map<string, OverlayRaster>();
  /** A number per decoded image, so a replaced image is rasterized anew. */
  readonly #imageIds = new WeakMap<ImageBitmap, number>();
  #nextImageId = 0;

  constructor(width: number, height: number) {
    this.#width = width;
    this.#height = height;
  }

  /** Draws `plan` in `matrix` and returns a new I420 (or NV12) frame owned by the caller. */
  async render(
    plan: readonly Draw[],
    sources: SceneSources,
    matrix: Matrix,
    format: 'I420' | 'NV12',
    init: { timestamp: number; duration: number },
  ): Promise<VideoFrame> {
    const W = this.#width;
    const H = this.#height;
    const cw = Math.ceil(W / 2);
    const ch = Math.ceil(H / 2);
    const luma = W * H;
    const chroma = cw * ch;
    const bytes = new Uint8Array(luma + 2 * chroma);
    // Black, limited range.
    bytes.fill(16, 0, luma);
    bytes.fill(128, luma);
    const targets: [Target, Target, Target] = [
      { data: bytes, offset: 0, stride: W, width: W, height: H },
      { data: bytes, offset: luma, stride: cw, width: cw, height: ch },
      { data: bytes, offset: luma + chroma, stride: cw, width: cw, height: ch },
    ];
    await this.#refreshSources(plan, sources.frames);
    const used = new Set<string>();
    for (const d of plan) {
      if (d.type === 'layer') {
        const s = this.#sources.get(d.pin);
        if (!s) continue;
        const [y, u, v] = s.planes;
        if (this.#copyWhole(d, y, targets[0])) {
          // A layer that covers the canvas one-to-one is copied row by row.
          this.#copyPlane(u, targets[1]);
          this.#copyPlane(v, targets[2]);
          continue;
        }
        const size = { width: W, height: H };
        drawLayerPlane(targets[0], y, d, 1, 1, size);
        drawLayerPlane(targets[1], u, d, 2, u.width / y.width, size);
        drawLayerPlane(targets[2], v, d, 2, u.width / y.width, size);
      } else {
        const raster = this.#overlay(d, sources, matrix);
        if (!raster) continue;
        used.add(raster.key);
        blendOverlay(targets, raster);
      }
    }
    // Rasters of overlays no longer drawn are dropped.
    for (const key of [...this.#overlays.keys()]) if (!used.has(key)) this.#overlays.delete(key);
    const colorSpace: VideoColorSpaceInit =
      matrix === 'bt709'
        ? { primaries: 'bt709', transfer: 'bt709', matrix: 'bt709', fullRange: false }
        : { primaries: 'smpte170m', transfer: 'smpte170m', matrix: 'smpte170m', fullRange: false };
    const data = format === 'NV12' ? interleave(bytes, luma, chroma) : bytes;
    return new VideoFrame(data, {
      format,
      codedWidth: W,
      codedHeight: H,
      colorSpace,
      ...init,
      transfer: [data.buffer],
    } as VideoFrameBufferInit & { transfer: ArrayBuffer[] });
  }

  /** Copies out the planes of frames not seen before; forgets pins no longer drawn. */
  async #refreshSources(plan: readonly Draw[], frames: ReadonlyMap<string, VideoFrame>): Promise<void> {
    const pins = new Set(plan.flatMap((d) => (d.type === 'layer' ? [d.pin] : [])));
    for (const pin of [...this.#sources.keys()]) if (!pins.has(pin)) this.#sources.delete(pin);
    await Promise.all(
      [...pins].map(async (pin) => {
        const frame = frames.get(pin);
        if (!frame) return;
        if (this.#sources.get(pin)?.frame === frame) return; // the same frame as last time
        this.#sources.set(pin, await planesOf(frame));
      }),
    );
  }

  /** True (and copied) when the layer maps its source one-to-one onto the whole canvas. */
  #copyWhole(d: LayerDraw, y: Plane, target: Target): boolean {
    const whole =
      d.rotation === 0 &&
      !d.mirrorH &&
      !d.mirrorV &&
      !d.circle &&
      d.opacity >= 1 &&
      d.dst.x === 0 &&
      d.dst.y === 0 &&
      d.dst.width === this.#width &&
      d.dst.height === this.#height &&
      d.src.sx === 0 &&
      d.src.sy === 0 &&
      d.src.sw === this.#width &&
      d.src.sh === this.#height &&
      y.width === this.#width &&
      y.height === this.#height;
    if (whole) this.#copyPlane(y, target);
    return whole;
  }

  #copyPlane(source: Plane, target: Target): void {
    const { data, offset, stride, step } = source;
    if (step === 1 && stride === target.stride) {
      target.data.set(data.subarray(offset, offset + stride * target.height), target.offset);
      return;
    }
    for (let y = 0; y < target.height; y++) {
      const row = offset + y * stride;
      const o = target.offset + y * target.stride;
      if (step === 1) target.data.set(data.subarray(row, row + target.width), o);
      else for (let x = 0; x < target.width; x++) target.data[o + x] = data[row + x * step] as number;
    }
  }

  /** The YUVA raster of an overlay draw, made once per look (text, font, rect, transform, matrix). */
  #overlay(d: Exclude<Draw, LayerDraw>, sources: SceneSources, matrix: Matrix): OverlayRaster | undefined {
    const image = d.type === 'image' ? sources.images[d.index] : undefined;
    const font = d.type === 'text' ? sources.fonts[d.index] : undefined;
    if (d.type === 'image' ? !image : !font) return undefined;
    let imageId = image ? this.#imageIds.get(image) : undefined;
    if (image && imageId === undefined) {
      imageId = this.#nextImageId++;
      this.#imageIds.set(image, imageId);
    }
    const key = JSON.stringify([
      d.type,
      d.index,
      imageId,
      d.dst,
      d.opacity,
      d.rotation,
      d.mirrorH,
      d.mirrorV,
      d.type === 'text' ? d.overlay : null,
      font?.family,
      matrix,
    ]);
    const cached = this.#overlays.get(key);
    if (cached) return cached;
    const raster = rasterize(d, image, font, matrix, this.#width, this.#height, key);
    if (raster) this.#overlays.set(key, raster);
    return raster;
  }

  close(): void {
    this.#sources.clear();
    this.#overlays.clear();
  }
}

/** I420 bytes re-laid as NV12 (chroma interleaved). */
function interleave(i420: Uint8Array<ArrayBuffer>, luma: number, chroma: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(i420.length);
  out.set(i420.subarray(0, luma));
  for (let i = 0; i < chroma; i++) {
    out[luma + 2 * i] = i420[luma + i] as number;
    out[luma + 2 * i + 1] = i420[luma + chroma + i] as number;
  }
  return out;
}

/** Draws an overlay with Canvas2D over its bounding box and converts it to premultiplied YUVA. */
function rasterize(
  d: Exclude<Draw, LayerDraw>,
  image: ImageBitmap | undefined,
  font: LoadedFont | undefined,
  matrix: Matrix,
  canvasWidth: number,
  canvasHeight: number,
  key: string,
): OverlayRaster | undefined {
  const box = boundingBox(d.dst, d.rotation, canvasWidth, canvasHeight);
  if (!box) return undefined;
  const canvas = new OffscreenCanvas(box.width, box.height);
  const g = canvas.getContext('2d', { willReadFrequently: true });
  if (!g) return undefined;
  g.translate(-box.x, -box.y);
  g.globalAlpha = d.opacity;
  g.translate(d.dst.x + d.dst.width / 2, d.dst.y + d.dst.height / 2);
  if (d.rotation !== 0) g.rotate(d.rotation);
  if (d.mirrorH || d.mirrorV) g.scale(d.mirrorH ? -1 : 1, d.mirrorV ? -1 : 1);
  const left = -d.dst.width / 2;
  const top = -d.dst.height / 2;
  if (d.type === 'image' && image) g.drawImage(image, left, top, d.dst.width, d.dst.height);
  else if (d.type === 'text' && font) {
    g.beginPath();
    g.rect(left, top, d.dst.width, d.dst.height);
    g.clip();
    drawText(g, d.overlay, font, left, top, d.dst.width);
  }
  const rgba = g.getImageData(0, 0, box.width, box.height).data;
  const { kr, kg, kb } = coefficients(matrix);
  const n = box.width * box.height;
  const y8 = new Uint8Array(n);
  const a8 = new Uint8Array(n);
  const cw = box.width / 2;
  const chh = box.height / 2;
  const u8 = new Uint8Array(cw * chh);
  const v8 = new Uint8Array(cw * chh);
  const ca8 = new Uint8Array(cw * chh);
  // Premultiplied: Y' = a·Y, so blending is out = Y' + (1 − a)·out.
  for (let i = 0; i < n; i++) {
    const a = rgba[i * 4 + 3] as number;
    if (a === 0) continue;
    const R = rgba[i * 4] as number;
    const G = rgba[i * 4 + 1] as number;
    const B = rgba[i * 4 + 2] as number;
    const yv = 16 + (219 / 255) * (kr * R + kg * G + kb * B);
    y8[i] = Math.round((yv * a) / 255);
    a8[i] = a;
  }
  for (let cy = 0; cy < chh; cy++) {
    for (let cx = 0; cx < cw; cx++) {
      let sa = 0;
      let su = 0;
      let sv = 0;
      for (const [ox, oy] of [
        [0, 0],
        [1, 0],
        [0, 1],
        [1, 1],
      ] as const) {
        const i = (cy * 2 + oy) * box.width + cx * 2 + ox;
        const a = rgba[i * 4 + 3] as number;
        if (a === 0) continue;
        const R = rgba[i * 4] as number;
        const G = rgba[i * 4 + 1] as number;
        const B = rgba[i * 4 + 2] as number;
        const yl = kr * R + kg * G + kb * B;
        sa += a;
        su += a * (128 + (224 / 255) * ((B - yl) / (2 * (1 - kb))));
        sv += a * (128 + (224 / 255) * ((R - yl) / (2 * (1 - kr))));
      }
      const j = cy * cw + cx;
      ca8[j] = Math.round(sa / 4);
      u8[j] = Math.round(su / 4 / 255);
      v8[j] = Math.round(sv / 4 / 255);
    }
  }
  return { key, x: box.x, y: box.y, width: box.width, height: box.height, y8, a8, u8, v8, ca8 };
}

/** The canvas-clipped, even-aligned box around a rect rotated about its centre. */
function boundingBox(r: CanvasRect, rotation: number, W: number, H: number): CanvasRect | undefined {
  const cos = Math.abs(Math.cos(rotation));
  const sin = Math.abs(Math.sin(rotation));
  const hw = (r.width * cos + r.height * sin) / 2;
  const hh = (r.width * sin + r.height * cos) / 2;
  const cx = r.x + r.width / 2;
  const cy = r.y + r.height / 2;
  const x0 = Math.max(0, Math.floor((cx - hw - 1) / 2) * 2);
  const y0 = Math.max(0, Math.floor((cy - hh - 1) / 2) * 2);
  const x1 = Math.min(W - (W % 2), Math.ceil((cx + hw + 1) / 2) * 2);
  const y1 = Math.min(H - (H % 2), Math.ceil((cy + hh + 1) / 2) * 2);
  if (x1 <= x0 || y1 <= y0) return undefined;
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}

/** Blends a premultiplied YUVA raster onto the output planes. */
function blendOverlay(targets: [Target, Target, Target], r: OverlayRaster): void {
  const [ty, tu, tv] = targets;
  for (let y = 0; y < r.height; y++) {
    const o = ty.offset + (r.y + y) * ty.stride + r.x;
    const s = y * r.width;
    for (let x = 0; x < r.width; x++) {
      const a = r.a8[s + x] as number;
      if (a === 0) continue;
      ty.data[o + x] = (r.y8[s + x] as number) + Math.round(((ty.data[o + x] as number) * (255 - a)) / 255);
    }
  }
  const cw = r.width / 2;
  const cx0 = r.x / 2;
  const cy0 = r.y / 2;
  for (let y = 0; y < r.height / 2; y++) {
    const ou = tu.offset + (cy0 + y) * tu.stride + cx0;
    const ov = tv.offset + (cy0 + y) * tv.stride + cx0;
    const s = y * cw;
    for (let x = 0; x < cw; x++) {
      const a = r.ca8[s + x] as number;
      if (a === 0) continue;
      const keep = (255 - a) / 255;
      tu.data[ou + x] = (r.u8[s + x] as number) + Math.round((tu.data[ou + x] as number) * keep);
      tv.data[ov + x] = (r.v8[s + x] as number) + Math.round((tv.data[ov + x] as number) * keep);
    }
  }
}
