/**
 * The compositor's CPU backend: draws a scene plan with Canvas2D on an OffscreenCanvas. The
 * browser's drawImage takes RGBA, I420 and NV12 frames alike (its own YUV→RGB), scales bilinearly,
 * and does the alpha blending, transforms and clipping; text uses the loaded font faces.
 */
import type { Draw, TextDraw } from './layout';
import type { LoadedFont } from './overlays';

/** What a backend is given besides the plan: the sources each draw refers to. */
export interface SceneSources {
  /** The newest frame of each input pin that has one. */
  frames: ReadonlyMap<string, VideoFrame>;
  /** Decoded image overlays, by index (absent while loading or after a failed load). */
  images: readonly (ImageBitmap | undefined)[];
  /** The font of each text overlay, by index. */
  fonts: readonly (LoadedFont | undefined)[];
}

/** Line height as a multiple of the font size. */
const LINE_HEIGHT = 1.2;
/** Canvas background: opaque black, as StreamKit's compositor clears to. */
const BACKGROUND = '#000000';

/** Lines of `text`, wrapped at `width` when asked (on spaces; a longer word gets its own line). */
export function textLines(g: OffscreenCanvasRenderingContext2D, text: string, width: number, wrap: boolean): string[] {
  const paragraphs = text.split('\n');
  if (!wrap) return paragraphs;
  const lines: string[] = [];
  for (const paragraph of paragraphs) {
    let line = '';
    for (const word of paragraph.split(' ')) {
      const candidate = line === '' ? word : `${line} ${word}`;
      if (line !== '' && g.measureText(candidate).width > width) {
        lines.push(line);
        line = word;
      } else line = candidate;
    }
    lines.push(line);
  }
  return lines;
}

/**
 * Draws a text overlay's lines with its colour and font, from (`left`, `top`), wrapped at `width`
 * when it asks; the caller has placed, clipped and faded the context. Every backend draws text so.
 */
export function drawText(
  g: OffscreenCanvasRenderingContext2D,
  o: TextDraw['overlay'],
  font: LoadedFont,
  left: number,
  top: number,
  width: number,
): void {
  const [r = 255, gr = 255, b = 255, a = 255] = o.color;
  g.fillStyle = `rgba(${r}, ${gr}, ${b}, ${a / 255})`;
  g.font = `${font.weight} ${o.font_size}px "${font.family}"`;
  g.textBaseline = 'top';
  g.textAlign = 'left';
  textLines(g, o.text, width, o.word_wrap).forEach((line, i) =>
    g.fillText(line, left, top + i * o.font_size * LINE_HEIGHT),
  );
}

/** Draws scene plans onto one canvas and hands out frames of it. */
export class CanvasBackend {
  readonly name = 'cpu';
  readonly #canvas: OffscreenCanvas;
  readonly #g: OffscreenCanvasRenderingContext2D;

  constructor(width: number, height: number) {
    this.#canvas = new OffscreenCanvas(width, height);
    const g = this.#canvas.getContext('2d', { alpha: false, desynchronized: true });
    if (!g) throw new Error('this browser gives no 2D canvas context');
    g.imageSmoothingEnabled = true;
    g.imageSmoothingQuality = 'low'; // bilinear: what the GPU backend samples with too
    this.#g = g;
  }

  /** Draws `plan` and returns it as a new frame (owned by the caller). */
  render(plan: readonly Draw[], sources: SceneSources, init: { timestamp: number; duration: number }): VideoFrame {
    const g = this.#g;
    g.globalAlpha = 1;
    g.fillStyle = BACKGROUND;
    g.fillRect(0, 0, this.#canvas.width, this.#canvas.height);
    for (const draw of plan) {
      const image =
        draw.type === 'layer'
          ? sources.frames.get(draw.pin)
          : draw.type === 'image'
            ? sources.images[draw.index]
            : undefined;
      if (draw.type !== 'text' && !image) continue;
      const { dst } = draw;
      g.save();
      g.globalAlpha = draw.opacity;
      g.translate(dst.x + dst.width / 2, dst.y + dst.height / 2);
      if (draw.rotation !== 0) g.rotate(draw.rotation);
      if (draw.mirrorH || draw.mirrorV) g.scale(draw.mirrorH ? -1 : 1, draw.mirrorV ? -1 : 1);
      const left = -dst.width / 2;
      const top = -dst.height / 2;
      if (draw.type === 'layer' && image) {
        if (draw.circle) {
          g.beginPath();
          g.arc(0, 0, Math.min(dst.width, dst.height) / 2, 0, 2 * Math.PI);
          g.clip();
        }
        const { sx, sy, sw, sh } = draw.src;
        g.drawImage(image, sx, sy, sw, sh, left, top, dst.width, dst.height);
      } else if (draw.type === 'image' && image) {
        g.drawImage(image, left, top, dst.width, dst.height);
      } else if (draw.type === 'text') {
        this.#text(draw, sources.fonts[draw.index], left, top);
      }
      g.restore();
    }
    return new VideoFrame(this.#canvas, init);
  }

  #text(draw: TextDraw, font: LoadedFont | undefined, left: number, top: number): void {
    if (!font) return;
    const g = this.#g;
    g.beginPath();
    g.rect(left, top, draw.dst.width, draw.dst.height);
    g.clip();
    drawText(g, draw.overlay, font, left, top, draw.dst.width);
  }

  close(): void {
    // The canvas is garbage-collected; nothing else is held.
  }
}
