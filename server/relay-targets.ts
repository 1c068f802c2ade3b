/**
 * The relays a server-side pipeline may connect to. MoQ nodes run in the server's headless
 * Chromium, whose connections do not go through `outbound.ts`, so their `url` params are checked
 * before a job or session (or a node added to one) runs: the server's own relay is always allowed;
 * any other must be http(s) and resolve only to public addresses, unless the server was started
 * with --allow-private-urls. A name is resolved here, not when Chromium connects: a name that
 * changes its answer in between is not caught (the server's own relay needs no name at all).
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { clip } from '../src/engine';
import { isLoopback } from './config';
import { checkOutboundUrl, isPrivateAddress, OutboundError } from './outbound';

/** Node kinds whose `url` param names a relay to connect to. */
const RELAY_CLIENT_KINDS = new Set(['transport::moq::subscriber', 'transport::moq::publisher']);

export interface RelayTargetPolicy {
  allowPrivate: boolean;
  /** The server's own origin (`http://127.0.0.1:4545`): its relay is always allowed. */
  ownOrigin?: string | undefined;
}

/** A node as a pipeline or a control request names it. */
export interface NodeRef {
  id: string;
  kind: string;
  params?: unknown;
}

function isOwnRelay(url: URL, ownOrigin: string | undefined): boolean {
  if (!ownOrigin) return false;
  const own = new URL(ownOrigin);
  if (url.origin === own.origin) return true;
  // The same server under another loopback name (localhost vs 127.0.0.1).
  return isLoopback(url.hostname.replace(/^\[|\]$/g, '')) && isLoopback(own.hostname) && url.port === own.port;
}

/** Why one of `nodes` may not connect where its `url` points, or `undefined` when all may. */
export async function relayTargetProblem(
  nodes: Iterable<NodeRef>,
  policy: RelayTargetPolicy,
): Promise<string | undefined> {
  for (const node of nodes) {
    if (!RELAY_CLIENT_KINDS.has(node.kind)) continue;
    const raw = (node.params as { url?: unknown } | null | undefined)?.url;
    if (typeof raw !== 'string' || raw === '') continue; // the server's own relay
    const what = `node '${clip(node.id)}' (${node.kind}) param url`;
    try {
      const parsed = URL.canParse(raw) ? new URL(raw) : undefined;
      if (parsed && isOwnRelay(parsed, policy.ownOrigin)) continue;
      const url = checkOutboundUrl(raw, policy.allowPrivate, what);
      if (policy.allowPrivate) continue;
      const host = url.hostname.replace(/^\[|\]$/g, '');
      if (isIP(host)) continue; // a literal public address (a private one was refused above)
      const addresses = await lookup(host, { all: true }).catch(() => {
        throw new OutboundError(`${what}: host ${clip(host)} does not resolve`);
      });
      const bad = addresses.find((a) => isPrivateAddress(a.address));
      if (bad) {
        throw new OutboundError(
          `${what}: host ${clip(host)} resolves to ${bad.address}, a private address the server may not reach (leave url out to use the server's own relay, or start it with --allow-private-urls)`,
        );
      }
    } catch (error) {
      if (error instanceof OutboundError) return error.message;
      throw error;
    }
  }
  return undefined;
}

/** The nodes a control request adds (`addnode`, and the `addnode`s of a batch). */
export function addedNodes(request: Record<string, unknown>): NodeRef[] {
  const ops = request.action === 'applybatch' || request.action === 'validatebatch' ? request.operations : [request];
  if (!Array.isArray(ops)) return [];
  return ops.flatMap((op: unknown) => {
    const o = op as Record<string, unknown> | null;
    return o && o.action === 'addnode' && typeof o.kind === 'string'
      ? [{ id: typeof o.node_id === 'string' ? o.node_id : '?', kind: o.kind, params: o.params }]
      : [];
  });
}
