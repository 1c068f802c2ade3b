/**
 * The compositor's scene plan (pure geometry shared by every backend): defaults, aliases, crop,
 * aspect fit and draw order.
 */
import { describe, expect, it } from 'vitest';
import { cropRegion, fitInside, layerOf, planScene, sortPins } from '../../src/nodes/video/compositor/layout';
import { compositorParams } from '../../src/nodes/video/compositor/params';

const params = (p: Record<string, unknown> = {}) => compositorParams.parse({ width: 1280, height: 720, ...p });

describe('compositor layout', () => {
  it('fills the canvas with the first input and puts later ones in a third-size corner PiP, as StreamKit does', () => {
    const p = params();
    expect(layerOf(p, 'in_0', 0).rect).toBeNull();
    expect(layerOf(p, 'in_1', 1)).toMatchObject({
      rect: { x: 1280 - 426 - 20, y: 720 - 240 - 20, width: 426, height: 240 },
      z_index: 1,
      aspect_fit: true,
    });
  });

  it('reads the first input layer under `in` or `in_0`', () => {
    const p = params({ layers: { in: { opacity: 0.5 } } });
    expect(layerOf(p, 'in_0', 0).opacity).toBe(0.5);
    expect(layerOf(params({ layers: { in_0: { opacity: 0.25 } } }), 'in', 0).opacity).toBe(0.25);
  });

  it('orders pins by index, not by name', () => {
    expect(sortPins(['in_10', 'in_2', 'in', 'in_1'])).toEqual(['in', 'in_1', 'in_2', 'in_10']);
  });

  it('crops around the centre asked for, kept inside the source', () => {
    expect(cropRegion({ width: 100, height: 50 }, 2, 0.5, 0.5)).toEqual({ sx: 25, sy: 12.5, sw: 50, sh: 25 });
    expect(cropRegion({ width: 100, height: 50 }, 2, 0, 1)).toEqual({ sx: 0, sy: 25, sw: 50, sh: 25 });
  });

  it('fits inside a rect, centred', () => {
    expect(fitInside({ width: 16, height: 9 }, { x: 0, y: 0, width: 100, height: 100 })).toEqual({
      x: 0,
      y: 50 - 56.25 / 2,
      width: 100,
      height: 56.25,
    });
  });

  it('draws by z_index; within one z, inputs by index, then images, then texts', () => {
    const p = params({
      layers: { in_0: { z_index: 5 } },
      text_overlays: [{ text: 'hi', rect: { x: 0, y: 0, width: 10, height: 10 } }],
      image_overlays: [{ data_base64: 'AA==', rect: { x: 0, y: 0, width: 10, height: 10 } }],
    });
    const size = { width: 64, height: 48 };
    const plan = planScene(
      p,
      [
        { pin: 'in_1', size },
        { pin: 'in_0', size },
      ],
      [{ width: 4, height: 4 }],
    );
    expect(plan.map((d) => (d.type === 'layer' ? d.pin : d.type))).toEqual(['image', 'text', 'in_1', 'in_0']);
  });

  it('skips what cannot show: transparent layers, empty text, images not loaded', () => {
    const p = params({
      layers: { in_0: { opacity: 0 } },
      text_overlays: [{ text: '', rect: { x: 0, y: 0, width: 10, height: 10 } }],
      image_overlays: [{ asset_path: 'a.png', rect: { x: 0, y: 0, width: 10, height: 10 } }],
    });
    expect(planScene(p, [{ pin: 'in_0', size: { width: 8, height: 8 } }], [undefined])).toEqual([]);
  });

  it('refuses unknown fields and out-of-range values, as StreamKit does', () => {
    expect(compositorParams.safeParse({ layers: { in_0: { opacity: 2 } } }).success).toBe(false);
    expect(compositorParams.safeParse({ layers: { in_0: { colour: 'red' } } }).success).toBe(false);
    expect(compositorParams.safeParse({ width: 10_000 }).success).toBe(false);
    expect(
      compositorParams.safeParse({ image_overlays: [{ rect: { x: 0, y: 0, width: 1, height: 1 } }] }).success,
    ).toBe(false);
  });
});
