/**
 * A MoQ relay on a loopback port, as `weft serve` mounts it (same routes, same WebSocket setup),
 * without the rest of the server: for relay tests and browser tests that need one.
 */
import type { AddressInfo } from 'node:net';
import { serve, upgradeWebSocket } from '@hono/node-server';
import { Hono } from 'hono';
import { createRequire } from 'node:module';
import type * as Ws from 'ws';
import { MoqRelay } from '../../server/relay/relay';
import { relayRoutes } from '../../server/relay/routes';
import { relayHandleProtocols } from '../../server/relay/websocket';

// Through require: the browser test projects load this setup with browser conditions, where
// `ws` resolves to its browser stub.
const { WebSocketServer } = createRequire(import.meta.url)('ws') as typeof Ws;

export const TEST_RELAY_SECRET = 'test-relay-secret-0123456789abcdef';

export interface TestRelay {
  url: string;
  relay: MoqRelay;
  close(): Promise<void>;
}

/** Starts a relay; `anonymous: false` makes every connection show a token. */
export async function startTestRelay(options: { anonymous?: boolean; port?: number } = {}): Promise<TestRelay> {
  const relay = new MoqRelay();
  const app = new Hono();
  app.route(
    '/',
    relayRoutes({ relay, secret: TEST_RELAY_SECRET, anonymous: options.anonymous ?? true, upgrade: upgradeWebSocket }),
  );
  const wss = new WebSocketServer({ noServer: true, handleProtocols: relayHandleProtocols });
  const server = serve({
    fetch: app.fetch,
    hostname: '127.0.0.1',
    port: options.port ?? 0,
    websocket: { server: wss },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${String(port)}`,
    relay,
    async close() {
      relay.close();
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
