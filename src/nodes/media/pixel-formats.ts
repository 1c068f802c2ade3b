/**
 * Pixel-format conversion of `VideoFrame`s on the browser's fast paths:
 *
 * - to RGBA: `VideoFrame.copyTo({format: 'RGBA'})` (the browser's own YUV→RGB conversion);
 * - to I420 / NV12: WebGL2 fragment shaders. From RGB (the frame's RGBA bytes, uploaded as a
 *   texture) they apply the BT.709 / BT.601 matrix, four luma bytes per RGBA8 texel, and take each
 *   chroma sample from one bilinear fetch at the centre of its 2×2 block (the block's mean). For
 *   common sizes every plane is drawn into one target whose rows read back linearly as the
 *   frame's bytes: one `readPixels`.
 * - between I420 and NV12: exact byte moves on the CPU (`yuv-cpu.ts`).
 *
 * WebGL2 runs on the GPU where there is one. Where it is a software renderer (SwiftShader), the
 * shaders are slower than a loop on the CPU, so RGB → YUV is done by `yuv-cpu.ts` (WebAssembly
 * SIMD) instead: see `npm run bench:pixels`.
 */
import { relayout420, rgbToYuv420 } from './yuv-cpu';
import { SimdYuv } from './yuv-simd';

/** Layouts this module writes. */
export type TargetFormat = 'I420' | 'NV12' | 'RGBA';
/** The browser's conversion of any frame to sRGB RGBA bytes. */
const RGBA_COPY: VideoFrameCopyToOptions = { format: 'RGBA', colorSpace: 'srgb' };

/** YUV matrices for RGB → YUV. */
export type ColorMatrix = 'bt709' | 'bt601';

const VERTEX = `#version 300 es
void main() {
  vec2 p = vec2(float((gl_VertexID & 1) * 4 - 1), float((gl_VertexID & 2) * 2 - 1));
  gl_Position = vec4(p, 0.0, 1.0);
}`;

/**
 * Luma: `pack` (1 or 4) consecutive luma bytes per fragment, from an RGB texture. Packing four
 * into an RGBA8 texel (when the width allows) cuts the fragments, which dominate in software GL.
 */
const LUMA = `#version 300 es
precision highp float;
uniform sampler2D rgb;
uniform vec4 ky;
uniform int pack;
out vec4 color;
float luma(ivec2 p) { return (dot(ky.rgb, texelFetch(rgb, p, 0).rgb) + ky.a) / 255.0; }
void main() {
  ivec2 f = ivec2(gl_FragCoord.xy);
  if (pack == 1) {
    color = vec4(luma(f));
    return;
  }
  ivec2 p = ivec2(f.x * 4, f.y);
  color = vec4(luma(p), luma(p + ivec2(1, 0)), luma(p + ivec2(2, 0)), luma(p + ivec2(3, 0)));
}`;

/**
 * Chroma bytes of \`blocks\` (1, 2 or 4) consecutive 2×2 blocks per fragment: interleaved (U, V)
 * pairs for NV12, or one plane (U, or V with \`wantV\`) for I420. \`originY\` is the first target
 * row of the region drawn; \`halfTexels\` > 0 lays two I420 chroma rows side by side per target row.
 * The source is the RGB texture, each 2×2 block averaged.
 */
const CHROMA = `#version 300 es
precision highp float;
uniform sampler2D planeA;
uniform int blocks;
uniform bool interleave;
uniform bool wantV;
uniform ivec2 size;
uniform vec4 ku;
uniform vec4 kv;
uniform int originY;
uniform int halfTexels;
out vec4 color;
vec2 uvAt(ivec2 c) {
  // One bilinear sample at the block's centre is the mean of its four pixels (edges clamp).
  vec3 m = texture(planeA, (vec2(c * 2) + 1.0) / vec2(size)).rgb;
  return (vec2(dot(ku.rgb, m), dot(kv.rgb, m)) + vec2(ku.a, kv.a)) / 255.0;
}
float pick(vec2 uv) { return wantV ? uv.y : uv.x; }
void main() {
  ivec2 f = ivec2(gl_FragCoord.xy) - ivec2(0, originY);
  if (halfTexels > 0) {
    // I420 in a target twice as wide as the plane: each row holds chroma rows 2y and 2y + 1.
    int h = f.x / halfTexels;
    f = ivec2(f.x - h * halfTexels, f.y * 2 + h);
  }
  ivec2 c = ivec2(f.x * blocks, f.y);
  if (interleave) {
    vec2 a = uvAt(c);
    color = blocks == 2 ? vec4(a, uvAt(c + ivec2(1, 0))) : vec4(a, 0.0, 1.0);
  } else if (blocks == 4) {
    color = vec4(pick(uvAt(c)), pick(uvAt(c + ivec2(1, 0))), pick(uvAt(c + ivec2(2, 0))), pick(uvAt(c + ivec2(3, 0))));
  } else {
    color = vec4(pick(uvAt(c)));
  }
}`;

/** Limited-range luma and chroma weights for a matrix; rows are (r, g, b, offset) in 0–255 units of RGB 0–1. */
function matrixRows(matrix: ColorMatrix): { y: number[]; u: number[]; v: number[] } {
  const [kr, kb] = matrix === 'bt709' ? [0.2126, 0.0722] : [0.299, 0.114];
  const kg = 1 - kr - kb;
  const ys = 219;
  const cs = 224;
  const yo = 16;
  // U = (B − Y) / (2(1 − Kb)), V = (R − Y) / (2(1 − Kr)), scaled to the chroma excursion.
  const u = [-kr, -kg, 1 - kb].map((w) => (w / (2 * (1 - kb))) * cs);
  const v = [1 - kr, -kg, -kb].map((w) => (w / (2 * (1 - kr))) * cs);
  return { y: [kr * ys, kg * ys, kb * ys, yo], u: [...u, 128], v: [...v, 128] };
}

/** The WebCodecs colour space a frame written with `matrix` declares. */
export function yuvColorSpace(matrix: ColorMatrix, fullRange = false): VideoColorSpaceInit {
  return matrix === 'bt709'
    ? { primaries: 'bt709', transfer: 'bt709', matrix: 'bt709', fullRange }
    : { primaries: 'smpte170m', transfer: 'smpte170m', matrix: 'smpte170m', fullRange };
}

/** True for the formats whose bytes this module can move without a colour conversion. */
function isPlanar420(format: VideoPixelFormat | null): format is 'I420' | 'I420A' | 'NV12' {
  return format === 'I420' || format === 'I420A' || format === 'NV12';
}

/** The tightly packed plane layout of a 4:2:0 frame (I420, I420A with its alpha plane last, NV12). */
export function planeLayout420(format: 'I420' | 'I420A' | 'NV12', width: number, height: number): PlaneLayout[] {
  const cw = Math.ceil(width / 2);
  const luma = width * height;
  const chroma = cw * Math.ceil(height / 2);
  if (format === 'NV12') {
    return [
      { offset: 0, stride: width },
      { offset: luma, stride: cw * 2 },
    ];
  }
  return [
    { offset: 0, stride: width },
    { offset: luma, stride: cw },
    { offset: luma + chroma, stride: cw },
    ...(format === 'I420A' ? [{ offset: luma + 2 * chroma, stride: width }] : []),
  ];
}

/** A converted frame that takes over `bytes`, with the source's size on screen and stamps. */
function yuvFrame(
  bytes: Uint8Array<ArrayBuffer>,
  format: 'I420' | 'NV12',
  width: number,
  height: number,
  source: VideoFrame,
  colorSpace: VideoColorSpaceInit,
): VideoFrame {
  return bufferFrame(bytes, {
    format,
    codedWidth: width,
    codedHeight: height,
    displayWidth: source.displayWidth,
    displayHeight: source.displayHeight,
    colorSpace,
    transfer: [bytes.buffer],
    ...frameInit(source),
  });
}

/** Stamps copied to every converted frame. */
function frameInit(src: VideoFrame): { timestamp: number; duration?: number } {
  return { timestamp: src.timestamp, ...(src.duration !== null ? { duration: src.duration } : {}) };
}

/** `VideoFrameBufferInit` with `transfer`, which Chromium supports and TypeScript's DOM types lack. */
type BufferInit = VideoFrameBufferInit & { transfer?: ArrayBuffer[] };

/** A frame that takes over `bytes` (listed in `init.transfer`) instead of copying them. */
function bufferFrame(bytes: Uint8Array<ArrayBuffer>, init: BufferInit): VideoFrame {
  return new VideoFrame(bytes, init);
}

type Uniforms = Map<string, WebGLUniformLocation | null>;

/** A linked program and its uniform locations. */
interface Program {
  program: WebGLProgram;
  uniforms: Uniforms;
}

/** Renderers that are software: shaders on them lose to the CPU converter. */
const SOFTWARE_GL = /swiftshader|llvmpipe|softpipe|software/i;

/** Which engine converts to YUV: the CPU, WebGL2, or `auto` (WebGL2 only on a hardware renderer). */
export type ConverterBackend = 'auto' | 'cpu' | 'webgl';

/**
 * Converts frames to I420, NV12 or RGBA. May hold one WebGL2 context (made on first YUV use, kept
 * only on a hardware renderer); call `close()` to release it. The source frame stays owned by
 * the caller.
 */
export class PixelConverter {
  #gl: WebGL2RenderingContext | undefined;
  #luma: Program | undefined;
  #chroma: Program | undefined;
  #textures: WebGLTexture[] = [];
  #framebuffer: WebGLFramebuffer | null = null;
  #targetKey = '';

  #backend: 'cpu' | 'webgl' | undefined;
  #simd: Promise<SimdYuv | undefined> | undefined;
  /** The SIMD kernels' memory holds one image at a time: conversions take turns. */
  #simdTurn: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly defaultMatrix: ColorMatrix = 'bt709',
    private readonly backend: ConverterBackend = 'auto',
  ) {}

  /** A new frame in `format` (a clone when the frame already is in it). */
  async convert(frame: VideoFrame, format: TargetFormat): Promise<VideoFrame> {
    if (frame.format === format) return frame.clone();
    if (format === 'RGBA') return this.#toRgba(frame);
    if (isPlanar420(frame.format) || this.#chooseBackend() === 'cpu') return this.#toYuvCpu(frame, format);
    return this.#toYuv(frame, format);
  }

  /** The engine used for RGB → YUV (decided on first use). */
  get yuvBackend(): 'cpu' | 'webgl' {
    return this.#chooseBackend();
  }

  #chooseBackend(): 'cpu' | 'webgl' {
    if (this.#backend) return this.#backend;
    if (this.backend !== 'auto') return (this.#backend = this.backend);
    let renderer: string;
    try {
      const gl = this.#context();
      renderer = String(
        gl.getParameter(gl.getExtension('WEBGL_debug_renderer_info')?.UNMASKED_RENDERER_WEBGL ?? gl.RENDERER),
      );
    } catch {
      renderer = 'none'; // no WebGL2 at all: the CPU it is
    }
    this.#backend = renderer === 'none' || SOFTWARE_GL.test(renderer) ? 'cpu' : 'webgl';
    if (this.#backend === 'cpu') this.close();
    return this.#backend;
  }

  /** YUV on the CPU: RGB through `rgbToYuv420`, YUV 4:2:0 sources re-laid (their matrix kept). */
  async #toYuvCpu(frame: VideoFrame, format: 'I420' | 'NV12'): Promise<VideoFrame> {
    const rect = frame.visibleRect ?? { width: frame.codedWidth, height: frame.codedHeight };
    const { width, height } = rect;
    const cw = Math.ceil(width / 2);
    const ch = Math.ceil(height / 2);
    const luma = width * height;
    let out: Uint8Array<ArrayBuffer>;
    let colorSpace: VideoColorSpaceInit;
    if (isPlanar420(frame.format)) {
      out = new Uint8Array(luma + 2 * cw * ch);
      const nv12 = frame.format === 'NV12';
      const planes = new Uint8Array(luma + 2 * cw * ch + (frame.format === 'I420A' ? luma : 0));
      await frame.copyTo(planes, { layout: planeLayout420(frame.format, width, height) });
      relayout420(planes, nv12 ? 'NV12' : 'I420', format, width, height, out);
      colorSpace = frame.colorSpace.toJSON();
    } else {
      // The frame's own 4-byte layout when it is one (no swizzle), else the browser's RGBA.
      const native =
        frame.format === 'BGRA' || frame.format === 'BGRX'
          ? 'BGRA'
          : frame.format === 'RGBA' || frame.format === 'RGBX'
            ? 'RGBA'
            : undefined;
      const options: VideoFrameCopyToOptions = native ? {} : RGBA_COPY;
      const size = frame.allocationSize(options);
      // WebAssembly SIMD where the engine has it (the frame is copied straight into its memory).
      this.#simd ??= SimdYuv.open().catch(() => undefined);
      const simd = await this.#simd;
      if (simd) {
        const turn = this.#simdTurn.then(async () => {
          await frame.copyTo(simd.source(size, luma + 2 * cw * ch), options);
          return simd.convert(native ?? 'RGBA', width, height, width * 4, this.defaultMatrix, format);
        });
        this.#simdTurn = turn.catch(() => undefined); // a failed turn does not block the next
        out = await turn;
      } else {
        out = new Uint8Array(luma + 2 * cw * ch);
        const rgb = new Uint8Array(size);
        await frame.copyTo(rgb, options);
        rgbToYuv420(rgb, native ?? 'RGBA', width, height, width * 4, this.defaultMatrix, format, out);
      }
      colorSpace = yuvColorSpace(this.defaultMatrix);
    }
    return yuvFrame(out, format, width, height, frame, colorSpace);
  }

  close(): void {
    const gl = this.#gl;
    if (gl) {
      for (const t of this.#textures) gl.deleteTexture(t);
      gl.deleteFramebuffer(this.#framebuffer);
      for (const p of [this.#luma, this.#chroma]) if (p) gl.deleteProgram(p.program);
      gl.getExtension('WEBGL_lose_context')?.loseContext();
    }
    this.#gl = undefined;
  }

  async #toRgba(frame: VideoFrame): Promise<VideoFrame> {
    const rect = frame.visibleRect ?? { width: frame.codedWidth, height: frame.codedHeight };
    const bytes = new Uint8Array(frame.allocationSize(RGBA_COPY));
    await frame.copyTo(bytes, RGBA_COPY);
    return bufferFrame(bytes, {
      format: 'RGBA',
      codedWidth: rect.width,
      codedHeight: rect.height,
      displayWidth: frame.displayWidth,
      displayHeight: frame.displayHeight,
      colorSpace: { primaries: 'bt709', transfer: 'iec61966-2-1', matrix: 'rgb', fullRange: true },
      transfer: [bytes.buffer],
      ...frameInit(frame),
    });
  }

  async #toYuv(frame: VideoFrame, format: 'I420' | 'NV12'): Promise<VideoFrame> {
    const gl = this.#context();
    const rect = frame.visibleRect ?? { x: 0, y: 0, width: frame.codedWidth, height: frame.codedHeight };
    const width = rect.width;
    const height = rect.height;
    const cw = Math.ceil(width / 2);
    const ch = Math.ceil(height / 2);
    const lumaSize = width * height;
    const chromaSize = cw * ch;
    const out = new Uint8Array(lumaSize + 2 * chromaSize);
    const matrix = this.defaultMatrix;
    const [texA] = this.#textures;
    const chroma = this.#chroma;
    if (!texA || !chroma) throw new Error('WebGL2 resources are missing');
    gl.useProgram(chroma.program);
    const u = (name: string): WebGLUniformLocation | null => chroma.uniforms.get(name) ?? null;
    const rows = matrixRows(matrix);
    // RGB(A) bytes from the browser's own conversion, uploaded as they are (much cheaper in
    // software GL than uploading the VideoFrame itself).
    const rgba = new Uint8Array(frame.allocationSize(RGBA_COPY));
    await frame.copyTo(rgba, RGBA_COPY);
    gl.activeTexture(gl.TEXTURE0);
    gl.bindTexture(gl.TEXTURE_2D, texA);
    gl.pixelStorei(gl.UNPACK_ALIGNMENT, 4);
    gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA8, width, height, 0, gl.RGBA, gl.UNSIGNED_BYTE, rgba);
    gl.uniform2i(u('size'), width, height);
    gl.uniform4fv(u('ku'), rows.u);
    gl.uniform4fv(u('kv'), rows.v);

    // Common sizes (width a multiple of 8, height of 4): every plane is drawn into one RGBA8 target
    // whose rows, read linearly, are the frame's bytes, and read back with one readPixels (each
    // read is a round trip to the GPU process). Other sizes: one target and read per plane.
    const packed = width % 8 === 0 && height % 4 === 0;
    const lumaPass = (x: number, y: number, w: number, h: number, pack: 1 | 4): void => {
      const luma = this.#luma;
      if (!luma) throw new Error('WebGL2 resources are missing');
      gl.useProgram(luma.program);
      gl.uniform4fv(luma.uniforms.get('ky') ?? null, rows.y);
      gl.uniform1i(luma.uniforms.get('pack') ?? null, pack);
      this.#draw(x, y, w, h);
      gl.useProgram(chroma.program);
    };
    const chromaPass = (
      y: number,
      w: number,
      h: number,
      setup: { blocks: 1 | 2 | 4; interleave: boolean; wantV?: boolean; halfTexels?: number },
    ): void => {
      gl.uniform1i(u('blocks'), setup.blocks);
      gl.uniform1i(u('interleave'), setup.interleave ? 1 : 0);
      gl.uniform1i(u('wantV'), setup.wantV ? 1 : 0);
      gl.uniform1i(u('originY'), y);
      gl.uniform1i(u('halfTexels'), setup.halfTexels ?? 0);
      this.#draw(0, y, w, h);
    };
    if (packed) {
      const tw = width / 4;
      this.#target(gl.RGBA8, gl.RGBA, tw, height + ch);
      lumaPass(0, 0, tw, height, 4);
      if (format === 'NV12') chromaPass(height, tw, ch, { blocks: 2, interleave: true });
      else {
        chromaPass(height, tw, ch / 2, { blocks: 4, interleave: false, halfTexels: cw / 4 });
        chromaPass(height + ch / 2, tw, ch / 2, { blocks: 4, interleave: false, wantV: true, halfTexels: cw / 4 });
      }
      gl.readPixels(0, 0, tw, height + ch, gl.RGBA, gl.UNSIGNED_BYTE, out, 0);
    } else {
      const read = (internal: number, layout: number, w: number, h: number, offset: number, pass: () => void) => {
        this.#target(internal, layout, w, h);
        pass();
        gl.readPixels(0, 0, w, h, layout, gl.UNSIGNED_BYTE, out, offset);
      };
      const pack = width % 4 === 0 ? 4 : 1;
      const [internal, layout] = pack === 4 ? [gl.RGBA8, gl.RGBA] : [gl.R8, gl.RED];
      read(internal, layout, width / pack, height, 0, () => lumaPass(0, 0, width / pack, height, pack));
      if (format === 'NV12') {
        const blocks = cw % 2 === 0 ? 2 : 1;
        const [internal, layout] = blocks === 2 ? [gl.RGBA8, gl.RGBA] : [gl.RG8, gl.RG];
        read(internal, layout, cw / blocks, ch, lumaSize, () =>
          chromaPass(0, cw / blocks, ch, { blocks, interleave: true }),
        );
      } else {
        const blocks = cw % 4 === 0 ? 4 : 1;
        const [internal, layout] = blocks === 4 ? [gl.RGBA8, gl.RGBA] : [gl.R8, gl.RED];
        for (const [wantV, offset] of [
          [false, lumaSize],
          [true, lumaSize + chromaSize],
        ] as const) {
          read(internal, layout, cw / blocks, ch, offset, () =>
            chromaPass(0, cw / blocks, ch, { blocks, interleave: false, wantV }),
          );
        }
      }
    }
    const error = gl.getError();
    if (error !== gl.NO_ERROR) throw new Error(`WebGL error ${error} while converting to ${format}`);
    return yuvFrame(out, format, width, height, frame, yuvColorSpace(matrix));
  }

  /** Makes the render target `width`×`height` of `internal` format (reallocated only when that changes). */
  #target(internal: number, layout: number, width: number, height: number): void {
    const gl = this.#gl;
    const target = this.#textures[1];
    if (!gl || !target) return;
    const key = `${internal}:${width}x${height}`;
    if (this.#targetKey === key) return;
    gl.activeTexture(gl.TEXTURE2);
    gl.bindTexture(gl.TEXTURE_2D, target);
    gl.texImage2D(gl.TEXTURE_2D, 0, internal, width, height, 0, layout, gl.UNSIGNED_BYTE, null);
    gl.framebufferTexture2D(gl.FRAMEBUFFER, gl.COLOR_ATTACHMENT0, gl.TEXTURE_2D, target, 0);
    this.#targetKey = key;
  }

  /** Runs the current program over the target rectangle (x, y, w, h). */
  #draw(x: number, y: number, w: number, h: number): void {
    const gl = this.#gl;
    if (!gl) return;
    gl.viewport(x, y, w, h);
    gl.drawArrays(gl.TRIANGLES, 0, 3);
  }

  #context(): WebGL2RenderingContext {
    if (this.#gl && !this.#gl.isContextLost()) return this.#gl;
    const gl = new OffscreenCanvas(1, 1).getContext('webgl2', { antialias: false, depth: false, stencil: false });
    if (!gl) throw new Error('this browser gives no WebGL2 context, which converting to YUV needs');
    const link = (fragment: string, names: string[]): Program => {
      const program = gl.createProgram();
      for (const [type, source] of [
        [gl.VERTEX_SHADER, VERTEX],
        [gl.FRAGMENT_SHADER, fragment],
      ] as const) {
        const shader = gl.createShader(type);
        if (!shader) throw new Error('WebGL2 could not create a shader');
        gl.shaderSource(shader, source);
        gl.compileShader(shader);
        if (!gl.getShaderParameter(shader, gl.COMPILE_STATUS))
          throw new Error(`shader: ${gl.getShaderInfoLog(shader) ?? ''}`);
        gl.attachShader(program, shader);
      }
      gl.linkProgram(program);
      if (!gl.getProgramParameter(program, gl.LINK_STATUS))
        throw new Error(`program: ${gl.getProgramInfoLog(program) ?? ''}`);
      return { program, uniforms: new Map(names.map((n) => [n, gl.getUniformLocation(program, n)])) };
    };
    this.#luma = link(LUMA, ['rgb', 'ky', 'pack']);
    this.#chroma = link(CHROMA, [
      'planeA',
      'blocks',
      'interleave',
      'wantV',
      'size',
      'ku',
      'kv',
      'originY',
      'halfTexels',
    ]);
    gl.useProgram(this.#luma.program);
    gl.uniform1i(this.#luma.uniforms.get('rgb') ?? null, 0);
    gl.useProgram(this.#chroma.program);
    gl.uniform1i(this.#chroma.uniforms.get('planeA') ?? null, 0);
    // Unit 0: the RGB source; unit 2: the render target.
    this.#textures = [0, 2].map((unit) => {
      const texture = gl.createTexture();
      gl.activeTexture(gl.TEXTURE0 + unit);
      gl.bindTexture(gl.TEXTURE_2D, texture);
      // Unit 0 holds RGB sources, sampled bilinearly for chroma (texelFetch elsewhere ignores filtering).
      const filter = unit === 0 ? gl.LINEAR : gl.NEAREST;
      for (const p of [gl.TEXTURE_MIN_FILTER, gl.TEXTURE_MAG_FILTER]) gl.texParameteri(gl.TEXTURE_2D, p, filter);
      for (const p of [gl.TEXTURE_WRAP_S, gl.TEXTURE_WRAP_T]) gl.texParameteri(gl.TEXTURE_2D, p, gl.CLAMP_TO_EDGE);
      return texture;
    });
    this.#framebuffer = gl.createFramebuffer();
    gl.bindFramebuffer(gl.FRAMEBUFFER, this.#framebuffer);
    gl.pixelStorei(gl.PACK_ALIGNMENT, 1);
    this.#gl = gl;
    this.#targetKey = '';
    return gl;
  }
}
