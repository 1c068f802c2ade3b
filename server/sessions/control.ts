/**
 * The WebSocket control plane, `GET /api/v1/control`, in StreamKit's shapes (§5): envelopes
 * `{type, correlation_id?, payload}`, every request action with its response, and every session's
 * events pushed to every connection. The token and `Origin` are checked at the upgrade by the
 * app's guards, like any other `/api/` request.
 */
import type { UpgradeWebSocket, WSContext } from 'hono/ws';
import { Hono } from 'hono';
import { z } from 'zod';
import type { NodeRegistry } from '../../src/engine';
import { clip } from '../../src/engine';
import type { SessionBusEvent, SessionManager } from './manager';
import { SessionError } from './manager';

/** StreamKit's largest control message. */
export const MAX_CONTROL_MESSAGE_BYTES = 1024 * 1024;
/** Bytes waiting to go out to one connection above which best-effort events are dropped for it. */
const SLOW_CLIENT_BYTES = 4 * 1024 * 1024;
/** Events a slow connection may miss (StreamKit marks telemetry best-effort; stats come again). */
const BEST_EFFORT_EVENTS = new Set(['nodetelemetry', 'nodestatsupdated']);

/** Every permission: Weft has one role per server, the token's holder (or any loopback caller). */
const PERMISSIONS = Object.fromEntries(
  [
    'create_sessions',
    'destroy_sessions',
    'list_sessions',
    'modify_sessions',
    'tune_nodes',
    'load_plugins',
    'delete_plugins',
    'list_nodes',
    'list_samples',
    'read_samples',
    'write_samples',
    'delete_samples',
    'access_all_sessions',
    'upload_assets',
    'delete_assets',
  ].map((p) => [p, !['load_plugins', 'delete_plugins', 'upload_assets', 'delete_assets'].includes(p)]),
);

const EnvelopeSchema = z.object({
  type: z.literal('request'),
  correlation_id: z.string().max(256).optional(),
  payload: z.looseObject({ action: z.string().max(64) }),
});

/** Actions that name a session and are answered by it. */
const SESSION_ACTIONS = new Set([
  'addnode',
  'removenode',
  'connect',
  'disconnect',
  'tunenode',
  'tunenodeasync',
  'getpipeline',
  'validatebatch',
  'applybatch',
]);

type Payload = Record<string, unknown> & { action: string };

/** Answers one request payload (undefined: no response, as for `tunenodeasync`). */
export async function answer(
  manager: SessionManager,
  registry: NodeRegistry,
  payload: Payload,
): Promise<Payload | undefined> {
  const { action } = payload;
  const sessionId = typeof payload.session_id === 'string' ? payload.session_id : undefined;
  try {
    switch (action) {
      case 'createsession': {
        const name = typeof payload.name === 'string' ? payload.name : undefined;
        const info = await manager.create(name, undefined);
        return { action: 'sessioncreated', session_id: info.id, name: info.name, created_at: info.created_at };
      }
      case 'destroysession':
        if (!sessionId) return { action: 'error', message: 'destroysession needs session_id' };
        return { action: 'sessiondestroyed', session_id: await manager.destroy(sessionId) };
      case 'listsessions':
        return { action: 'sessionslisted', sessions: manager.list() };
      case 'listnodes':
        return { action: 'nodeslisted', nodes: registry.describeAll() };
      case 'getpermissions':
        return { action: 'permissions', role: 'admin', permissions: PERMISSIONS };
    }
    if (!SESSION_ACTIONS.has(action)) return { action: 'error', message: `unknown action '${clip(action, 64)}'` };
    if (!sessionId) return { action: 'error', message: `${action} needs session_id` };
    const { session_id: _id, ...request } = payload;
    const async = action === 'tunenodeasync';
    const response = await manager.control(sessionId, async ? { ...request, action: 'tunenode' } : request);
    return async ? undefined : response;
  } catch (error) {
    if (error instanceof SessionError) return { action: 'error', message: error.message };
    return { action: 'error', message: `internal error: ${(error as Error).message}` };
  }
}

function send(ws: WSContext, message: object): void {
  if (ws.readyState === 1) ws.send(JSON.stringify(message));
}

/** The control route; `upgrade` is the Node adapter's `upgradeWebSocket`. */
export function controlRoutes(manager: SessionManager, registry: NodeRegistry, upgrade: UpgradeWebSocket) {
  return new Hono().get(
    '/control',
    upgrade(() => {
      let unsubscribe: (() => void) | undefined;
      return {
        onOpen(_event, ws) {
          unsubscribe = manager.on((event: SessionBusEvent) => {
            const raw = ws.raw as { bufferedAmount?: number } | undefined;
            if (BEST_EFFORT_EVENTS.has(event.event) && (raw?.bufferedAmount ?? 0) > SLOW_CLIENT_BYTES) return;
            send(ws, { type: 'event', payload: event });
          });
        },
        onMessage(event, ws) {
          const data = event.data;
          const text = typeof data === 'string' ? data : undefined;
          const respond = (payload: Payload, correlation_id?: string): void =>
            send(ws, { type: 'response', ...(correlation_id !== undefined ? { correlation_id } : {}), payload });
          if (text === undefined) return respond({ action: 'error', message: 'send text frames of JSON' });
          if (text.length > MAX_CONTROL_MESSAGE_BYTES) {
            return respond({ action: 'error', message: `message over ${MAX_CONTROL_MESSAGE_BYTES} bytes` });
          }
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch (error) {
            return respond({ action: 'error', message: `Invalid JSON: ${(error as Error).message}` });
          }
          const envelope = EnvelopeSchema.safeParse(json);
          if (!envelope.success) {
            const id = (json as { correlation_id?: unknown } | null)?.correlation_id;
            return respond(
              {
                action: 'error',
                message: `invalid request envelope: ${envelope.error.issues.map((i) => `${i.path.join('.') || '(message)'}: ${i.message}`).join('; ')}`,
              },
              typeof id === 'string' ? id : undefined,
            );
          }
          const { correlation_id, payload } = envelope.data;
          void answer(manager, registry, payload).then((response) => {
            if (response) respond(response, correlation_id);
          });
        },
        onClose() {
          unsubscribe?.();
        },
      };
    }),
  );
}
