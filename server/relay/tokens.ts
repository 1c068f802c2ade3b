/**
 * MoQ relay tokens in moq-relay's shape: an HS256 JWT whose claims say under which `root` path
 * the bearer may connect, which broadcast paths (relative to the root) it may `publish` and
 * `subscribe`, and when it expires. The older `put`/`get` claim names are read too. A token is
 * passed as `?jwt=` on the relay URL, so it is never logged as is (see `maskJwt`).
 */
import { jwtVerify, SignJWT } from 'jose';
import { z } from 'zod';
import { normalizePath } from './paths';

/** The signing algorithm (moq-relay's default for shared keys). */
export const TOKEN_ALGORITHM = 'HS256';
/** A token's lifetime when none is asked for: one hour. */
export const DEFAULT_TOKEN_TTL_S = 60 * 60;
/** The longest lifetime a token may be minted with: thirty days. */
export const MAX_TOKEN_TTL_S = 30 * 24 * 60 * 60;

const patterns = z.union([z.string(), z.array(z.string())]).transform((v) => (typeof v === 'string' ? [v] : v));

const claimsSchema = z.object({
  root: z.string().default(''),
  publish: patterns.optional(),
  subscribe: patterns.optional(),
  put: patterns.optional(),
  get: patterns.optional(),
  exp: z.number().optional(),
});

/** What a verified token allows: patterns are relative to `root`. */
export interface Grant {
  root: string;
  publish: readonly string[];
  subscribe: readonly string[];
  /** Seconds since the epoch; undefined for the anonymous grant. */
  expires?: number;
}

/** Everything, for anonymous loopback use. */
export const ANONYMOUS_GRANT: Grant = { root: '', publish: ['**'], subscribe: ['**'] };

/** What a token is minted with. */
export interface MintOptions {
  root?: string;
  publish?: readonly string[];
  subscribe?: readonly string[];
  ttlSeconds?: number;
}

function key(secret: string): Uint8Array {
  return new TextEncoder().encode(secret);
}

/** Signs a token. Patterns are checked so a typo is refused now, not at connect time. */
export async function mintToken(secret: string, options: MintOptions, now = Date.now()): Promise<string> {
  const ttl = options.ttlSeconds ?? DEFAULT_TOKEN_TTL_S;
  if (!Number.isInteger(ttl) || ttl <= 0 || ttl > MAX_TOKEN_TTL_S) {
    throw new Error(`a token's lifetime must be 1–${String(MAX_TOKEN_TTL_S)} s, got ${String(ttl)}`);
  }
  const publish = [...(options.publish ?? [])].map(checkPattern);
  const subscribe = [...(options.subscribe ?? [])].map(checkPattern);
  if (publish.length === 0 && subscribe.length === 0) {
    throw new Error('a token must allow something: give --publish and/or --subscribe path patterns');
  }
  const iat = Math.floor(now / 1000);
  return new SignJWT({ root: normalizePath(options.root ?? ''), publish, subscribe })
    .setProtectedHeader({ alg: TOKEN_ALGORITHM, typ: 'JWT' })
    .setIssuedAt(iat)
    .setExpirationTime(iat + ttl)
    .sign(key(secret));
}

/** A token that was refused, with a message that says why (never the token itself). */
export class TokenError extends Error {
  override name = 'TokenError';
}

/** Verifies a token's signature, lifetime and claims. */
export async function verifyToken(secret: string, token: string, now = Date.now()): Promise<Grant> {
  let payload: unknown;
  try {
    ({ payload } = await jwtVerify(token, key(secret), {
      algorithms: [TOKEN_ALGORITHM],
      currentDate: new Date(now),
    }));
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ERR_JWT_EXPIRED') throw new TokenError('the relay token has expired; mint a new one');
    if (code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED')
      throw new TokenError('the relay token was not signed by this server');
    throw new TokenError('the relay token is not a valid JWT');
  }
  const claims = claimsSchema.safeParse(payload);
  if (!claims.success) throw new TokenError('the relay token has malformed claims (root, publish, subscribe)');
  const c = claims.data;
  if (c.exp === undefined) throw new TokenError('the relay token has no expiry (exp)');
  return {
    root: normalizePath(c.root),
    publish: c.publish ?? c.put ?? [],
    subscribe: c.subscribe ?? c.get ?? [],
    expires: c.exp,
  };
}

function checkPattern(pattern: string): string {
  const p = normalizePath(pattern);
  for (const segment of p.split('/')) {
    if (segment.includes('*') && segment !== '*' && segment !== '**') {
      throw new Error(`path pattern '${pattern}': a wildcard must be a whole segment ('*' or '**')`);
    }
  }
  return p;
}

/**
 * True when `path` (relative to the grant's root) matches a pattern: `*` is one segment, `**` any
 * number (also none), and a pattern without wildcards also covers every path below it, as
 * moq-relay treats a plain path as a prefix.
 */
export function matchesPattern(pattern: string, path: string): boolean {
  const p = normalizePath(pattern);
  const want = p === '' ? [] : p.split('/');
  const have = normalizePath(path) === '' ? [] : normalizePath(path).split('/');
  const plain = !want.some((s) => s === '*' || s === '**');
  if (plain) return want.every((s, i) => have[i] === s);
  const match = (i: number, j: number): boolean => {
    if (i === want.length) return j === have.length;
    const segment = want[i];
    if (segment === '**') return match(i + 1, j) || (j < have.length && match(i, j + 1));
    if (j === have.length) return false;
    return (segment === '*' || segment === have[j]) && match(i + 1, j + 1);
  };
  return match(0, 0);
}

/** True when the grant allows `action` on `path`, an absolute relay path. */
export function allows(grant: Grant, action: 'publish' | 'subscribe', path: string): boolean {
  const relative = stripRoot(grant.root, path);
  if (relative === undefined) return false;
  return grant[action].some((pattern) => matchesPattern(pattern, relative));
}

/** `path` relative to `root`, or undefined when it is not under it. */
export function stripRoot(root: string, path: string): string | undefined {
  const r = normalizePath(root);
  const p = normalizePath(path);
  if (r === '') return p;
  if (p === r) return '';
  return p.startsWith(`${r}/`) ? p.slice(r.length + 1) : undefined;
}

/** True when a connection at `connectionRoot` lies under the token's root. */
export function rootAllows(grant: Grant, connectionRoot: string): boolean {
  return stripRoot(grant.root, connectionRoot) !== undefined;
}

/** A URL (or text holding one) with any `jwt=` / `token=` value replaced, for logs. */
export function maskJwt(text: string): string {
  return text.replace(/([?&](?:jwt|token)=)[^&#\s]+/gi, '$1***');
}
