import solid from 'vite-plugin-solid';
import { defineConfig } from 'vite';

/** Cross-origin isolation headers, so the studio may use SharedArrayBuffer (also sent by the server). */
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

/**
 * Dependencies that only Workers and lazily loaded nodes import, so Vite's first scan misses them.
 * Found mid-run, they make the dev server bundle its dependencies again and reload the page: a
 * Worker that had loaded transformers.js from the first bundle then got kokoro-js with a second copy
 * of it (whose settings point at a hub), and the Kokoro model failed to load. The tests share it.
 */
export const LATE_DEPS = ['@huggingface/transformers', 'kokoro-js', 'onnxruntime-web/wasm', 'espeak-ng', 'hono/client'];

export default defineConfig({
  plugins: [solid()],
  optimizeDeps: { include: LATE_DEPS },
  worker: { format: 'es' },
  server: { headers: isolation, host: '127.0.0.1' },
  preview: { headers: isolation, host: '127.0.0.1' },
  build: {
    target: 'es2023',
    outDir: 'dist',
    emptyOutDir: true,
    // Pages from one bundle: the studio, the page headless Chromium workers load, and the live
    // publish and watch pages.
    rolldownOptions: {
      input: {
        studio: 'index.html',
        headless: 'headless.html',
        publish: 'publish.html',
        watch: 'watch.html',
        play: 'play.html',
      },
    },
  },
});
