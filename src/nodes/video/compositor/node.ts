/**
 * `video::compositor` (StreamKit's kind and params): draws the newest frame of each input, image
 * and text overlays onto one canvas, at a fixed frame rate.
 *
 * - **Oneshot** runs follow the media clock, so the output never depends on timing: output frame
 *   n is at n/fps from the earliest input timestamp and shows, per input, the newest frame whose
 *   timestamp is not later; it ends when every input has ended and its last frame has run out.
 * - **Dynamic** sessions follow the session clock: every 1/fps the node takes each input's newest
 *   frame (`latest()`, older ones dropped), keeps the last one of an input that sent nothing new,
 *   and sends; a tick that comes too late is skipped rather than bunched. Inputs may connect and
 *   disconnect while it runs; layers and overlays are tuned live.
 */
import type { InputPinSpec, InputPort, NodeContext, NodeIO, Packet, PacketType } from '../../../engine';
import { closePacket, defineNode, micros } from '../../../engine';
import { requireKind } from '../../media/require-kind';
import type { TargetFormat } from '../../media/pixel-formats';
import { PixelConverter } from '../../media/pixel-formats';
import { PIXEL_FORMATS } from '../pixel-convert';
import { CanvasBackend } from './canvas-backend';
import { PlanarBackend, planarMatrixFor } from './planar-backend';
import { WebGpuBackend } from './webgpu-backend';
import type { Size } from './layout';
import { planScene } from './layout';
import type { LoadedFont } from './overlays';
import { loadFont, loadImage } from './overlays';
import type { CompositorParams } from './params';
import { COMPOSITOR_LIVE_PARAMS, compositorParams } from './params';

/** Frames an input queues before the oldest is dropped (dynamic) or its sender waits (oneshot). */
const INPUT_QUEUE_FRAMES = 2;

const ACCEPTS: PacketType[] = [
  { kind: 'raw_video', pixel_format: 'RGBA' },
  { kind: 'raw_video', pixel_format: 'I420' },
  { kind: 'raw_video', pixel_format: 'NV12' },
  { kind: 'raw_video' },
];

function inputPin(name: string, cardinality: InputPinSpec['cardinality']): InputPinSpec {
  return {
    name,
    accepts: ACCEPTS,
    cardinality,
    required: false,
    queue: { capacity: INPUT_QUEUE_FRAMES, mode: 'best_effort', liveOnly: true },
    description: 'A video layer; an input that has sent nothing yet is not drawn.',
  };
}

/** The output layout for `output_format`; null keeps the canvas's own RGB layout. */
function targetOf(p: CompositorParams): TargetFormat | undefined {
  return p.output_format === null ? undefined : PIXEL_FORMATS[p.output_format];
}

/** The size a frame is drawn at (its display size). */
function sizeOf(frame: VideoFrame): Size {
  return { width: frame.displayWidth, height: frame.displayHeight };
}

/** Timestamp of a raw video packet. */
function timeOf(packet: Packet & { kind: 'raw_video' }): number {
  return packet.meta.timestamp ?? packet.frame.timestamp;
}

/** `video::compositor`: layers, overlays and a fixed output rate (see the module comment). */
export const compositor = defineNode({
  kind: 'video::compositor',
  version: 1,
  description:
    'Composites video inputs (in_0, in_1, …) and image/text overlays onto one canvas at a fixed fps: placement, opacity, z-order, rotation, mirroring, crop/zoom, circle crop.',
  categories: ['video', 'compositing'],
  params: compositorParams,
  liveParams: COMPOSITOR_LIVE_PARAMS,
  inputs: (p): InputPinSpec[] => [
    ...(p.num_inputs === 1
      ? [inputPin('in', 'one')]
      : Array.from({ length: p.num_inputs ?? 0 }, (_, i) => inputPin(`in_${i}`, 'one'))),
    inputPin('in', { dynamic: 'in' }),
  ],
  outputs: [{ name: 'out', produces: { kind: 'raw_video' }, cardinality: 'broadcast' }],
  negotiate: ({ params: p }) => {
    const format = targetOf(p);
    return new Map([
      ['out', { kind: 'raw_video', width: p.width, height: p.height, ...(format ? { pixel_format: format } : {}) }],
    ]);
  },
  async create(ctx) {
    const scene = new Scene(ctx, await gpuBackend(ctx));
    await scene.loadOverlays(ctx.params, AbortSignal.timeout(OVERLAY_LOAD_TIMEOUT_MS), true);
    return {
      run: (io) => (ctx.mode === 'oneshot' ? scene.runOneshot(io) : scene.runLive(io)),
      tune: (params) => scene.tune(params),
      close: () => scene.close(),
    };
  },
});

/**
 * The WebGPU backend when `gpu_mode` allows it and the session has a GPU (a hardware adapter:
 * software ones are slower than the CPU backends); `gpu` without one fails, saying why.
 */
async function gpuBackend(ctx: NodeContext<CompositorParams>): Promise<WebGpuBackend | undefined> {
  const mode = ctx.params.gpu_mode ?? 'auto';
  if (mode === 'cpu') return undefined;
  const gpu = await ctx.gpu();
  if (!gpu.device) {
    if (mode === 'gpu') throw ctx.error(`gpu_mode is 'gpu' but ${gpu.reason}; use 'auto' or 'cpu'`, { phase: 'start' });
    return undefined;
  }
  return new WebGpuBackend(gpu.device, ctx.params.width, ctx.params.height);
}

/** How long image and font loads may take before the node gives up on them. */
const OVERLAY_LOAD_TIMEOUT_MS = 30_000;

/** One input's frames: the one shown, and (oneshot) the next one read ahead. */
interface Lane {
  current: (Packet & { kind: 'raw_video' }) | undefined;
  next: (Packet & { kind: 'raw_video' }) | undefined;
  ended: boolean;
}

/** The compositor's state: params, overlay resources, the backend and the input lanes. */
class Scene {
  params: CompositorParams;
  readonly #backend: CanvasBackend;
  readonly #planar: PlanarBackend;
  readonly #converter = new PixelConverter('bt709');
  readonly #lanes = new Map<string, Lane>();
  #images: (ImageBitmap | undefined)[] = [];
  /** The source (asset path or inline data) of each decoded image. */
  #imageKeys: string[] = [];
  #fonts: (LoadedFont | undefined)[] = [];
  /** Bumped by each tune, so a slow overlay load does not overwrite a newer one. */
  #generation = 0;
  #sequence = 0;

  readonly #gpu: WebGpuBackend | undefined;

  constructor(
    private readonly ctx: NodeContext<CompositorParams>,
    gpu: WebGpuBackend | undefined,
  ) {
    this.params = ctx.params;
    this.#gpu = gpu;
    this.#backend = new CanvasBackend(ctx.params.width, ctx.params.height);
    this.#planar = new PlanarBackend(ctx.params.width, ctx.params.height);
  }

  /**
   * Decodes the image overlays and loads the fonts of `params`. At start a failure fails the node
   * (naming the overlay); on a live tune the old overlays stay and the failure is reported.
   */
  async loadOverlays(params: CompositorParams, signal: AbortSignal, strict: boolean): Promise<void> {
    const generation = ++this.#generation;
    const report = (what: string, error: unknown): undefined => {
      const message = `${what}: ${error instanceof Error ? error.message : String(error)}`;
      if (strict) throw this.ctx.error(message, { phase: 'start', cause: error });
      this.ctx.telemetry({ type_id: 'compositor.overlay_error', data: { message } });
      return undefined;
    };
    // An image whose source did not change is kept, not fetched and decoded again (overlays are
    // tuned on every step of a drag in the scene editor).
    const kept = new Map(this.#imageKeys.map((key, i) => [key, this.#images[i]]));
    const keys = params.image_overlays.map((o) => o.asset_path ?? `base64:${o.data_base64 ?? ''}`);
    const images = await Promise.all(
      params.image_overlays.map((o, i) => {
        const same = kept.get(keys[i] ?? '');
        if (same) return Promise.resolve(same);
        return loadImage(this.ctx, o, signal).catch((e: unknown) =>
          report(`image_overlays[${i}]${o.id ? ` (${o.id})` : ''}`, e),
        );
      }),
    );
    const reused = new Set(kept.values());
    const fonts = await Promise.all(
      params.text_overlays.map((o, i) =>
        loadFont(this.ctx, o.font_name, signal).catch((e: unknown) =>
          report(`text_overlays[${i}]${o.id ? ` (${o.id})` : ''}.font_name`, e),
        ),
      ),
    );
    if (generation !== this.#generation) {
      for (const image of images) if (image && !reused.has(image)) image.close();
      return;
    }
    for (const image of this.#images) if (image && !images.includes(image)) image.close();
    this.#images = images;
    this.#imageKeys = keys;
    this.#fonts = fonts;
    // The overlays and their resources change together (a superseded load changes neither).
    this.params = { ...this.params, image_overlays: params.image_overlays, text_overlays: params.text_overlays };
  }

  tune(params: CompositorParams): void {
    const old = this.params;
    // Layers take effect on the next frame; overlays once their images and fonts are loaded.
    this.params = { ...old, layers: params.layers };
    const overlaysChanged =
      JSON.stringify([old.image_overlays, old.text_overlays]) !==
      JSON.stringify([params.image_overlays, params.text_overlays]);
    if (!overlaysChanged) return;
    void this.loadOverlays(params, AbortSignal.timeout(OVERLAY_LOAD_TIMEOUT_MS), false);
  }

  /** Draws the current frames and sends the result at `timestamp`. */
  async #emit(io: NodeIO, timestamp: number, duration: number): Promise<void> {
    const frames = new Map<string, VideoFrame>();
    for (const [pin, lane] of this.#lanes) if (lane.current) frames.set(pin, lane.current.frame);
    const plan = planScene(
      this.params,
      [...frames].map(([pin, frame]) => ({ pin, size: sizeOf(frame) })),
      this.#images.map((image) => (image ? { width: image.width, height: image.height } : undefined)),
    );
    const sources = { frames, images: this.#images, fonts: this.#fonts };
    const init = { timestamp, duration };
    const target = targetOf(this.params);
    // On the GPU when there is one; else YUV inputs composite in YUV (no conversion either way)
    // unless RGBA output is asked for, and others on the canvas.
    const matrix = this.#gpu || target === 'RGBA' ? undefined : planarMatrixFor(plan, frames);
    let frame: VideoFrame;
    if (this.#gpu) frame = await this.#convert(await this.#gpu.render(plan, sources, init), target);
    else if (matrix) {
      frame = await this.#planar.render(plan, sources, matrix, target === 'NV12' ? 'NV12' : 'I420', init);
    } else frame = await this.#convert(this.#backend.render(plan, sources, init), target);
    const sequence = this.#sequence++;
    await io.output('out').send({
      kind: 'raw_video',
      frame,
      meta: { timestamp: micros(timestamp), duration: micros(duration), sequence },
    });
  }

  /** `drawn` in the output format (it is closed when converted), or itself when none is asked. */
  async #convert(drawn: VideoFrame, target: TargetFormat | undefined): Promise<VideoFrame> {
    if (!target) return drawn;
    try {
      return await this.#converter.convert(drawn, target);
    } finally {
      drawn.close();
    }
  }

  #lane(pin: string): Lane {
    let lane = this.#lanes.get(pin);
    if (!lane) {
      lane = { current: undefined, next: undefined, ended: false };
      this.#lanes.set(pin, lane);
    }
    return lane;
  }

  #accept(pin: string, packet: Packet): Packet & { kind: 'raw_video' } {
    requireKind(this.ctx, packet, 'raw_video', pin);
    return packet;
  }

  /** Reads ahead on `input` until its next frame is later than `t` (or it ended). */
  async #advance(pin: string, input: InputPort, t: number): Promise<void> {
    const lane = this.#lane(pin);
    for (;;) {
      if (!lane.next && !lane.ended) {
        const packet = await input.recv();
        if (packet) lane.next = this.#accept(pin, packet);
        else lane.ended = true;
      }
      if (!lane.next || timeOf(lane.next) > t) return;
      if (lane.current) closePacket(lane.current);
      lane.current = lane.next;
      lane.next = undefined;
    }
  }

  async runOneshot(io: NodeIO): Promise<void> {
    const frameUs = 1_000_000 / this.params.fps;
    const pins = io.connectedInputs();
    // The output starts at the earliest first frame of any input.
    await Promise.all(pins.map((pin) => this.#advance(pin, io.input(pin), -Infinity)));
    const firsts = [...this.#lanes.values()].flatMap((l) => (l.next ? [timeOf(l.next)] : []));
    if (firsts.length === 0) return;
    const origin = Math.min(...firsts);
    for (let n = 0; ; n++) {
      const t = origin + Math.round(n * frameUs);
      for (const pin of pins) await this.#advance(pin, io.input(pin), t);
      const lanes = [...this.#lanes.values()];
      const lastEnd = Math.max(
        ...lanes.map((l) => (l.current ? timeOf(l.current) + (l.current.meta.duration ?? frameUs) : -Infinity)),
      );
      if (lanes.every((l) => l.ended && !l.next) && t >= lastEnd) return;
      await this.#emit(io, t - origin, Math.round((n + 1) * frameUs) - Math.round(n * frameUs));
    }
  }

  async runLive(io: NodeIO): Promise<void> {
    const { clock } = this.ctx;
    const frameUs = 1_000_000 / this.params.fps;
    let origin: number | undefined;
    let n = 0;
    for (;;) {
      let open = 0;
      for (const pin of io.connectedInputs()) {
        const input = io.input(pin);
        const lane = this.#lane(pin);
        const packet = input.connected ? input.latest() : undefined;
        if (packet) {
          if (lane.current) closePacket(lane.current);
          lane.current = this.#accept(pin, packet);
        } else if (packet === undefined) {
          // Ended or disconnected: the layer goes away.
          if (lane.current) closePacket(lane.current);
          this.#lanes.delete(pin);
          continue;
        }
        open++;
      }
      const drawing = [...this.#lanes.values()].some((l) => l.current);
      if (origin === undefined && drawing) origin = clock.now();
      if (origin !== undefined) {
        if (open === 0 && !drawing) return; // every input has ended
        await this.#emit(io, Math.round(n * frameUs), Math.round(frameUs));
        // Skip ticks already past (a slow consumer or a busy machine): the rate holds, frames drop.
        n = Math.max(n + 1, Math.floor((clock.now() - origin) / frameUs));
      }
      const due = origin === undefined ? frameUs : origin + n * frameUs - clock.now();
      await clock.sleep(micros(Math.max(0, Math.round(due))), io.signal);
    }
  }

  close(): void {
    for (const lane of this.#lanes.values()) {
      if (lane.current) closePacket(lane.current);
      if (lane.next) closePacket(lane.next);
    }
    this.#lanes.clear();
    for (const image of this.#images) image?.close();
    this.#images = [];
    this.#backend.close();
    this.#planar.close();
    this.#gpu?.close();
    this.#converter.close();
  }
}
