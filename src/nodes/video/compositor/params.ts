/**
 * `video::compositor` params in StreamKit's shapes (LayerConfig, image and text overlays), with
 * StreamKit's server limits. Unknown fields are refused, as StreamKit's `deny_unknown_fields` does.
 */
import { z } from 'zod';

/** Largest canvas side (StreamKit's `max_canvas_dimension`). */
export const MAX_CANVAS_DIMENSION = 7680;
/** Largest text size in px (StreamKit's `max_font_size`). */
export const MAX_FONT_SIZE = 4096;
/** Longest overlay text (StreamKit's `max_text_length`). */
export const MAX_TEXT_LENGTH = 10_000;
/** Most inputs one compositor takes. */
export const MAX_INPUTS = 16;

/** A rectangle on the canvas, in px; it may reach outside the canvas (what is outside is not drawn). */
const rect = z.strictObject({
  x: z.number().int(),
  y: z.number().int(),
  width: z.number().int().min(0).max(MAX_CANVAS_DIMENSION),
  height: z.number().int().min(0).max(MAX_CANVAS_DIMENSION),
});
export type Rect = z.infer<typeof rect>;

/** Placement fields shared by layers and overlays. */
const transform = {
  opacity: z.number().min(0).max(1).default(1),
  z_index: z.number().int().default(0),
  /** Clockwise, about the centre of the drawn rectangle. */
  rotation_degrees: z.number().min(-3600).max(3600).default(0),
  mirror_horizontal: z.boolean().default(false),
  mirror_vertical: z.boolean().default(false),
};

/** How one input pin is drawn. */
export const layerConfig = z.strictObject({
  /** Where on the canvas; null fills the canvas. */
  rect: rect.nullable().default(null),
  /** Keep the source's aspect ratio inside `rect` (centred, bars left transparent). */
  aspect_fit: z.boolean().default(true),
  ...transform,
  /** Zoom into the source (1 = all of it). */
  crop_zoom: z.number().min(1).max(100).default(1),
  /** Centre of the zoomed region, 0–1 of the source's width and height. */
  crop_x: z.number().min(0).max(1).default(0.5),
  crop_y: z.number().min(0).max(1).default(0.5),
  /** `circle` shows the layer inside the largest circle its rectangle holds. */
  crop_shape: z.enum(['rect', 'circle']).default('rect'),
});
export type LayerConfig = z.infer<typeof layerConfig>;

/** An image drawn over the video, fitted into its rect with its aspect ratio kept. */
const imageOverlay = z
  .strictObject({
    id: z.string().max(200).optional(),
    /** An asset path (e.g. `images/logo.png`), read through the host's asset service. */
    asset_path: z.string().max(512).optional(),
    /** The image bytes inline (StreamKit's older form). */
    data_base64: z.string().optional(),
    rect,
    ...transform,
  })
  .refine((o) => (o.asset_path === undefined) !== (o.data_base64 === undefined), {
    message: 'give an image overlay exactly one of asset_path or data_base64',
  });
export type ImageOverlay = z.infer<typeof imageOverlay>;

/** Text drawn over the video, from the rect's top-left corner, clipped to the rect. */
const textOverlay = z.strictObject({
  id: z.string().max(200).optional(),
  text: z.string().max(MAX_TEXT_LENGTH),
  rect,
  ...transform,
  /** RGBA, 0–255 each. */
  color: z.array(z.number().int().min(0).max(255)).length(4).default([255, 255, 255, 255]),
  font_size: z.number().int().min(1).max(MAX_FONT_SIZE).default(24),
  /** A font asset path (TTF, OTF, WOFF2); null uses the bundled DejaVu Sans. */
  font_name: z.string().max(512).nullable().default(null),
  /** Wrap lines at the rect's width. */
  word_wrap: z.boolean().default(false),
});
export type TextOverlay = z.infer<typeof textOverlay>;

export const compositorParams = z.strictObject({
  width: z.number().int().min(2).max(MAX_CANVAS_DIMENSION).default(1280),
  height: z.number().int().min(2).max(MAX_CANVAS_DIMENSION).default(720),
  fps: z.number().int().min(1).max(240).default(30),
  /** Inputs made up front: `in` for one, `in_0` … `in_{N-1}` for more. Others may connect as `in_N`. */
  num_inputs: z.number().int().min(1).max(MAX_INPUTS).nullable().default(null),
  /** Per input pin (`in_0`, …; `in` for a lone input). Pins without an entry: first fills, others PiP. */
  layers: z.record(z.string(), layerConfig).default({}),
  image_overlays: z.array(imageOverlay).max(64).default([]),
  text_overlays: z.array(textOverlay).max(64).default([]),
  /** Layout of the frames sent: rgba8 (default), nv12 or i420. */
  output_format: z.enum(['rgba8', 'nv12', 'i420']).nullable().default(null),
  /** auto: WebGPU on a hardware adapter, else the CPU; gpu: require WebGPU; cpu: always the CPU. */
  gpu_mode: z.enum(['auto', 'gpu', 'cpu']).nullable().default(null),
});
export type CompositorParams = z.infer<typeof compositorParams>;

/** Layers and overlays change while running; the canvas, rate and format are negotiated, so fixed. */
export const COMPOSITOR_LIVE_PARAMS = ['layers', 'image_overlays', 'text_overlays'] as const;
