/**
 * The compositor's golden-image suite for the CPU backends (Canvas2D and planar YUV): each scene
 * on each backend within 40 dB PSNR of the other and of its reference PNG (see golden.ts).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { CanvasBackend } from '../../src/nodes/video/compositor/canvas-backend';
import type { LoadedFont } from '../../src/nodes/video/compositor/overlays';
import { PlanarBackend } from '../../src/nodes/video/compositor/planar-backend';
import {
  i420Of,
  MIN_PSNR_DB,
  loadSceneAssets,
  png,
  prepare,
  psnr,
  reference,
  rgbaOf,
  SCENES,
  writeGolden,
} from './golden';

let assets: { font: LoadedFont; logo: ImageBitmap };
beforeAll(async () => {
  assets = await loadSceneAssets();
});

describe('compositor golden images (Canvas2D and planar CPU backends)', () => {
  for (const scene of SCENES) {
    it(scene.name, async () => {
      const s = prepare(scene, assets);
      const canvasFrame = new CanvasBackend(s.width, s.height).render(s.plan, s.sources, s.init);
      const planarFrame = await new PlanarBackend(s.width, s.height).render(s.plan, s.sources, 'bt709', 'I420', s.init);
      const canvasRgba = await rgbaOf(canvasFrame);
      const renders = { canvas: await i420Of(canvasFrame), planar: await i420Of(planarFrame) };
      canvasFrame.close();
      planarFrame.close();
      s.close();

      const between = psnr(renders.canvas, renders.planar);
      expect(between, `canvas vs planar: ${between.toFixed(1)} dB`).toBeGreaterThanOrEqual(MIN_PSNR_DB);
      const golden = await reference(scene.name);
      if (!golden) {
        const wrote = await writeGolden(scene.name, await png(canvasRgba, s.width, s.height));
        expect(wrote, `tests/golden/${scene.name}.png is missing; run with WEFT_UPDATE_GOLDEN=1`).toBe(true);
        return;
      }
      for (const [backend, yuv] of Object.entries(renders)) {
        const db = psnr(yuv, golden);
        expect(db, `${backend} vs tests/golden/${scene.name}.png: ${db.toFixed(1)} dB`).toBeGreaterThanOrEqual(
          MIN_PSNR_DB,
        );
      }
    });
  }
});
