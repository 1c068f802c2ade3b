/**
 * The scene editor for a selected `video::compositor`: its canvas at a glance, with the live
 * output behind while it runs, and the layers and overlays as boxes to drag (move), pull by the
 * corner (resize), scroll over (zoom the crop) and Alt-drag (pan the crop); the selected box's
 * stacking, opacity, rotation, shape, mirroring and text below. Every edit is a param change, so
 * the YAML follows, undo works, and a running pipeline is tuned live.
 */
import { createEffect, createMemo, createSignal, For, onCleanup, Show } from 'solid-js';
import type { EditorNode } from './model';
import type { ItemFields, SceneEdit, SceneItem } from './scene-model';
import { addText, parseScene, removeItem, restack, sceneItems, updateItem } from './scene-model';

/** Width of the editor's canvas on screen, in CSS px. */
const VIEW_WIDTH = 300;
/** Zoom step of one wheel notch on a layer's crop. */
const CROP_ZOOM_STEP = 1.1;
const MAX_CROP_ZOOM = 100;
/** Smallest box a resize leaves, in canvas px. */
const MIN_SIZE = 8;

interface Drag {
  item: SceneItem;
  mode: 'move' | 'resize' | 'crop';
  x: number;
  y: number;
}

export function SceneEditor(props: {
  node: EditorNode;
  /** Input pins connected to the node in the graph. */
  pins: string[];
  /** The node's live output (while a run previews it), or the last one (a still). */
  frame: ImageBitmap | undefined;
  /** Whether a run is going (the still button is then of no use). */
  running: boolean;
  onChange: (param: string, value: unknown) => void;
  /** Takes a still of the output (runs the pipeline until the node's first frame). */
  onStill: () => void;
}) {
  const [selected, setSelected] = createSignal<string>();
  const scene = createMemo(() => parseScene(props.node.params));
  const params = () => {
    const s = scene();
    return 'params' in s ? s.params : undefined;
  };
  const items = createMemo(() => {
    const p = params();
    return p ? sceneItems(p, props.pins) : [];
  });
  const scale = () => VIEW_WIDTH / (params()?.width ?? 1280);
  const current = () => items().find((i) => i.key === selected());
  const apply = (edit: SceneEdit) => props.onChange(edit.param, edit.value);
  const set = (item: SceneItem, fields: ItemFields) => apply(updateItem(props.node.params, item, fields));

  let canvas!: HTMLCanvasElement;
  createEffect(() => {
    const frame = props.frame;
    const g = canvas.getContext('2d');
    if (!g) return;
    g.clearRect(0, 0, canvas.width, canvas.height);
    if (frame) g.drawImage(frame, 0, 0, canvas.width, canvas.height);
  });

  // Dragging: moves follow the pointer in canvas px; the result is one undo step per gesture.
  let drag: Drag | undefined;
  const onMove = (e: PointerEvent) => {
    if (!drag) return;
    const dx = (e.clientX - drag.x) / scale();
    const dy = (e.clientY - drag.y) / scale();
    const r = drag.item.rect;
    if (drag.mode === 'move') set(drag.item, { rect: { ...r, x: Math.round(r.x + dx), y: Math.round(r.y + dy) } });
    else if (drag.mode === 'resize') {
      set(drag.item, {
        rect: {
          ...r,
          width: Math.max(MIN_SIZE, Math.round(r.width + dx)),
          height: Math.max(MIN_SIZE, Math.round(r.height + dy)),
        },
      });
    } else {
      // Panning the crop: dragging right shows more of the left of the source.
      const span = (v: number) => v / drag!.item.cropZoom;
      const clamp = (v: number) => Math.min(1, Math.max(0, Math.round(v * 1000) / 1000));
      set(drag.item, {
        crop_x: clamp(drag.item.cropX - span(dx / r.width)),
        crop_y: clamp(drag.item.cropY - span(dy / r.height)),
      });
    }
  };
  const onUp = () => {
    drag = undefined;
  };
  window.addEventListener('pointermove', onMove);
  window.addEventListener('pointerup', onUp);
  onCleanup(() => {
    window.removeEventListener('pointermove', onMove);
    window.removeEventListener('pointerup', onUp);
  });
  const start = (e: PointerEvent, item: SceneItem, mode: Drag['mode']) => {
    e.preventDefault();
    e.stopPropagation();
    setSelected(item.key);
    drag = {
      item,
      mode: mode === 'move' && e.altKey && item.kind === 'layer' ? 'crop' : mode,
      x: e.clientX,
      y: e.clientY,
    };
  };
  const zoomCrop = (e: WheelEvent, item: SceneItem) => {
    if (item.kind !== 'layer') return;
    e.preventDefault();
    const zoom = item.cropZoom * (e.deltaY < 0 ? CROP_ZOOM_STEP : 1 / CROP_ZOOM_STEP);
    set(item, { crop_zoom: Math.round(Math.min(MAX_CROP_ZOOM, Math.max(1, zoom)) * 100) / 100 });
  };

  return (
    <section class="scene" aria-label="Scene editor">
      <h3>
        Scene <span class="muted">{props.node.id}</span>
      </h3>
      <Show when={'error' in scene() && scene()} keyed>
        {(s) => <p class="issue error">{'error' in s ? s.error : ''}</p>}
      </Show>
      <Show when={params()}>
        {(p) => (
          <>
            <div
              class="scene-canvas"
              style={{ width: `${VIEW_WIDTH}px`, height: `${p().height * scale()}px` }}
              onPointerDown={() => setSelected(undefined)}
            >
              <canvas ref={(el) => (canvas = el)} width={VIEW_WIDTH} height={Math.round(p().height * scale())} />
              <For each={items()}>
                {(item) => (
                  <div
                    class={`scene-item ${item.kind}`}
                    classList={{ selected: item.key === selected(), circle: item.circle }}
                    data-item={item.key}
                    title={`${item.label} (${item.rect.width}×${item.rect.height} at ${item.rect.x},${item.rect.y})`}
                    style={{
                      left: `${item.rect.x * scale()}px`,
                      top: `${item.rect.y * scale()}px`,
                      width: `${item.rect.width * scale()}px`,
                      height: `${item.rect.height * scale()}px`,
                      transform: `rotate(${item.rotation}deg) scale(${item.mirrorH ? -1 : 1}, ${item.mirrorV ? -1 : 1})`,
                      opacity: String(0.35 + 0.65 * item.opacity),
                    }}
                    onPointerDown={(e) => start(e, item, 'move')}
                    onWheel={(e) => zoomCrop(e, item)}
                  >
                    <span class="scene-label">{item.kind === 'text' ? item.text : item.label}</span>
                    <span
                      class="scene-handle"
                      aria-label={`resize ${item.label}`}
                      onPointerDown={(e) => start(e, item, 'resize')}
                    />
                  </div>
                )}
              </For>
            </div>
            <div class="scene-tools">
              <button onClick={() => apply(addText(props.node.params, items()))}>Add text</button>
              <button
                disabled={props.running}
                title="Run the pipeline until this node's first frame and show it behind the boxes"
                onClick={() => props.onStill()}
              >
                Still
              </button>
              <span class="muted small">drag: move · corner: resize · wheel: zoom · Alt+drag: pan crop</span>
            </div>
            <Show when={current()}>
              {(item) => <ItemPanel item={item()} items={items()} props={props} set={set} apply={apply} />}
            </Show>
          </>
        )}
      </Show>
    </section>
  );
}

/** Controls of the selected box. */
function ItemPanel(p: {
  item: SceneItem;
  items: SceneItem[];
  props: { node: EditorNode };
  set: (item: SceneItem, fields: ItemFields) => void;
  apply: (edit: SceneEdit) => void;
}) {
  const item = () => p.item;
  const number = (e: Event) => Number((e.currentTarget as HTMLInputElement).value);
  return (
    <div class="scene-item-panel" aria-label={`Selected: ${item().label}`}>
      <strong>{item().label}</strong>
      <div class="row">
        <button onClick={() => p.apply(restack(p.props.node.params, p.items, item(), 'front'))}>To front</button>
        <button onClick={() => p.apply(restack(p.props.node.params, p.items, item(), 'back'))}>To back</button>
        <button onClick={() => p.apply(removeItem(p.props.node.params, item()))}>
          {item().kind === 'layer' ? 'Reset' : 'Delete'}
        </button>
      </div>
      <label>
        opacity
        <input
          type="range"
          min="0"
          max="1"
          step="0.05"
          value={item().opacity}
          onInput={(e) => p.set(item(), { opacity: number(e) })}
        />
      </label>
      <label>
        rotation°
        <input
          type="number"
          step="1"
          value={item().rotation}
          onChange={(e) => p.set(item(), { rotation_degrees: number(e) })}
        />
      </label>
      <label>
        <input
          type="checkbox"
          checked={item().mirrorH}
          onChange={(e) => p.set(item(), { mirror_horizontal: e.currentTarget.checked })}
        />
        mirror ↔
      </label>
      <label>
        <input
          type="checkbox"
          checked={item().mirrorV}
          onChange={(e) => p.set(item(), { mirror_vertical: e.currentTarget.checked })}
        />
        mirror ↕
      </label>
      <Show when={item().kind === 'layer'}>
        <label>
          <input
            type="checkbox"
            checked={item().circle}
            onChange={(e) => p.set(item(), { crop_shape: e.currentTarget.checked ? 'circle' : 'rect' })}
          />
          circle
        </label>
        <label>
          crop zoom
          <input
            type="number"
            min="1"
            step="0.1"
            value={item().cropZoom}
            onChange={(e) => p.set(item(), { crop_zoom: Math.max(1, number(e)) })}
          />
        </label>
      </Show>
      <Show when={item().kind === 'text'}>
        <label>
          text
          <input
            type="text"
            aria-label="Overlay text"
            value={item().text ?? ''}
            onChange={(e) => p.set(item(), { text: e.currentTarget.value })}
          />
        </label>
        <label>
          size
          <input
            type="number"
            min="1"
            value={item().fontSize ?? 24}
            onChange={(e) => p.set(item(), { font_size: Math.max(1, Math.round(number(e))) })}
          />
        </label>
      </Show>
    </div>
  );
}
