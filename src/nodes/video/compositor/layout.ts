/**
 * The compositor's scene as data: from the params and the inputs that have a frame, the ordered
 * list of things to draw, each with its source region and canvas rectangle. Pure (no canvas, no
 * GPU), so every backend draws the same plan and tests can check the geometry alone.
 */
import type { CompositorParams, ImageOverlay, LayerConfig, Rect, TextOverlay } from './params';
import { layerConfig } from './params';

/** A width and height in px. */
export interface Size {
  width: number;
  height: number;
}

/** A region of a source, in source px (fractional: crops need not land on whole pixels). */
export interface SourceRegion {
  sx: number;
  sy: number;
  sw: number;
  sh: number;
}

/** A canvas rectangle in px (fractional after aspect fitting). */
export interface CanvasRect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Placement every draw shares. */
export interface Placement {
  dst: CanvasRect;
  opacity: number;
  /** Clockwise radians about the centre of `dst`. */
  rotation: number;
  mirrorH: boolean;
  mirrorV: boolean;
  z: number;
}

/** One input's newest frame, drawn from `src` into `dst`. */
export interface LayerDraw extends Placement {
  type: 'layer';
  pin: string;
  src: SourceRegion;
  /** Clip to the circle inscribed in `dst`. */
  circle: boolean;
}

/** An image overlay (index into `image_overlays`). */
export interface ImageDraw extends Placement {
  type: 'image';
  index: number;
}

/** A text overlay (index into `text_overlays`); `dst` is its rect, text starts at its top left. */
export interface TextDraw extends Placement {
  type: 'text';
  index: number;
  overlay: TextOverlay;
}

export type Draw = LayerDraw | ImageDraw | TextDraw;

/** Fraction of the canvas side an unconfigured picture-in-picture input takes (StreamKit: a third). */
const AUTO_PIP_FRACTION = 1 / 3;
/** Gap between an unconfigured PiP and the canvas corner, in px (StreamKit's). */
const AUTO_PIP_MARGIN = 20;

const DEFAULT_LAYER: LayerConfig = layerConfig.parse({});

/** The input index of a pin (`in` and `in_0` are 0, `in_3` is 3); unknown names sort last. */
export function pinIndex(pin: string): number {
  if (pin === 'in') return 0;
  const m = /^in_(\d+)$/.exec(pin);
  return m ? Number(m[1]) : Number.MAX_SAFE_INTEGER;
}

/** Input pins in drawing order of their index (ties keep their given order). */
export function sortPins(pins: readonly string[]): string[] {
  return [...pins].sort((a, b) => pinIndex(a) - pinIndex(b));
}

/**
 * The layer of `pin`, the `position`-th of the inputs: its entry in `layers` (`in` and `in_0` name
 * the same first input), else StreamKit's defaults: the first fills the canvas, later ones are a
 * third-size picture-in-picture in the bottom-right corner, above it.
 */
export function layerOf(params: CompositorParams, pin: string, position: number): LayerConfig {
  const aliases = pinIndex(pin) === 0 ? [pin, 'in', 'in_0'] : [pin];
  for (const name of aliases) {
    const layer = params.layers[name];
    if (layer) return layer;
  }
  if (position === 0) return DEFAULT_LAYER;
  const width = Math.floor(params.width * AUTO_PIP_FRACTION);
  const height = Math.floor(params.height * AUTO_PIP_FRACTION);
  return {
    ...DEFAULT_LAYER,
    rect: {
      x: params.width - width - AUTO_PIP_MARGIN,
      y: params.height - height - AUTO_PIP_MARGIN,
      width,
      height,
    },
    aspect_fit: true,
    z_index: position,
  };
}

/** The part of a `size` source that a zoom of `zoom` centred at (`cx`, `cy`) (0–1) shows, kept inside it. */
export function cropRegion(size: Size, zoom: number, cx: number, cy: number): SourceRegion {
  const sw = size.width / zoom;
  const sh = size.height / zoom;
  const sx = Math.min(Math.max(cx * size.width - sw / 2, 0), size.width - sw);
  const sy = Math.min(Math.max(cy * size.height - sh / 2, 0), size.height - sh);
  return { sx, sy, sw, sh };
}

/** The largest rectangle of the aspect ratio of `content` inside `bounds`, centred. */
export function fitInside(content: Size, bounds: Rect): CanvasRect {
  if (content.width <= 0 || content.height <= 0 || bounds.width <= 0 || bounds.height <= 0) return { ...bounds };
  const scale = Math.min(bounds.width / content.width, bounds.height / content.height);
  const width = content.width * scale;
  const height = content.height * scale;
  return {
    x: bounds.x + (bounds.width - width) / 2,
    y: bounds.y + (bounds.height - height) / 2,
    width,
    height,
  };
}

/** Placement of an overlay's flattened transform. */
function placementOf(
  o: Pick<ImageOverlay, 'opacity' | 'rotation_degrees' | 'mirror_horizontal' | 'mirror_vertical' | 'z_index'>,
  dst: CanvasRect,
): Placement {
  return {
    dst,
    opacity: o.opacity,
    rotation: (o.rotation_degrees * Math.PI) / 180,
    mirrorH: o.mirror_horizontal,
    mirrorV: o.mirror_vertical,
    z: o.z_index,
  };
}

/**
 * What to draw, bottom first: input layers (those with a frame), then image and text overlays,
 * ordered by `z_index`; equal z keeps that order (inputs by index, overlays as listed).
 * `inputs` are the pins with a frame and its size; `images` the decoded size of each image overlay
 * (undefined while loading or when it failed: not drawn).
 */
export function planScene(
  params: CompositorParams,
  inputs: readonly { pin: string; size: Size }[],
  images: readonly (Size | undefined)[],
): Draw[] {
  const canvas: Rect = { x: 0, y: 0, width: params.width, height: params.height };
  const draws: Draw[] = [];
  sortPins(inputs.map((i) => i.pin)).forEach((pin, position) => {
    const size = inputs.find((i) => i.pin === pin)?.size;
    if (!size || size.width <= 0 || size.height <= 0) return;
    const layer = layerOf(params, pin, position);
    const src = cropRegion(size, layer.crop_zoom, layer.crop_x, layer.crop_y);
    const bounds = layer.rect ?? canvas;
    const dst = layer.aspect_fit ? fitInside({ width: src.sw, height: src.sh }, bounds) : { ...bounds };
    if (dst.width <= 0 || dst.height <= 0 || layer.opacity <= 0) return;
    draws.push({
      type: 'layer',
      pin,
      src,
      circle: layer.crop_shape === 'circle',
      ...placementOf(layer, dst),
    });
  });
  params.image_overlays.forEach((overlay, index) => {
    const size = images[index];
    if (!size || overlay.opacity <= 0) return;
    draws.push({ type: 'image', index, ...placementOf(overlay, fitInside(size, overlay.rect)) });
  });
  params.text_overlays.forEach((overlay, index) => {
    if (overlay.text === '' || overlay.opacity <= 0) return;
    draws.push({ type: 'text', index, overlay, ...placementOf(overlay, { ...overlay.rect }) });
  });
  // A stable sort keeps inputs, then images, then texts in their order within one z.
  return draws.sort((a, b) => a.z - b.z);
}
