/**
 * Fetching URL inputs safely: http(s) only, no redirects, a size limit, and no loopback, private or
 * link-local address unless allowed. The check runs in the socket's DNS lookup, so the address
 * checked is the address connected to (no DNS-rebinding gap).
 */
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { LookupFunction } from 'node:net';
import { BlockList, isIP } from 'node:net';
import { lookup as dnsLookup } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';

/** Address ranges a URL input may not reach unless `allowPrivate`. */
const BLOCKED = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  BLOCKED.addSubnet(net, bits, 'ipv4');
}
for (const [net, bits] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  BLOCKED.addSubnet(net, bits, 'ipv6');
}

/** A URL input that was refused or could not be fetched; `status` is the HTTP status to answer with. */
export class UrlInputError extends Error {
  override readonly name = 'UrlInputError';
  readonly status: 400 | 413 | 502;
  constructor(message: string, status: 400 | 413 | 502 = 400) {
    super(message);
    this.status = status;
  }
}

/** True when `address` is loopback, private, link-local or otherwise not public. */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return BLOCKED.check(address, 'ipv4');
  if (family === 6) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    if (mapped?.[1]) return BLOCKED.check(mapped[1], 'ipv4');
    return BLOCKED.check(address, 'ipv6');
  }
  return true;
}

/** Checks a URL's form (scheme, literal private address) before any network use. */
export function checkUrl(raw: string, allowPrivate: boolean): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UrlInputError(`'${raw}' is not a valid URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UrlInputError(`URL inputs must be http or https, not ${url.protocol.replace(':', '')}`);
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!allowPrivate && isIP(host) && isPrivateAddress(host)) {
    throw new UrlInputError(
      `URL input ${url.host} is a loopback/private/link-local address, which URL inputs may not reach (the server must be started with --allow-private-urls)`,
    );
  }
  return url;
}

function guardedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '', 4);
      const list = addresses as unknown as { address: string; family: number }[];
      const bad = list.find((a) => isPrivateAddress(a.address));
      if (!allowPrivate && bad) {
        return callback(
          new UrlInputError(
            `URL input host ${hostname} resolves to ${bad.address}, a private address URL inputs may not reach`,
          ),
          '',
          4,
        );
      }
      const first = list[0];
      if (!first) return callback(new UrlInputError(`URL input host ${hostname} has no address`, 502), '', 4);
      if ((options as { all?: boolean }).all)
        return (callback as unknown as (e: null, a: typeof list) => void)(null, list);
      callback(null, first.address, first.family);
    });
  };
}

/** Downloads `raw` to `dest`, refusing private addresses (unless allowed) and bodies over `maxBytes`. */
export async function fetchUrlInput(
  raw: string,
  dest: string,
  options: { allowPrivate: boolean; maxBytes: number; signal?: AbortSignal },
): Promise<number> {
  const url = checkUrl(raw, options.allowPrivate);
  const get = url.protocol === 'https:' ? https.get : http.get;
  const response = await new Promise<http.IncomingMessage>((resolve, reject) => {
    const request = get(url, { lookup: guardedLookup(options.allowPrivate), signal: options.signal }, resolve);
    request.on('error', (error) =>
      reject(
        error instanceof UrlInputError
          ? error
          : new UrlInputError(`could not fetch ${url.host}: ${error.message}`, 502),
      ),
    );
  });
  if (response.statusCode !== 200) {
    response.resume();
    throw new UrlInputError(
      `fetching ${url.href} answered ${response.statusCode ?? '?'} (redirects are not followed)`,
      502,
    );
  }
  const declared = Number(response.headers['content-length'] ?? 0);
  if (declared > options.maxBytes) {
    response.destroy();
    throw new UrlInputError(`URL input is ${declared} bytes; the limit is ${options.maxBytes}`, 413);
  }
  let total = 0;
  const limit = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      total += chunk.byteLength;
      if (total > options.maxBytes)
        done(new UrlInputError(`URL input exceeds the limit of ${options.maxBytes} bytes`, 413));
      else done(null, chunk);
    },
  });
  try {
    await pipeline(response, limit, createWriteStream(dest));
  } catch (error) {
    await rm(dest, { force: true });
    throw error instanceof UrlInputError
      ? error
      : new UrlInputError(`downloading ${url.href} failed: ${String(error)}`, 502);
  }
  return total;
}
