/** Vitest global setup for end-to-end tests: builds the bundle the server and headless pages serve. */
import { spawnSync } from 'node:child_process';

export default function setup(): void {
  const result = spawnSync('node_modules/.bin/vite', ['build', '--logLevel', 'error'], { stdio: 'inherit' });
  if (result.status !== 0) throw new Error('vite build failed; end-to-end tests need the built bundle');
}
