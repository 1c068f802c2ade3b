/**
 * The bench page (bench/page.html) served by Vite and opened in headless Chromium, shared by the
 * bench scripts: `runWeft(pipeline, mediaUrl?)` runs a pipeline in the page and times it.
 */
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import type { ViteDevServer } from 'vite';
import { createServer } from 'vite';
import { CHROMIUM_ARGS, chromiumPath, GPU_ARGS, hasGpu } from '../scripts/chromium.js';

export interface WeftRun {
  state: string;
  error?: string;
  seconds: number;
  bytes: number;
}

export interface BenchPage {
  /** Runs pipeline text in the page; `media` is a local file every input reads, or files by input name. */
  runWeft(pipeline: string, media?: string | Record<string, string>): Promise<WeftRun>;
  /** The Chromium browser's main process id (its renderers, GPU and utility processes are its children). */
  readonly browserPid: number | undefined;
  close(): Promise<void>;
}

export async function openBenchPage(): Promise<BenchPage> {
  const server: ViteDevServer = await createServer({
    root: resolve('.'),
    logLevel: 'error',
    server: {
      port: 0,
      host: '127.0.0.1',
      // The project, and a model folder (WEFT_MODELS) the ML bench reads from.
      fs: { allow: [resolve('.'), ...(process.env.WEFT_MODELS ? [resolve(process.env.WEFT_MODELS)] : [])] },
    },
    // Scan only the bench page for dependencies (not the studio), so nothing reloads mid-run.
    optimizeDeps: { entries: ['bench/page.html'] },
  });
  await server.listen();
  const address = server.httpServer?.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  // A real GPU (when the machine has one) for the WebGPU compositor and ML benches.
  const args = [...CHROMIUM_ARGS, ...(hasGpu() ? GPU_ARGS : [])];
  const browser: Browser = await chromium.launch({ executablePath: chromiumPath(), args });
  const page: Page = await browser.newPage();
  // A model folder (WEFT_MODELS) is served to the page as assets models/… (the ML bench).
  const models = process.env.WEFT_MODELS ? `?models=${encodeURIComponent(resolve(process.env.WEFT_MODELS))}` : '';
  await page.goto(`http://127.0.0.1:${port}/bench/page.html${models}`);
  await page.waitForFunction(() => 'weftBench' in window);
  return {
    browserPid: browserProcessId(),
    async runWeft(pipeline, media) {
      const urls =
        media === undefined
          ? null
          : typeof media === 'string'
            ? `/@fs${media}`
            : Object.fromEntries(Object.entries(media).map(([name, path]) => [name, `/@fs${path}`]));
      const run = await page.evaluate(
        ([text, url]) =>
          (
            window as unknown as {
              weftBench: (t: string, u: string | Record<string, string> | null) => Promise<WeftRun>;
            }
          ).weftBench(text, url),
        [pipeline, urls] as const,
      );
      if (run.state !== 'done') throw new Error(`Weft run failed: ${run.error ?? run.state}`);
      return run;
    },
    async close() {
      await browser.close();
      await server.close();
    },
  };
}

/** The pid of the Chromium this process launched (the newest chromium child of this process). */
function browserProcessId(): number | undefined {
  try {
    const out = execFileSync('pgrep', ['-P', String(process.pid), '-n', 'chrom'], { encoding: 'utf8' });
    const pid = Number(out.trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined; // no pgrep, or no match: RSS is then not reported
  }
}

/** The middle value of a list of numbers. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}
