/**
 * Fetching URL inputs: a guarded outbound GET (`../outbound.ts`: http(s) only, no redirects, no
 * private addresses unless allowed, checked at connect time) streamed to disk with a size limit.
 */
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { clip } from '../../src/engine';
import { checkOutboundUrl, OutboundError, outboundRequest } from '../outbound';

export { isPrivateAddress, OutboundError } from '../outbound';

/** Time a URL input's server gets to start answering. */
const URL_INPUT_TIMEOUT_MS = 30_000;

/** Checks a URL input's form before any network use. */
export function checkUrl(raw: string, allowPrivate: boolean): URL {
  return checkOutboundUrl(raw, allowPrivate, 'URL input');
}

/** Downloads `raw` to `dest`, refusing private addresses (unless allowed) and bodies over `maxBytes`. */
export async function fetchUrlInput(
  raw: string,
  dest: string,
  options: { allowPrivate: boolean; maxBytes: number; signal?: AbortSignal },
): Promise<number> {
  const response = await outboundRequest(raw, {
    allowPrivate: options.allowPrivate,
    what: 'URL input',
    timeoutMs: URL_INPUT_TIMEOUT_MS,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const href = clip(raw, 200);
  if (response.statusCode !== 200) {
    response.resume();
    throw new OutboundError(
      `fetching ${href} answered ${response.statusCode ?? '?'} (redirects are not followed)`,
      502,
    );
  }
  const declared = Number(response.headers['content-length'] ?? 0);
  if (declared > options.maxBytes) {
    response.destroy();
    throw new OutboundError(`URL input is ${declared} bytes; the limit is ${options.maxBytes}`, 413);
  }
  let total = 0;
  const limit = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      total += chunk.byteLength;
      if (total > options.maxBytes)
        done(new OutboundError(`URL input exceeds the limit of ${options.maxBytes} bytes`, 413));
      else done(null, chunk);
    },
  });
  try {
    await pipeline(response, limit, createWriteStream(dest));
  } catch (error) {
    await rm(dest, { force: true });
    throw error instanceof OutboundError
      ? error
      : new OutboundError(`downloading ${href} failed: ${clip(String(error), 200)}`, 502);
  }
  return total;
}
