/**
 * The scene editor's model of a `video::compositor` node: the layers and overlays its params
 * describe, as boxes on the canvas, and edits to them as new param values. Pure functions over
 * the params as written in the pipeline (defaults left out stay out), so the YAML and the editor
 * stay two views of one thing.
 */
import { layerOf, sortPins } from '../nodes/video/compositor/layout';
import type { CompositorParams, Rect } from '../nodes/video/compositor/params';
import { compositorParams } from '../nodes/video/compositor/params';

/** Params as the pipeline holds them. */
export type RawParams = Record<string, unknown>;

/** One box of the scene. */
export interface SceneItem {
  /** Stable key: `layer:in_0`, `image:2`, `text:0`. */
  key: string;
  kind: 'layer' | 'image' | 'text';
  /** The input pin (layers) or the overlay's index (overlays). */
  pin?: string;
  index?: number;
  label: string;
  rect: Rect;
  z: number;
  opacity: number;
  rotation: number;
  mirrorH: boolean;
  mirrorV: boolean;
  /** Layers only. */
  circle: boolean;
  cropZoom: number;
  cropX: number;
  cropY: number;
  /** Text overlays only. */
  text?: string;
  fontSize?: number;
}

/** The params' layer and overlay fields that the editor writes. */
export type SceneParam = 'layers' | 'image_overlays' | 'text_overlays';

/** An edit: which param changes, and its new value. */
export interface SceneEdit {
  param: SceneParam;
  value: unknown;
}

/** The params with defaults, or the reason they do not parse (the editor then shows it). */
export function parseScene(raw: RawParams): { params: CompositorParams } | { error: string } {
  const parsed = compositorParams.safeParse(raw);
  if (parsed.success) return { params: parsed.data };
  const issue = parsed.error.issues[0];
  return { error: `${issue?.path.join('.') ?? 'params'}: ${issue?.message ?? 'invalid'}` };
}

/** The scene's boxes, bottom first, for the input pins connected to the node. */
export function sceneItems(params: CompositorParams, pins: readonly string[]): SceneItem[] {
  const canvas: Rect = { x: 0, y: 0, width: params.width, height: params.height };
  const items: SceneItem[] = sortPins(pins).map((pin, position) => {
    const layer = layerOf(params, pin, position);
    return {
      key: `layer:${pin}`,
      kind: 'layer',
      pin,
      label: pin,
      rect: layer.rect ?? canvas,
      z: layer.z_index,
      opacity: layer.opacity,
      rotation: layer.rotation_degrees,
      mirrorH: layer.mirror_horizontal,
      mirrorV: layer.mirror_vertical,
      circle: layer.crop_shape === 'circle',
      cropZoom: layer.crop_zoom,
      cropX: layer.crop_x,
      cropY: layer.crop_y,
    };
  });
  const overlay = (o: CompositorParams['image_overlays'][number] | CompositorParams['text_overlays'][number]) => ({
    rect: o.rect,
    z: o.z_index,
    opacity: o.opacity,
    rotation: o.rotation_degrees,
    mirrorH: o.mirror_horizontal,
    mirrorV: o.mirror_vertical,
    circle: false,
    cropZoom: 1,
    cropX: 0.5,
    cropY: 0.5,
  });
  params.image_overlays.forEach((o, index) =>
    items.push({
      key: `image:${index}`,
      kind: 'image',
      index,
      label: o.id ?? o.asset_path ?? `image ${index}`,
      ...overlay(o),
    }),
  );
  params.text_overlays.forEach((o, index) =>
    items.push({
      key: `text:${index}`,
      kind: 'text',
      index,
      label: o.id ?? o.text,
      text: o.text,
      fontSize: o.font_size,
      ...overlay(o),
    }),
  );
  return items.sort((a, b) => a.z - b.z);
}

/** The fields of one item an edit may set, in the params' own names. */
export interface ItemFields {
  rect?: Rect;
  z_index?: number;
  opacity?: number;
  rotation_degrees?: number;
  mirror_horizontal?: boolean;
  mirror_vertical?: boolean;
  crop_shape?: 'rect' | 'circle';
  crop_zoom?: number;
  crop_x?: number;
  crop_y?: number;
  text?: string;
  font_size?: number;
}

const asRecord = (v: unknown): Record<string, unknown> =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
const asList = (v: unknown): Record<string, unknown>[] => (Array.isArray(v) ? (v as Record<string, unknown>[]) : []);

/**
 * Sets fields of one item. A layer that had no entry (placed by default) gets one that keeps its
 * default place and stacking, so moving it does not make it jump.
 */
export function updateItem(raw: RawParams, item: SceneItem, fields: ItemFields): SceneEdit {
  if (item.kind === 'layer' && item.pin) {
    const layers = asRecord(raw.layers);
    const current = asRecord(layers[item.pin]);
    const base = layers[item.pin] ? current : { rect: item.rect, z_index: item.z };
    return { param: 'layers', value: { ...layers, [item.pin]: { ...base, ...fields } } };
  }
  const param: SceneParam = item.kind === 'image' ? 'image_overlays' : 'text_overlays';
  const list = asList(raw[param]);
  return {
    param,
    value: list.map((o, i) => (i === item.index ? { ...o, ...fields } : o)),
  };
}

/** Brings an item in front of every other (`front`) or behind them (`back`). */
export function restack(raw: RawParams, items: readonly SceneItem[], item: SceneItem, to: 'front' | 'back'): SceneEdit {
  const others = items.filter((i) => i.key !== item.key).map((i) => i.z);
  const z = others.length === 0 ? item.z : to === 'front' ? Math.max(...others) + 1 : Math.min(...others) - 1;
  return updateItem(raw, item, { z_index: z });
}

/** Adds a text overlay near the top-left, above everything. */
export function addText(raw: RawParams, items: readonly SceneItem[], text = 'Text'): SceneEdit {
  const z = items.length ? Math.max(...items.map((i) => i.z)) + 1 : 1;
  const list = asList(raw.text_overlays);
  return {
    param: 'text_overlays',
    value: [...list, { text, rect: { x: 40, y: 40, width: 400, height: 60 }, font_size: 36, z_index: z }],
  };
}

/** Removes an overlay, or a layer's entry (the input goes back to its default place). */
export function removeItem(raw: RawParams, item: SceneItem): SceneEdit {
  if (item.kind === 'layer' && item.pin) {
    const layers = { ...asRecord(raw.layers) };
    delete layers[item.pin];
    return { param: 'layers', value: layers };
  }
  const param: SceneParam = item.kind === 'image' ? 'image_overlays' : 'text_overlays';
  return { param, value: asList(raw[param]).filter((_, i) => i !== item.index) };
}
