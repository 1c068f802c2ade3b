/**
 * The compositor's WebGPU backend: each draw of the plan is one quad, rotated and mirrored in
 * the vertex shader, cropped, circle-masked and blended (premultiplied) in the fragment shader,
 * sampling bilinearly as the Canvas2D backend does. Input frames are copied into textures with
 * `copyExternalImageToTexture` (the browser's own YUV→RGB on the GPU), falling back to an RGBA
 * copy where the adapter cannot import frames; overlays are drawn once with Canvas2D into a
 * texture. The output is rendered into a WebGPU canvas and handed out as a `VideoFrame` of it,
 * with no read-back to the CPU (an encoder takes it as it is).
 */
import type { Draw, TextDraw } from './layout';
import type { SceneSources } from './canvas-backend';
import { drawText } from './canvas-backend';
import type { LoadedFont } from './overlays';

/** WebGPU usage flags (the spec's values; TypeScript's DOM library lacks the constants). */
const TEXTURE_USAGE = { COPY_DST: 0x02, TEXTURE_BINDING: 0x04, RENDER_ATTACHMENT: 0x10 } as const;
const BUFFER_USAGE = { COPY_DST: 0x08, UNIFORM: 0x40 } as const;
const STAGE = { VERTEX: 0x1, FRAGMENT: 0x2 } as const;

/** Bytes per draw's uniforms, at WebGPU's minimum dynamic-offset alignment. */
const UNIFORM_STRIDE = 256;
/** Draws one frame may hold (layers and overlays together). */
const MAX_DRAWS = 160;

const SHADER = /* wgsl */ `
struct Draw {
  dst: vec4f,      // x, y, width, height in canvas px
  canvas: vec2f,   // canvas width, height
  rot: vec2f,      // cos, sin of the clockwise rotation
  src: vec4f,      // source region: x, y, width, height in 0–1 texture units
  opacity: f32,
  circle: f32,
  mirror: vec2f,
  aa: f32,         // 1: antialiased edges (0 matches Canvas2D's software raster)
};
@group(0) @binding(0) var<uniform> d: Draw;
@group(0) @binding(1) var samp: sampler;
@group(0) @binding(2) var tex: texture_2d<f32>;

struct VOut {
  @builtin(position) pos: vec4f,
  @location(0) local: vec2f,
};

@vertex fn vs(@builtin(vertex_index) i: u32) -> VOut {
  // Antialiased quads reach half a pixel past the rect, for the edge pixels' partial coverage.
  let grow = d.aa * 0.5;
  let corner = vec2f(f32(i & 1u), f32((i >> 1u) & 1u)) * (d.dst.zw + 2.0 * grow) / d.dst.zw - grow / d.dst.zw;
  let p = (corner - 0.5) * d.dst.zw;
  let r = vec2f(p.x * d.rot.x - p.y * d.rot.y, p.x * d.rot.y + p.y * d.rot.x);
  let c = d.dst.xy + d.dst.zw * 0.5 + r;
  var out: VOut;
  out.pos = vec4f(c.x / d.canvas.x * 2.0 - 1.0, 1.0 - c.y / d.canvas.y * 2.0, 0.0, 1.0);
  out.local = corner;
  return out;
}

@fragment fn fs(v: VOut) -> @location(0) vec4f {
  let px = v.local * d.dst.zw;
  let edge = clamp(min(px, d.dst.zw - px) + 0.5, vec2f(0.0), vec2f(1.0));
  let coverage = select(1.0, edge.x * edge.y, d.aa > 0.5);
  var uv = clamp(v.local, vec2f(0.0), vec2f(1.0));
  if (d.circle > 0.5) {
    let e = (uv - 0.5) * d.dst.zw;
    let radius = min(d.dst.z, d.dst.w) * 0.5;
    if (dot(e, e) > radius * radius) { discard; }
  }
  if (d.mirror.x > 0.5) { uv.x = 1.0 - uv.x; }
  if (d.mirror.y > 0.5) { uv.y = 1.0 - uv.y; }
  let c = textureSampleLevel(tex, samp, d.src.xy + uv * d.src.zw, 0.0);
  return c * (d.opacity * coverage);
}
`;

/** A texture holding one source, and what it was made from. */
interface Slot {
  texture: GPUTexture;
  /** Its bind group (uniforms at a dynamic offset per draw, the sampler, the texture), made once. */
  bindGroup: GPUBindGroup;
  width: number;
  height: number;
  from: object | string;
}

/** Composites scene plans with WebGPU and hands out frames of its canvas. */
export class WebGpuBackend {
  readonly name = 'webgpu';
  readonly #device: GPUDevice;
  readonly #canvas: OffscreenCanvas;
  readonly #context: GPUCanvasContext;
  readonly #layout: GPUBindGroupLayout;
  readonly #pipeline: GPURenderPipeline;
  readonly #sampler: GPUSampler;
  readonly #uniforms: GPUBuffer;
  readonly #slots = new Map<string, Slot>();
  /** Whether frames can be copied as external images on this adapter (learnt on first try). */
  #external: boolean | undefined;

  constructor(device: GPUDevice, width: number, height: number) {
    this.#device = device;
    this.#canvas = new OffscreenCanvas(width, height);
    const context = this.#canvas.getContext('webgpu') as GPUCanvasContext | null;
    if (!context) throw new Error('this browser gives no WebGPU canvas context');
    this.#context = context;
    const format = navigator.gpu.getPreferredCanvasFormat();
    context.configure({ device, format, alphaMode: 'opaque', usage: TEXTURE_USAGE.RENDER_ATTACHMENT });
    const module = device.createShaderModule({ code: SHADER });
    this.#layout = device.createBindGroupLayout({
      entries: [
        { binding: 0, visibility: STAGE.VERTEX | STAGE.FRAGMENT, buffer: { hasDynamicOffset: true } },
        { binding: 1, visibility: STAGE.FRAGMENT, sampler: {} },
        { binding: 2, visibility: STAGE.FRAGMENT, texture: {} },
      ],
    });
    this.#pipeline = device.createRenderPipeline({
      layout: device.createPipelineLayout({ bindGroupLayouts: [this.#layout] }),
      vertex: { module, entryPoint: 'vs' },
      fragment: {
        module,
        entryPoint: 'fs',
        targets: [
          {
            format,
            blend: {
              color: { srcFactor: 'one', dstFactor: 'one-minus-src-alpha' },
              alpha: { srcFactor: 'one', dstFactor: 'one-minus-src-alpha' },
            },
          },
        ],
      },
      primitive: { topology: 'triangle-strip' },
    });
    this.#sampler = device.createSampler({ magFilter: 'linear', minFilter: 'linear' });
    this.#uniforms = device.createBuffer({
      size: UNIFORM_STRIDE * MAX_DRAWS,
      usage: BUFFER_USAGE.UNIFORM | BUFFER_USAGE.COPY_DST,
    });
  }

  /** Draws `plan` and returns the canvas as a new frame (owned by the caller). */
  async render(
    plan: readonly Draw[],
    sources: SceneSources,
    init: { timestamp: number; duration: number },
  ): Promise<VideoFrame> {
    const device = this.#device;
    const W = this.#canvas.width;
    const H = this.#canvas.height;
    const draws: { slot: Slot; src: [number, number, number, number]; d: Draw }[] = [];
    const used = new Set<string>();
    for (const d of plan.slice(0, MAX_DRAWS)) {
      const key = d.type === 'layer' ? `layer:${d.pin}` : `${d.type}:${d.index}`;
      const slot = await this.#source(key, d, sources);
      if (!slot) continue;
      used.add(key);
      const src: [number, number, number, number] =
        d.type === 'layer'
          ? [d.src.sx / slot.width, d.src.sy / slot.height, d.src.sw / slot.width, d.src.sh / slot.height]
          : [0, 0, 1, 1];
      draws.push({ slot, src, d });
    }
    for (const [key, slot] of this.#slots) {
      if (!used.has(key)) {
        slot.texture.destroy();
        this.#slots.delete(key);
      }
    }
    const data = new Float32Array((UNIFORM_STRIDE / 4) * Math.max(1, draws.length));
    draws.forEach(({ src, d }, i) => {
      const o = (i * UNIFORM_STRIDE) / 4;
      data.set(
        [
          d.dst.x,
          d.dst.y,
          d.dst.width,
          d.dst.height,
          W,
          H,
          Math.cos(d.rotation),
          Math.sin(d.rotation),
          ...src,
          d.opacity,
          d.type === 'layer' && d.circle ? 1 : 0,
          d.mirrorH ? 1 : 0,
          d.mirrorV ? 1 : 0,
          0, // hard edges by pixel centres, as Canvas2D's software raster draws (the reference)
        ],
        o,
      );
    });
    device.queue.writeBuffer(this.#uniforms, 0, data);
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginRenderPass({
      colorAttachments: [
        {
          view: this.#context.getCurrentTexture().createView(),
          clearValue: { r: 0, g: 0, b: 0, a: 1 },
          loadOp: 'clear',
          storeOp: 'store',
        },
      ],
    });
    pass.setPipeline(this.#pipeline);
    draws.forEach(({ slot }, i) => {
      pass.setBindGroup(0, slot.bindGroup, [i * UNIFORM_STRIDE]);
      pass.draw(4);
    });
    pass.end();
    device.queue.submit([encoder.finish()]);
    return new VideoFrame(this.#canvas, { ...init, alpha: 'discard' });
  }

  /** The texture of a draw's source, uploaded when it changed. */
  async #source(key: string, d: Draw, sources: SceneSources): Promise<Slot | undefined> {
    if (d.type === 'layer') {
      const frame = sources.frames.get(d.pin);
      if (!frame) return undefined;
      const slot = this.#slot(key, frame.displayWidth, frame.displayHeight);
      if (slot.from !== frame) {
        await this.#upload(frame, slot);
        slot.from = frame;
      }
      return slot;
    }
    if (d.type === 'image') {
      const image = sources.images[d.index];
      if (!image) return undefined;
      const slot = this.#slot(key, image.width, image.height);
      if (slot.from !== image) {
        this.#device.queue.copyExternalImageToTexture(
          { source: image },
          { texture: slot.texture, premultipliedAlpha: true },
          [image.width, image.height],
        );
        slot.from = image;
      }
      return slot;
    }
    const font = sources.fonts[d.index];
    if (!font) return undefined;
    const width = Math.max(1, Math.round(d.dst.width));
    const height = Math.max(1, Math.round(d.dst.height));
    const look = JSON.stringify([d.overlay, font, width, height]);
    const slot = this.#slot(key, width, height);
    if (slot.from !== look) {
      const bitmap = rasterizeText(d, font, width, height);
      this.#device.queue.copyExternalImageToTexture(
        { source: bitmap },
        { texture: slot.texture, premultipliedAlpha: true },
        [width, height],
      );
      bitmap.close();
      slot.from = look;
    }
    return slot;
  }

  /** The slot `key` as a texture of `width`×`height` (remade when the size changes). */
  #slot(key: string, width: number, height: number): Slot {
    const old = this.#slots.get(key);
    if (old && old.width === width && old.height === height) return old;
    old?.texture.destroy();
    const texture = this.#device.createTexture({
      size: [width, height],
      format: 'rgba8unorm',
      usage: TEXTURE_USAGE.TEXTURE_BINDING | TEXTURE_USAGE.COPY_DST | TEXTURE_USAGE.RENDER_ATTACHMENT,
    });
    const bindGroup = this.#device.createBindGroup({
      layout: this.#layout,
      entries: [
        { binding: 0, resource: { buffer: this.#uniforms, offset: 0, size: UNIFORM_STRIDE } },
        { binding: 1, resource: this.#sampler },
        { binding: 2, resource: texture.createView() },
      ],
    });
    const slot: Slot = {
      texture,
      bindGroup,
      width,
      height,
      from: '',
    };
    this.#slots.set(key, slot);
    return slot;
  }

  /** Copies a frame into a texture: as an external image where the adapter can, else through RGBA bytes. */
  async #upload(frame: VideoFrame, slot: Slot): Promise<void> {
    const size: [number, number] = [slot.width, slot.height];
    if (this.#external !== false) {
      try {
        this.#device.queue.copyExternalImageToTexture({ source: frame }, { texture: slot.texture }, size);
        this.#external = true;
        return;
      } catch (error) {
        if (this.#external === true) throw error;
        this.#external = false; // this adapter cannot import frames (e.g. SwiftShader without Vulkan)
      }
    }
    const options: VideoFrameCopyToOptions = { format: 'RGBA', colorSpace: 'srgb' };
    const bytes = new Uint8Array(frame.allocationSize(options));
    await frame.copyTo(bytes, options);
    this.#device.queue.writeTexture({ texture: slot.texture }, bytes, { bytesPerRow: slot.width * 4 }, size);
  }

  close(): void {
    for (const slot of this.#slots.values()) slot.texture.destroy();
    this.#slots.clear();
    this.#uniforms.destroy();
    this.#context.unconfigure();
  }
}

/** A text overlay drawn unrotated at its rect's size (rotation and mirroring happen on the GPU). */
function rasterizeText(d: TextDraw, font: LoadedFont, width: number, height: number): ImageBitmap {
  const canvas = new OffscreenCanvas(width, height);
  const g = canvas.getContext('2d');
  if (!g) throw new Error('this browser gives no 2D canvas context for text');
  drawText(g, d.overlay, font, 0, 0, width);
  return canvas.transferToImageBitmap();
}
