/**
 * Every outbound request the server makes for a user (URL inputs, webhooks, and later relays,
 * object stores, script fetches) goes through here: http(s) only, no redirects followed, and no
 * loopback, private, link-local or otherwise non-public address unless allowed. The address is
 * checked in the socket's own DNS lookup, so the address checked is the address connected to:
 * a name that resolves to a public address when checked and to 127.0.0.1 when used cannot slip by.
 */
import { lookup as dnsLookup } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { BlockList, isIP } from 'node:net';
import { clip } from '../src/engine';

/** IPv4 ranges that are not the public internet (RFC 6890 and friends). */
const V4_BLOCKED: readonly [string, number][] = [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
];
/** IPv6 ranges that are not the public internet. */
const V6_BLOCKED: readonly [string, number][] = [
  ['::', 128],
  ['::1', 128],
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
];

const BLOCKED = new BlockList();
for (const [net, bits] of V4_BLOCKED) BLOCKED.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of V6_BLOCKED) BLOCKED.addSubnet(net, bits, 'ipv6');

/** The IPv4 address an IPv6 address carries (mapped, compatible, NAT64, 6to4), if any. */
function embeddedV4(address: string): string | undefined {
  const dotted = /^(?:::ffff:|::|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (dotted?.[1]) return dotted[1];
  const groups = expandV6(address);
  if (!groups) return undefined;
  const v4 = (hi: number, lo: number) => `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  const [g0, g1, g2, g3, g4, g5, g6, g7] = groups as [number, number, number, number, number, number, number, number];
  if (g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0 && (g5 === 0xffff || g5 === 0)) return v4(g6, g7);
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) return v4(g6, g7);
  if (g0 === 0x2002) return v4(g1, g2); // 6to4
  return undefined;
}

function expandV6(address: string): number[] | undefined {
  if (address.includes('.')) return undefined;
  const [head = '', tail] = address.split('::');
  const parse = (s: string) => (s === '' ? [] : s.split(':').map((g) => parseInt(g, 16)));
  const a = parse(head);
  const b = tail === undefined ? [] : parse(tail);
  const zeros = 8 - a.length - b.length;
  if (zeros < 0 || (tail === undefined && zeros !== 0)) return undefined;
  return [...a, ...Array<number>(zeros).fill(0), ...b];
}

/** True when `address` is loopback, private, link-local, reserved, or not an address at all. */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return BLOCKED.check(address, 'ipv4');
  if (family === 6) {
    const v4 = embeddedV4(address);
    if (v4 !== undefined) return BLOCKED.check(v4, 'ipv4');
    return BLOCKED.check(address, 'ipv6');
  }
  return true;
}

/** An outbound request that was refused or failed; `status` is what to answer a client with. */
export class OutboundError extends Error {
  override readonly name = 'OutboundError';
  readonly status: 400 | 413 | 502;
  constructor(message: string, status: 400 | 413 | 502 = 400) {
    super(message);
    this.status = status;
  }
}

/** Checks a URL's form (scheme, credentials, literal private address) before any network use. */
export function checkOutboundUrl(raw: string, allowPrivate: boolean, what: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new OutboundError(`${what} '${clip(raw)}' is not a valid URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new OutboundError(`${what} must be http or https, not ${clip(url.protocol.replace(':', ''))}`);
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!allowPrivate && isIP(host) && isPrivateAddress(host)) {
    throw new OutboundError(
      `${what} ${clip(url.host)} is a loopback/private/link-local address, which the server may not reach (start it with --allow-private-urls to allow)`,
    );
  }
  return url;
}

/** A DNS lookup that refuses names resolving to a private address (unless allowed). */
export function guardedLookup(allowPrivate: boolean, what: string): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '', 4);
      const list = addresses as unknown as { address: string; family: number }[];
      const bad = list.find((a) => isPrivateAddress(a.address));
      if (!allowPrivate && bad) {
        return callback(
          new OutboundError(
            `${what} host ${clip(hostname)} resolves to ${bad.address}, a private address the server may not reach (start it with --allow-private-urls to allow)`,
          ),
          '',
          4,
        );
      }
      const first = list[0];
      if (!first) return callback(new OutboundError(`${what} host ${clip(hostname)} has no address`, 502), '', 4);
      if ((options as { all?: boolean }).all)
        return (callback as unknown as (e: null, a: typeof list) => void)(null, list);
      callback(null, first.address, first.family);
    });
  };
}

/** Options of one guarded request. */
export interface OutboundRequest {
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  allowPrivate: boolean;
  /** Names the request in errors: 'URL input', 'webhook'. */
  what: string;
  signal?: AbortSignal;
  /** Gives up when no response arrived in this time. */
  timeoutMs?: number;
}

/**
 * Makes one request with the guard: resolves with the response (redirects are not followed: a 3xx
 * is returned as is). Rejects with an `OutboundError`.
 */
export function outboundRequest(raw: string, options: OutboundRequest): Promise<http.IncomingMessage> {
  const url = checkOutboundUrl(raw, options.allowPrivate, options.what);
  const request = url.protocol === 'https:' ? https.request : http.request;
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: options.method ?? 'GET',
        headers: options.headers ?? {},
        lookup: guardedLookup(options.allowPrivate, options.what),
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.timeoutMs ? { timeout: options.timeoutMs } : {}),
      },
      resolve,
    );
    req.on('timeout', () => req.destroy(new OutboundError(`${options.what} ${url.host} did not answer in time`, 502)));
    req.on('error', (error) =>
      reject(
        error instanceof OutboundError
          ? error
          : new OutboundError(`${options.what}: could not reach ${clip(url.host)}: ${clip(error.message, 200)}`, 502),
      ),
    );
    req.end(options.body);
  });
}
