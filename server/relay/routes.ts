/**
 * HTTP side of the relay: the WebSocket endpoint at `/moq` and `/moq/<root>` (StreamKit's gateway
 * path), its token check, and the API route that mints relay tokens.
 */
import { Hono } from 'hono';
import type { Context, MiddlewareHandler } from 'hono';
import type { UpgradeWebSocket } from 'hono/ws';
import type { WebSocket } from 'ws';
import { z } from 'zod';
import type { MoqRelay } from './relay';
import { connectionRootOf, pathProblem } from './paths';
import type { Grant } from './tokens';
import { ANONYMOUS_GRANT, MAX_TOKEN_TTL_S, mintToken, rootAllows, TokenError, verifyToken } from './tokens';
import type { RelayClient } from './websocket';
import { acceptRelaySocket, relaySubprotocol } from './websocket';

/** What the relay routes need. */
export interface RelayRouteOptions {
  relay: MoqRelay;
  /** The HS256 key relay tokens are signed with. */
  secret: string;
  /** Whether a connection without a token is let in (loopback servers without an API token). */
  anonymous: boolean;
  upgrade: UpgradeWebSocket;
}

function refusal(code: string, message: string) {
  return { error: { code, message } };
}

const mintBody = z.object({
  root: z.string().max(512).default(''),
  publish: z.array(z.string().max(512)).max(32).default([]),
  subscribe: z.array(z.string().max(512)).max(32).default([]),
  ttl_seconds: z.number().int().positive().max(MAX_TOKEN_TTL_S).default(3600),
});

/** A refused connection: the client sees the status (a browser sees nothing more), the log says why. */
function refuse(c: Context, status: 400 | 401 | 403, code: string, message: string): Response {
  console.warn(`weft: moq: refused a connection to ${c.req.path}: ${message}`);
  return c.json(refusal(code, message), status);
}

async function grantOf(c: Context, options: RelayRouteOptions): Promise<Grant | Response> {
  const jwt = c.req.query('jwt');
  if (jwt === undefined || jwt === '') {
    if (options.anonymous) return ANONYMOUS_GRANT;
    return refuse(
      c,
      401,
      'unauthorized',
      'this relay needs a token: add ?jwt=<token> to the URL (mint one with `weft token` or POST /api/v1/moq/tokens)',
    );
  }
  try {
    return await verifyToken(options.secret, jwt);
  } catch (error) {
    if (error instanceof TokenError) return refuse(c, 401, 'unauthorized', error.message);
    throw error;
  }
}

/** The relay endpoint and the token API. */
export function relayRoutes(options: RelayRouteOptions) {
  const app = new Hono();

  /** Who each admitted upgrade request is, from the check to the socket it becomes. */
  const admitted = new WeakMap<Request, RelayClient>();

  const check: MiddlewareHandler = async (c, next) => {
    const root = connectionRootOf(c.req.path);
    if (root === undefined) return c.notFound();
    const problem = pathProblem(root);
    if (problem !== undefined) return refuse(c, 400, 'bad_path', `relay path '${root}' ${problem}`);
    if (c.req.header('upgrade')?.toLowerCase() !== 'websocket') {
      return c.json(
        refusal('upgrade_required', 'this is a MoQ relay: connect with a MoQ client (WebSocket, qmux) to this URL'),
        426,
      );
    }
    const grant = await grantOf(c, options);
    if (grant instanceof Response) return grant;
    if (!rootAllows(grant, root)) {
      return refuse(c, 403, 'forbidden', `the token's root '/${grant.root}' does not cover '/${root}'`);
    }
    if (relaySubprotocol(c.req.header('sec-websocket-protocol')) === undefined) {
      return refuse(c, 400, 'bad_protocol', 'the client offered no MoQ version this relay speaks (moq-lite-03…05)');
    }
    const address = c.req.header('x-forwarded-for') ?? 'client';
    admitted.set(c.req.raw, { root, grant, url: new URL(c.req.url), address });
    await next();
  };
  const upgrade = options.upgrade((c) => {
    const client = admitted.get(c.req.raw);
    return {
      onOpen(_event, ws) {
        if (client) acceptRelaySocket(options.relay, ws.raw as WebSocket, client);
        else ws.close(1011, 'relay connection was not admitted');
      },
    };
  });
  app.get('/moq', check, upgrade);
  app.get('/moq/*', check, upgrade);

  // No WebTransport listener: clients that try it first fall back to the WebSocket at once.
  app.get('/certificate.sha256', (c) =>
    c.json(refusal('not_found', 'this relay serves MoQ over WebSocket only; there is no certificate to pin'), 404),
  );

  app.post('/api/v1/moq/tokens', async (c) => {
    const body = mintBody.safeParse(await c.req.json().catch(() => undefined));
    if (!body.success) {
      const issue = body.error.issues[0];
      return c.json(
        refusal('invalid_request', `${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`),
        400,
      );
    }
    const b = body.data;
    let token: string;
    try {
      token = await mintToken(options.secret, {
        root: b.root,
        publish: b.publish,
        subscribe: b.subscribe,
        ttlSeconds: b.ttl_seconds,
      });
    } catch (error) {
      return c.json(refusal('invalid_request', error instanceof Error ? error.message : String(error)), 400);
    }
    const expires = new Date(Date.now() + b.ttl_seconds * 1000).toISOString();
    return c.json({ token, expires_at: expires, root: b.root, publish: b.publish, subscribe: b.subscribe }, 201);
  });

  app.get('/api/v1/moq/broadcasts', (c) => c.json({ broadcasts: options.relay.broadcasts() }));

  return app;
}
