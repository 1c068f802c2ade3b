/**
 * Pixel-format conversion of `VideoFrame`s on the browser's fast paths:
 *
 * - to RGBA: `VideoFrame.copyTo({format: 'RGBA'})` (the browser's own YUV→RGB conversion);
 * - to I420 / NV12: a WebGL2 fragment shader that writes the planes' bytes, four per texel, into an
 *   RGBA8 render target read back in one `readPixels`. From RGB (or any layout WebGL can sample) the
 *   shader applies the BT.709 / BT.601 matrix and averages 2×2 blocks for chroma; between I420 and
 *   NV12 it only moves bytes (exact, from the source planes uploaded as an 8-bit texture).
 *
 * WebGL2 runs on the GPU where there is one and on SwiftShader otherwise. No per-pixel JavaScript.
 */

/** Layouts this module writes. */
export type TargetFormat = 'I420' | 'NV12' | 'RGBA';
/** YUV matrices for RGB → YUV. */
export type ColorMatrix = 'bt709' | 'bt601';

const VERTEX = `#version 300 es
void main() {
  vec2 p = vec2(float((gl_VertexID & 1) * 4 - 1), float((gl_VertexID & 2) * 2 - 1));
  gl_Position = vec4(p, 0.0, 1.0);
}`;

/** Luma: one output byte per fragment of a W×H R8 target, from an RGB texture. */
const LUMA = `#version 300 es
precision highp float;
uniform sampler2D rgb;
uniform vec4 ky;
out vec4 color;
void main() {
  color = vec4((dot(ky.rgb, texelFetch(rgb, ivec2(gl_FragCoord.xy), 0).rgb) + ky.a) / 255.0);
}`;

/**
 * Chroma: (U, V) per fragment of a ⌈W/2⌉×⌈H/2⌉ target (RG8 for NV12; R8 keeps the first, so
 * \`swap\` puts V first for I420's V plane). Sources: 0 = RGB texture, 2×2 blocks averaged;
 * 1 = U and V planes as two R8 textures; 2 = interleaved UV as one RG8 texture.
 */
const CHROMA = `#version 300 es
precision highp float;
uniform sampler2D planeA;
uniform sampler2D planeB;
uniform int source;
uniform bool swap;
uniform ivec2 size;
uniform vec4 ku;
uniform vec4 kv;
out vec4 color;
vec3 rgbAt(ivec2 p) { return texelFetch(planeA, min(p, size - 1), 0).rgb; }
void main() {
  ivec2 c = ivec2(gl_FragCoord.xy);
  vec2 uv;
  if (source == 0) {
    ivec2 p = c * 2;
    vec3 m = 0.25 * (rgbAt(p) + rgbAt(p + ivec2(1, 0)) + rgbAt(p + ivec2(0, 1)) + rgbAt(p + ivec2(1, 1)));
    uv = (vec2(dot(ku.rgb, m), dot(kv.rgb, m)) + vec2(ku.a, kv.a)) / 255.0;
  } else if (source == 1) {
    uv = vec2(texelFetch(planeA, c, 0).r, texelFetch(planeB, c, 0).r);
  } else {
    uv = texelFetch(planeA, c, 0).rg;
  }
  color = vec4(swap ? uv.yx : uv, 0.0, 1.0);
}`;

/** Luma and chroma weights for a matrix; rows are (r, g, b, offset) in 0–255 units of RGB 0–1. */
function matrixRows(matrix: ColorMatrix, fullRange: boolean): { y: number[]; u: number[]; v: number[] } {
  const [kr, kb] = matrix === 'bt709' ? [0.2126, 0.0722] : [0.299, 0.114];
  const kg = 1 - kr - kb;
  const ys = fullRange ? 255 : 219;
  const cs = fullRange ? 255 : 224;
  const yo = fullRange ? 0 : 16;
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

/** The matrix a YUV frame already uses, when it is one of the two this module writes. */
function matrixOf(frame: VideoFrame): ColorMatrix | undefined {
  const m = frame.colorSpace.matrix;
  if (m === 'bt709') return 'bt709';
  if (m === 'bt470bg' || m === 'smpte170m') return 'bt601';
  return undefined;
}

/** True for the formats whose bytes this module can move without a colour conversion. */
function isPlanar420(format: VideoPixelFormat | null): format is 'I420' | 'I420A' | 'NV12' {
  return format === 'I420' || format === 'I420A' || format === 'NV12';
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

/**
 * Converts frames to I420, NV12 or RGBA. Holds one WebGL2 context (made on first YUV use); call
 * `close()` to release it. The source frame stays owned by the caller.
 */
export class PixelConverter {
  #gl: WebGL2RenderingContext | undefined;
  #luma: Program | undefined;
  #chroma: Program | undefined;
  #textures: WebGLTexture[] = [];
  #framebuffer: WebGLFramebuffer | null = null;

  constructor(private readonly defaultMatrix: ColorMatrix = 'bt709') {}

  /** A new frame in `format` (a clone when the frame already is in it). */
  async convert(frame: VideoFrame, format: TargetFormat): Promise<VideoFrame> {
    if (frame.format === format) return frame.clone();
    if (format === 'RGBA') return this.#toRgba(frame);
    return this.#toYuv(frame, format);
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
    const options: VideoFrameCopyToOptions = { format: 'RGBA', colorSpace: 'srgb' };
    const bytes = new Uint8Array(frame.allocationSize(options));
    await frame.copyTo(bytes, options);
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
    const moveOnly = isPlanar420(frame.format);
    const matrix = (moveOnly ? matrixOf(frame) : undefined) ?? this.defaultMatrix;
    const fullRange = moveOnly ? frame.colorSpace.fullRange === true : false;
    const [texA, texB] = this.#textures;
    const chroma = this.#chroma;
    if (!texA || !texB || !chroma) throw new Error('WebGL2 resources are missing');
    gl.useProgram(chroma.program);
    const u = (name: string): WebGLUniformLocation | null => chroma.uniforms.get(name) ?? null;
    const rows = matrixRows(matrix, fullRange);

    if (moveOnly) {
      // Luma is copied as it is; the chroma planes go up as 8-bit textures and come back re-laid.
      const planes = new Uint8Array(lumaSize + 2 * chromaSize + (frame.format === 'I420A' ? lumaSize : 0));
      const layout: PlaneLayout[] =
        frame.format === 'NV12'
          ? [
              { offset: 0, stride: width },
              { offset: lumaSize, stride: cw * 2 },
            ]
          : [
              { offset: 0, stride: width },
              { offset: lumaSize, stride: cw },
              { offset: lumaSize + chromaSize, stride: cw },
            ];
      if (frame.format === 'I420A') layout.push({ offset: lumaSize + 2 * chromaSize, stride: width });
      await frame.copyTo(planes, { layout });
      out.set(planes.subarray(0, lumaSize));
      gl.pixelStorei(gl.UNPACK_ALIGNMENT, 1);
      gl.activeTexture(gl.TEXTURE0);
      gl.bindTexture(gl.TEXTURE_2D, texA);
      if (frame.format === 'NV12') {
        const uv = planes.subarray(lumaSize, lumaSize + 2 * chromaSize);
        gl.texImage2D(gl.TEXTURE_2D, 0, gl.RG8, cw, ch, 0, gl.RG, gl.UNSIGNED_BYTE, uv);
        gl.uniform1i(u('source'), 2);
      } else {
        const plane = (i: number): Uint8Array =>
          planes.subarray(lumaSize + i * chromaSize, lumaSize + (i + 1) * chromaSize);
        gl.texImage2D(gl.TEXTURE_2D, 0, gl.R8, cw, ch, 0, gl.RED, gl.UNSIGNED_BYTE, plane(0));
        gl.activeTexture(gl.TEXTURE1);
        gl.bindTexture(gl.TEXTURE_2D, texB);
        gl.texImage2D(gl.TEXTURE_2D, 0, gl.R8, cw, ch, 0, gl.RED, gl.UNSIGNED_BYTE, plane(1));
        gl.uniform1i(u('source'), 1);
      }
    } else {
      gl.activeTexture(gl.TEXTURE0);
      gl.bindTexture(gl.TEXTURE_2D, texA);
      gl.pixelStorei(gl.UNPACK_COLORSPACE_CONVERSION_WEBGL, gl.NONE);
      gl.pixelStorei(gl.UNPACK_PREMULTIPLY_ALPHA_WEBGL, false);
      gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA8, gl.RGBA, gl.UNSIGNED_BYTE, frame);
      gl.uniform1i(u('source'), 0);
      gl.uniform2i(u('size'), width, height);
      gl.uniform4fv(u('ku'), rows.u);
      gl.uniform4fv(u('kv'), rows.v);
      const luma = this.#luma;
      if (!luma) throw new Error('WebGL2 resources are missing');
      gl.useProgram(luma.program);
      gl.uniform4fv(luma.uniforms.get('ky') ?? null, rows.y);
      this.#render(gl.R8, gl.RED, width, height, out, 0);
      gl.useProgram(chroma.program);
    }

    if (format === 'NV12') {
      gl.uniform1i(u('swap'), 0);
      this.#render(gl.RG8, gl.RG, cw, ch, out, lumaSize);
    } else {
      gl.uniform1i(u('swap'), 0);
      this.#render(gl.R8, gl.RED, cw, ch, out, lumaSize);
      gl.uniform1i(u('swap'), 1);
      this.#render(gl.R8, gl.RED, cw, ch, out, lumaSize + chromaSize);
    }
    const error = gl.getError();
    if (error !== gl.NO_ERROR) throw new Error(`WebGL error ${error} while converting to ${format}`);
    return bufferFrame(out, {
      format,
      codedWidth: width,
      codedHeight: height,
      displayWidth: frame.displayWidth,
      displayHeight: frame.displayHeight,
      colorSpace: moveOnly ? frame.colorSpace.toJSON() : yuvColorSpace(matrix, fullRange),
      transfer: [out.buffer],
      ...frameInit(frame),
    });
  }

  /** Draws the current program into a fresh `internal` target and reads it into `out` at `offset`. */
  #render(internal: number, read: number, width: number, height: number, out: Uint8Array, offset: number): void {
    const gl = this.#gl;
    const target = this.#textures[2];
    if (!gl || !target) return;
    gl.activeTexture(gl.TEXTURE2);
    gl.bindTexture(gl.TEXTURE_2D, target);
    gl.texImage2D(gl.TEXTURE_2D, 0, internal, width, height, 0, read, gl.UNSIGNED_BYTE, null);
    gl.framebufferTexture2D(gl.FRAMEBUFFER, gl.COLOR_ATTACHMENT0, gl.TEXTURE_2D, target, 0);
    gl.viewport(0, 0, width, height);
    gl.drawArrays(gl.TRIANGLES, 0, 3);
    gl.readPixels(0, 0, width, height, read, gl.UNSIGNED_BYTE, out, offset);
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
    this.#luma = link(LUMA, ['rgb', 'ky']);
    this.#chroma = link(CHROMA, ['planeA', 'planeB', 'source', 'swap', 'size', 'ku', 'kv']);
    gl.useProgram(this.#luma.program);
    gl.uniform1i(this.#luma.uniforms.get('rgb') ?? null, 0);
    gl.useProgram(this.#chroma.program);
    gl.uniform1i(this.#chroma.uniforms.get('planeA') ?? null, 0);
    gl.uniform1i(this.#chroma.uniforms.get('planeB') ?? null, 1);
    this.#textures = [0, 1, 2].map((unit) => {
      const texture = gl.createTexture();
      gl.activeTexture(gl.TEXTURE0 + unit);
      gl.bindTexture(gl.TEXTURE_2D, texture);
      for (const p of [gl.TEXTURE_MIN_FILTER, gl.TEXTURE_MAG_FILTER]) gl.texParameteri(gl.TEXTURE_2D, p, gl.NEAREST);
      for (const p of [gl.TEXTURE_WRAP_S, gl.TEXTURE_WRAP_T]) gl.texParameteri(gl.TEXTURE_2D, p, gl.CLAMP_TO_EDGE);
      return texture;
    });
    this.#framebuffer = gl.createFramebuffer();
    gl.bindFramebuffer(gl.FRAMEBUFFER, this.#framebuffer);
    gl.pixelStorei(gl.PACK_ALIGNMENT, 1);
    this.#gl = gl;
    return gl;
  }
}
