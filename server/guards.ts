/**
 * Request guards of the HTTP API: the bearer token, the `Host` allowlist (DNS rebinding), the
 * same-origin rule for state-changing requests and WebSocket upgrades (cross-site form posts),
 * and the headers that keep job outputs from running as pages in the API's origin.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { clip } from '../src/engine';
import { MEDIA_TYPE } from '../src/nodes';
import { isLoopback } from './config';

/** The JSON body of a refused request. */
function refusal(code: string, message: string) {
  return { error: { code, message } };
}

/** Methods that change state: they must come from the API's own origin, or from no browser at all. */
const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/**
 * `Authorization: Bearer <token>` on every request it guards. Anything else (missing, malformed,
 * wrong) is a 401 with `WWW-Authenticate`, and the comparison takes the same time for any token.
 * A WebSocket upgrade may carry the token as `?token=` instead, since browsers cannot set headers
 * on one (the URL is never logged).
 */
export function requireToken(token: string): MiddlewareHandler {
  const expected = digest(token);
  return async (c, next) => {
    const upgrade = c.req.header('upgrade')?.toLowerCase() === 'websocket';
    const queryToken = upgrade ? c.req.query('token') : undefined;
    const header = c.req.header('authorization') ?? (queryToken !== undefined ? `Bearer ${queryToken}` : undefined);
    const match = header === undefined ? null : /^Bearer[ \t]+([A-Za-z0-9._~+/=-]+)[ \t]*$/i.exec(header);
    const given = match?.[1];
    if (given !== undefined && timingSafeEqual(digest(given), expected)) return next();
    c.header('WWW-Authenticate', 'Bearer realm="weft"');
    const message =
      header === undefined
        ? 'send Authorization: Bearer <token>'
        : match === null
          ? 'malformed Authorization header; send Authorization: Bearer <token>'
          : 'invalid token';
    return c.json(refusal('unauthorized', message), 401);
  };
}

/** The names a loopback server answers to, whatever it was bound to. */
const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '::1'];

/** The host names a server bound to `bind` accepts in `Host`, plus any configured extras. */
export function allowedHostNames(bind: string, extra: readonly string[] = []): string[] | undefined {
  if (extra.includes('*')) return undefined;
  if (isLoopback(bind)) return [...new Set([...LOOPBACK_NAMES, bind.toLowerCase(), ...extra.map(lower)])];
  // A wildcard bind (0.0.0.0, ::) answers to any name: the token guards it. Named binds add their name.
  if (bind === '0.0.0.0' || bind === '::' || extra.length === 0) return undefined;
  return [...new Set([bind.toLowerCase(), ...extra.map(lower)])];
}

function lower(s: string): string {
  return s.toLowerCase();
}

/** The host name of a `Host` header value (`name`, `name:port`, `[v6]:port`), lowercased. */
export function hostNameOf(host: string): string | undefined {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+))(?::(\d{1,5}))?$/.exec(host.trim());
  return (m?.[1] ?? m?.[2])?.toLowerCase();
}

/**
 * Refuses requests whose `Host` is not one of `names` (a page on another site that re-points its
 * DNS name at 127.0.0.1 sends its own name), and state-changing requests or WebSocket upgrades
 * whose `Origin` is not this server's own (a form on another site posting to the API).
 */
export function originGuard(names: readonly string[] | undefined): MiddlewareHandler {
  const allowed = names ? new Set(names) : undefined;
  return async (c, next) => {
    const host = c.req.header('host') ?? '';
    const name = hostNameOf(host);
    if (allowed && (name === undefined || !allowed.has(name))) {
      return c.json(
        refusal(
          'bad_host',
          `this server does not answer to the host name '${clip(host)}' (it answers to ${[...allowed].join(', ')}); start it with --allowed-hosts NAME to add one`,
        ),
        403,
      );
    }
    const upgrade = (c.req.header('upgrade') ?? '').toLowerCase() === 'websocket';
    // A relay client that brings a token may come from any page (players on other sites); without
    // one it is held to this origin like every other upgrade.
    const tokenedRelay = upgrade && /^\/moq(?:\/|$)/.test(c.req.path) && c.req.query('jwt') !== undefined;
    if ((STATE_CHANGING.has(c.req.method) || upgrade) && !tokenedRelay) {
      const origin = c.req.header('origin');
      if (origin !== undefined && !sameHost(origin, host)) {
        return c.json(
          refusal(
            'bad_origin',
            `requests that change state must come from this server's own pages, not from '${clip(origin)}'`,
          ),
          403,
        );
      }
    }
    return next();
  };
}

/**
 * True when the page that sent `origin` was served by this host. The scheme is not compared, so a
 * TLS-terminating proxy in front works; another site cannot have this host and port as its origin.
 */
function sameHost(origin: string, host: string): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false; // 'null' (sandboxed frames, files) and garbage
  }
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  const [name, hostPort] = [hostNameOf(host), /:(\d{1,5})$/.exec(host.trim())?.[1] ?? port];
  return hostNameOf(url.host) === name && port === hostPort;
}

/**
 * Media types a browser may show inline from the API origin: audio, video and raster images, which
 * cannot run script. Anything else (HTML, SVG, XML, JavaScript, PDF…) is sent as a download.
 */
const INLINE_TYPES = /^(?:audio\/|video\/|image\/(?:png|jpeg|gif|webp|avif|bmp)\b|application\/ogg\b|text\/plain\b)/i;

/** True when `contentType` may be shown inline (see INLINE_TYPES). */
export function isInlineMedia(contentType: string): boolean {
  return INLINE_TYPES.test(contentType.trim());
}

/**
 * Headers for a job output served from the API origin: sandboxed (no script, no same-origin
 * access even if opened as a page), never sniffed, not embeddable by other sites, and a download
 * unless its type is inline media.
 */
export function outputHeaders(name: string, declared: string, bytes?: number): Record<string, string> {
  const contentType = MEDIA_TYPE.test(declared) ? declared : 'application/octet-stream';
  const inline = isInlineMedia(contentType);
  return {
    'content-type': contentType,
    ...(bytes !== undefined ? { 'content-length': String(bytes) } : {}),
    'content-disposition': `${inline ? 'inline' : 'attachment'}; filename="${name.replace(/[^A-Za-z0-9_.-]/g, '_')}"`,
    'content-security-policy': "sandbox; default-src 'none'",
    'x-content-type-options': 'nosniff',
    'cross-origin-resource-policy': 'same-origin',
  };
}
