/**
 * The WebAssembly SIMD build of `rgbToYuv420` (source: simd/yuv.ts): the same bytes as the
 * scalar loop, eight pixels at a time. The RGB image is copied straight into the module's memory
 * (`VideoFrame.copyTo` writes there), converted, and the YUV bytes copied out.
 */
import type { RgbLayout, YuvMatrix } from './yuv-cpu';
import { fixed } from './yuv-cpu';
import { YUV_SIMD_WASM } from './yuv-simd-wasm';

interface Exports {
  memory: WebAssembly.Memory;
  heapBase(): number;
  rgbToYuv420(
    src: number,
    width: number,
    height: number,
    stride: number,
    out: number,
    nv12: number,
    ...k: number[]
  ): void;
}

const PAGE = 65_536;
const ALIGN = 16;
const align = (n: number) => Math.ceil(n / ALIGN) * ALIGN;

let compiled: Promise<WebAssembly.Module | undefined> | undefined;

/** The compiled module, or undefined where this engine has no WebAssembly SIMD. */
function module(): Promise<WebAssembly.Module | undefined> {
  compiled ??= (async () => {
    const bytes = Uint8Array.from(atob(YUV_SIMD_WASM), (c) => c.charCodeAt(0));
    if (!WebAssembly.validate(bytes)) return undefined;
    return WebAssembly.compile(bytes);
  })();
  return compiled;
}

/** One instance of the kernels with its own memory (one per converter: no sharing between calls in flight). */
export class SimdYuv {
  readonly #exports: Exports;
  readonly #base: number;

  private constructor(exports: Exports) {
    this.#exports = exports;
    this.#base = align(exports.heapBase());
  }

  /** An instance, or undefined where WebAssembly SIMD is not available. */
  static async open(): Promise<SimdYuv | undefined> {
    const m = await module();
    if (!m) return undefined;
    const instance = await WebAssembly.instantiate(m, {});
    return new SimdYuv(instance.exports as unknown as Exports);
  }

  /** Grows the memory to hold a source of `sourceBytes` and an output of `outBytes`. */
  #reserve(sourceBytes: number, outBytes: number): { source: number; out: number } {
    const source = this.#base;
    const out = align(source + sourceBytes);
    const memory = this.#exports.memory;
    const missing = out + outBytes - memory.buffer.byteLength;
    if (missing > 0) memory.grow(Math.ceil(missing / PAGE));
    return { source, out };
  }

  /** Where to write an RGB image of `bytes` bytes before `convert` (valid until the next call). */
  source(bytes: number, outBytes: number): Uint8Array {
    const { source } = this.#reserve(bytes, outBytes);
    return new Uint8Array(this.#exports.memory.buffer, source, bytes);
  }

  /** Converts the image written through `source()`; returns the YUV bytes (a copy the caller owns). */
  convert(
    layout: RgbLayout,
    width: number,
    height: number,
    stride: number,
    matrix: YuvMatrix,
    format: 'I420' | 'NV12',
  ): Uint8Array<ArrayBuffer> {
    const outBytes = width * height + 2 * Math.ceil(width / 2) * Math.ceil(height / 2);
    const { source, out } = this.#reserve(stride * height, outBytes);
    const k = fixed(matrix);
    // Channel 0 is R in RGBA and B in BGRA: the coefficients follow the bytes.
    const order =
      layout === 'RGBA'
        ? [k.yr, k.yg, k.yb, k.ur, k.ug, k.ub, k.vr, k.vg, k.vb]
        : [k.yb, k.yg, k.yr, k.ub, k.ug, k.ur, k.vb, k.vg, k.vr];
    this.#exports.rgbToYuv420(source, width, height, stride, out, format === 'NV12' ? 1 : 0, ...order);
    return new Uint8Array(this.#exports.memory.buffer, out, outBytes).slice();
  }
}
