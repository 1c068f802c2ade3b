/**
 * The compositor's golden-image suite for the WebGPU backend, in a Chromium with WebGPU on Vulkan
 * (SwiftShader where the machine has no GPU: correctness is checked here, not speed): each scene
 * within 40 dB PSNR of its reference PNG, the Canvas2D backend's rendering (see golden.ts). The
 * Canvas2D backend is not rendered again here: in this Chromium canvas rasterizes on the GPU and
 * antialiases rotated and clipped edges, which the reference (software raster) does not.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { LoadedFont } from '../../src/nodes/video/compositor/overlays';
import { WebGpuBackend } from '../../src/nodes/video/compositor/webgpu-backend';
import { parsePipeline, Session } from '../../src/engine';
import { createRegistry } from '../../src/nodes';
import { i420Of, MIN_PSNR_DB, loadSceneAssets, prepare, psnr, reference, SCENES } from '../browser/golden';

let assets: { font: LoadedFont; logo: ImageBitmap };
let device: GPUDevice | undefined;
beforeAll(async () => {
  assets = await loadSceneAssets();
  const adapter = await navigator.gpu?.requestAdapter();
  device = (await adapter?.requestDevice()) ?? undefined;
});

describe('compositor golden images (WebGPU backend)', () => {
  it('has a WebGPU adapter', () => {
    expect(device, 'no WebGPU adapter in this Chromium (see vitest.config.ts, project browser-gpu)').toBeDefined();
  });
  for (const scene of SCENES) {
    it(scene.name, async () => {
      if (!device) throw new Error('no WebGPU device');
      const s = prepare(scene, assets);
      const gpu = new WebGpuBackend(device, s.width, s.height);
      const gpuFrame = await gpu.render(s.plan, s.sources, s.init);
      const webgpu = await i420Of(gpuFrame);
      gpuFrame.close();
      gpu.close();
      s.close();
      const golden = await reference(scene.name);
      if (!golden) throw new Error(`tests/golden/${scene.name}.png is missing`);
      const db = psnr(webgpu, golden);
      expect(db, `webgpu vs tests/golden/${scene.name}.png: ${db.toFixed(1)} dB`).toBeGreaterThanOrEqual(MIN_PSNR_DB);
    });
  }
});

describe('video::compositor with gpu_mode gpu', () => {
  it('composites on the session GPU and leaves no frame open', async () => {
    if (!device) throw new Error('no WebGPU device');
    const gpu = device;
    const pipeline = `
mode: oneshot
nodes:
  bg: { kind: video::colorbars, params: { width: 160, height: 90, frame_count: 5, pixel_format: i420 } }
  comp:
    kind: video::compositor
    params: { width: 160, height: 90, fps: 30, gpu_mode: gpu, layers: { in: { rect: { x: 80, y: 0, width: 80, height: 45 }, aspect_fit: false } } }
    needs: bg
  out: { kind: core::sink, needs: comp }
`;
    const { pipeline: parsed } = parsePipeline(pipeline);
    const seen: string[] = [];
    const session = new Session(parsed, {
      registry: createRegistry(),
      statsIntervalMs: 0,
      host: { gpu: () => Promise.resolve({ device: gpu }) },
    });
    session.tap((node, _pin, packet) => {
      if (node === 'comp' && packet.kind === 'raw_video') seen.push(`${packet.frame.format}`);
    });
    const result = await session.result();
    expect(result.error?.message ?? '').toBe('');
    expect(result.state).toBe('done');
    expect(result.openFrames).toBe(0);
    // Frames of the WebGPU canvas (RGB), one per colour-bar frame.
    expect(seen).toHaveLength(5);
    for (const format of seen) expect(format).toMatch(/^(RGB|BGR)[AX]$/);
  });
});
