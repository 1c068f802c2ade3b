// Where Chromium is and how to start it on this kind of machine; shared by the test runner,
// the set-up script and (later) the headless driver.
import { existsSync } from 'node:fs';

/** Flags that work headless on a closed network (see README). */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

/** The Chromium binary: `WEFT_CHROMIUM` if set, else the first Debian/Ubuntu location that exists. */
export function chromiumPath() {
  const fromEnv = process.env.WEFT_CHROMIUM;
  if (fromEnv) return fromEnv;
  return CANDIDATES.find((p) => existsSync(p)) ?? '/usr/bin/chromium';
}

/**
 * Debian's `/usr/bin/chromium-headless-shell` is a shell script that runs the browser as its child
 * instead of `exec`-ing it, so killing the process Playwright holds would leave the browser running.
 * The binary it starts is launched directly.
 */
const HEADLESS_SHELL_BINARY = '/usr/lib/chromium/chromium-headless-shell';

/**
 * The browser for headless workers: Debian's `chromium-headless-shell` when installed (same engine,
 * about half the memory, faster start), else the full Chromium (whose Debian wrapper does `exec`).
 */
export function headlessShellPath() {
  const fromEnv = process.env.WEFT_CHROMIUM;
  if (fromEnv) return fromEnv;
  if (existsSync(HEADLESS_SHELL_BINARY)) return HEADLESS_SHELL_BINARY;
  return existsSync('/usr/bin/chromium-headless-shell') ? '/usr/bin/chromium-headless-shell' : chromiumPath();
}

/** True when this machine has a GPU device Chromium can use (NVIDIA or a DRM render node). */
export function hasGpu() {
  if (process.env.WEFT_GPU === 'off') return false;
  if (process.env.WEFT_GPU === 'on') return true;
  return existsSync('/dev/nvidia0') || existsSync('/dev/dri/renderD128');
}

/** Extra flags that let Chromium use a real GPU for WebGPU and video (only when `hasGpu()`). */
export const GPU_ARGS = [
  '--enable-unsafe-webgpu',
  '--enable-gpu',
  '--ignore-gpu-blocklist',
  '--enable-features=Vulkan',
  '--use-angle=vulkan',
];
