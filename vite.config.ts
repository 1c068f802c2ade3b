import solid from 'vite-plugin-solid';
import { defineConfig } from 'vite';

/** Cross-origin isolation headers, so the studio may use SharedArrayBuffer (also sent by the server). */
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  plugins: [solid()],
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
