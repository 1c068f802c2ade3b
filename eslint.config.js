// ESLint: type-aware TypeScript rules plus the import boundaries of STYLE.md.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const restrict = (patterns) => ['error', { patterns }];

export default tseslint.config(
  // src/nodes/media/simd is AssemblyScript (its own tsconfig); it is compiled by scripts/build-wasm.ts.
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'schema/**',
      'coverage/**',
      '.weft/**',
      '.scratch/**',
      'src/nodes/media/simd/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      'no-empty': ['error', { allowEmptyCatch: false }],
    },
  },
  {
    files: ['**/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    files: ['scripts/**/*.js', 'bin/**/*.js', '.ci/**/*.js', 'eslint.config.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
  // The engine imports nothing from the rest of the project.
  {
    files: ['src/engine/**'],
    rules: {
      'no-restricted-imports': restrict([
        {
          group: ['**/nodes/**', '**/nodes', '**/studio/**', '**/headless/**', '**/server/**'],
          message: 'src/engine imports nothing from the rest of the project.',
        },
        {
          group: ['solid-js', 'solid-js/*', 'hono', 'hono/*', '@hono/*', 'node:*', 'playwright-core'],
          message: 'src/engine is pure TS: no UI, no server, no Node APIs.',
        },
      ]),
    },
  },
  // Nodes depend on the engine only.
  {
    files: ['src/nodes/**'],
    rules: {
      'no-restricted-imports': restrict([
        { group: ['**/studio/**', '**/headless/**', '**/server/**'], message: 'src/nodes may import only the engine.' },
        {
          group: ['solid-js', 'solid-js/*', 'hono', 'hono/*', '@hono/*', 'node:*'],
          message: 'nodes run in the browser bundle.',
        },
      ]),
    },
  },
  // The studio talks to the engine through its adapter; it never reaches server code. It may read
  // the server's route types for Hono's typed client (`hono/client`), which is browser code.
  {
    files: ['src/studio/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': restrict([
        {
          group: ['**/server/**'],
          allowTypeImports: true,
          message: 'the studio may import server types (for hc), never server code.',
        },
        {
          group: ['**/headless/**', '@hono/*', 'node:*'],
          message: 'the studio is browser code: no server or Node imports.',
        },
        { regex: '^hono(?!/client$)', message: 'the studio is browser code: of Hono, only its typed client.' },
      ]),
    },
  },
  // The headless page is browser code; only the driver (and bridge) run in Node.
  {
    files: [
      'src/headless/page.ts',
      'src/headless/protocol.ts',
      'src/headless/run.worker.ts',
      'src/headless/bridge-sink.ts',
    ],
    rules: {
      'no-restricted-imports': restrict([
        {
          group: ['**/server/**', '**/studio/**', 'node:*', 'playwright-core', 'hono', 'hono/*', '@hono/*'],
          message: 'the headless page runs in Chromium: no Node, server or studio imports.',
        },
      ]),
    },
  },
  {
    files: ['src/headless/driver.ts', 'src/headless/bridge.ts', 'src/headless/pool.ts'],
    rules: {
      'no-restricted-imports': restrict([
        {
          group: ['**/nodes', '**/nodes/**', '**/studio/**', './page', '**/server/**'],
          message: 'the driver runs in Node: it talks to the page only through the protocol.',
        },
      ]),
    },
  },
  // Server code never loads browser-only code: it shares only types and schemas with the engine.
  {
    files: ['server/**'],
    rules: {
      'no-restricted-imports': restrict([
        { group: ['**/studio/**', 'solid-js', 'solid-js/*'], message: 'server code never loads browser-only code.' },
        {
          group: ['**/nodes/**/*', '!**/nodes/index'],
          message: 'the server imports node definitions only through src/nodes/index.',
        },
      ]),
    },
  },
);
