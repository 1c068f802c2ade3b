/**
 * Host services both browser hosts (the studio Worker and the headless engine Worker) give nodes:
 * the GPU when a hardware adapter exists, and assets (models, fonts, images) served by Weft's own
 * origin — never from a CDN.
 */
import type { GpuAccess } from '../engine';
import { ASSETS_URL_PATH, isAssetPath } from '../engine';

/** Adapters that are software renderers: slower than Weft's CPU paths, so not offered as a GPU. */
const SOFTWARE_ADAPTER = /swiftshader|llvmpipe|software|basic render/i;

/** This context's WebGPU adapter (window or Worker), its name, and whether it is a software renderer; or why there is none. */
export async function gpuAdapter(): Promise<
  { adapter: GPUAdapter; name: string; software: boolean } | { adapter: null; reason: string }
> {
  const gpu = (globalThis.navigator as (Navigator & { gpu?: GPU }) | undefined)?.gpu;
  if (!gpu) return { adapter: null, reason: 'this browser has no WebGPU' };
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) return { adapter: null, reason: 'no WebGPU adapter is available' };
  const info = adapter.info;
  const name = [info.vendor, info.architecture, info.description, info.device].filter(Boolean).join(' ') || 'fallback';
  const fallback = (info as GPUAdapterInfo & { isFallbackAdapter?: boolean }).isFallbackAdapter === true;
  return { adapter, name, software: fallback || SOFTWARE_ADAPTER.test(name) };
}

/** A WebGPU device on a hardware adapter, or why there is none. */
export async function browserGpu(): Promise<GpuAccess> {
  const found = await gpuAdapter();
  if (!found.adapter) return { device: null, reason: found.reason };
  if (found.software) return { device: null, reason: `only a software adapter is available (${found.name})` };
  const device = await found.adapter.requestDevice();
  return { device };
}

/** How much of a server's error text an asset error quotes. */
const MAX_ASSET_ERROR_CHARS = 300;

/** Opens the asset `path` from the origin this code was served from. */
export async function openAsset(path: string, signal: AbortSignal): Promise<Blob> {
  if (!isAssetPath(path)) {
    throw new Error(`asset path '${path}' is not allowed (use relative names like fonts/Inter.ttf)`);
  }
  const url = new URL(`${ASSETS_URL_PATH}${path}`, globalThis.location.origin);
  const response = await fetch(url, { signal });
  if (!response.ok) {
    // A server-side problem (a broken models.json) says what it is.
    const why = response.status >= 500 ? `: ${(await response.text()).slice(0, MAX_ASSET_ERROR_CHARS)}` : '';
    throw new Error(`asset '${path}' could not be read (HTTP ${response.status}${why})`);
  }
  return response.blob();
}

/** The MoQ relay of the Weft server this code was served from. */
export function originRelay(): string {
  return new URL('/moq', globalThis.location.origin).href;
}
