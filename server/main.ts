/**
 * Starts Weft's server: the API and the built studio on one port. Loopback binds need no token;
 * any other bind requires one (WEFT_TOKEN), which is never logged.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { serve } from '@hono/node-server';
import { createRegistry } from '../src/nodes';
import { createApp } from './app';
import { isLoopback, parseServeArgs } from './config';

let config: ReturnType<typeof parseServeArgs>;
try {
  config = parseServeArgs(process.argv.slice(2), process.env);
} catch (error) {
  console.error(`weft: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(2);
}
const token = process.env.WEFT_TOKEN || undefined;
if (!isLoopback(config.host) && !token) {
  console.error(
    `weft: refusing to listen on ${config.host} without a token.\n` +
      '  Set WEFT_TOKEN to a long random secret (clients send Authorization: Bearer <token>), or bind 127.0.0.1.',
  );
  process.exit(2);
}
const studioDir = resolve(config.studioDir);
if (!existsSync(resolve(studioDir, 'index.html'))) {
  console.warn(`weft: no built studio in ${studioDir}; run \`npm run build\` (npm start does it for you).`);
}
const app = createApp({ registry: createRegistry(), studioDir, ...(token ? { token } : {}) });
const server = serve({ fetch: app.fetch, hostname: config.host, port: config.port }, (info) => {
  const host = info.family === 'IPv6' ? `[${info.address}]` : info.address;
  console.log(`weft: studio and API on http://${host}:${info.port}/${token ? ' (token required for /api)' : ''}`);
});
const shutdown = (): void => {
  server.close();
  process.exit(0);
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
