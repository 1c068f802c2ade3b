import { playwright } from '@vitest/browser-playwright';
import solid from 'vite-plugin-solid';
import { defineConfig } from 'vitest/config';
import { CHROMIUM_ARGS, chromiumPath } from './scripts/chromium.js';
import { LATE_DEPS } from './vite.config';

/** WebGPU with frame import on any machine: Vulkan, on SwiftShader when no GPU is there. */
const WEBGPU_TEST_ARGS = [
  '--enable-unsafe-webgpu',
  '--enable-features=Vulkan',
  '--use-vulkan=swiftshader',
  '--use-angle=swiftshader',
];
import { mediaCommands } from './tests/support/media-commands';

/** A project of tests that run in headless Chromium started with `args`. */
function browserProject(name: string, include: string[], args: string[]) {
  return {
    plugins: [solid()],
    optimizeDeps: { include: LATE_DEPS },
    test: {
      name,
      include,
      testTimeout: 60_000,
      globalSetup: ['tests/support/moq-relay-setup.ts'],
      browser: {
        enabled: true,
        headless: true,
        screenshotFailures: false,
        commands: mediaCommands,
        provider: playwright({ launchOptions: { executablePath: chromiumPath(), args } }),
        instances: [{ browser: 'chromium' as const }],
      },
    },
  };
}

/** @moq/net narrates each announce, subscribe and connect on the console; test logs keep to the rest. */
const MOQ_CHATTER =
  /^(?:announce|announced|subscribe|publish|track info|fetch|probe|datagram|http:\/\/\S+ (?:negotiated|connected|performing))\b/;

export default defineConfig({
  test: {
    onConsoleLog: (log) => !MOQ_CHATTER.test(log.trim()),
    reporters: ['default', './tests/support/summary-reporter.ts'],
    projects: [
      {
        test: {
          name: 'node',
          include: ['tests/node/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['tests/e2e/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['tests/e2e/build.ts'],
          testTimeout: 120_000,
          hookTimeout: 60_000,
          // Each file starts real servers and Chromium: one file at a time keeps a 2-core machine steady.
          fileParallelism: false,
        },
      },
      // Chromium's fake camera and microphone, granted without a prompt, for the capture tests.
      browserProject(
        'browser',
        ['tests/browser/**/*.test.ts', 'tests/browser/**/*.test.tsx'],
        [...CHROMIUM_ARGS, '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'],
      ),
      // WebGPU tests, in a Chromium of their own: WebGPU on Vulkan (SwiftShader where there is no
      // GPU), flags that would slow the canvas and codec paths of the other browser tests.
      browserProject('browser-gpu', ['tests/browser-gpu/**/*.test.ts'], [...CHROMIUM_ARGS, ...WEBGPU_TEST_ARGS]),
    ],
  },
});
