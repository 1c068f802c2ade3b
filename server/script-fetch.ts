/**
 * `fetch()` for `core::script` on the server: a URL must match one of the operator's
 * `--script-fetch-allow` patterns (none by default: StreamKit's empty `global_fetch_allowlist`
 * blocks every fetch), the request goes through the outbound guard (no private address unless
 * allowed, no redirects), and `headers` that name secrets are filled in here, so their values never
 * reach the page or the pipeline. Answers are bounded in size and time.
 */
import type { ScriptFetchRequest } from '../src/engine';
import { clip } from '../src/engine';
import { outboundRequest } from './outbound';

/** Longest answer body a script gets, in bytes. */
export const MAX_SCRIPT_FETCH_BYTES = 1024 * 1024;
/** Time a script's fetch gets to answer. */
export const SCRIPT_FETCH_TIMEOUT_MS = 10_000;
/** Request headers a script may not set (they belong to the connection or identify the server). */
const FORBIDDEN_HEADERS = new Set(['host', 'connection', 'content-length', 'transfer-encoding', 'cookie']);

/** A script's fetch the server will not make, with StreamKit's wording where it has one. */
export class ScriptFetchRefused extends Error {
  override readonly name = 'ScriptFetchRefused';
}

/** `https://api.example.com/*` as a whole-URL pattern: `*` matches anything, the rest literally. */
function patternOf(pattern: string): RegExp {
  return new RegExp(`^${pattern.split('*').map(escape).join('.*')}$`);
}
const escape = (s: string) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&');

export class ScriptFetch {
  readonly #allow: RegExp[];
  readonly #secrets: ReadonlyMap<string, string>;
  readonly #allowPrivate: boolean;

  constructor(options: { allow: readonly string[]; secrets: ReadonlyMap<string, string>; allowPrivate: boolean }) {
    this.#allow = options.allow.map(patternOf);
    this.#secrets = options.secrets;
    this.#allowPrivate = options.allowPrivate;
  }

  /** The first secret named in `headers` this server does not share, as a message; checked before a run. */
  problem(headers: readonly { secret?: unknown }[]): string | undefined {
    for (const { secret } of headers) {
      if (typeof secret === 'string' && !this.#secrets.has(secret))
        return `secret '${clip(secret)}' is not one this server shares with pipelines; start it with --secret ${clip(secret)} (and ${clip(secret)} set in its environment)`;
    }
    return undefined;
  }

  /** Makes the request if allowed; resolves with the status and body text. Rejects with `ScriptFetchRefused`. */
  async fetch(request: ScriptFetchRequest): Promise<{ status: number; body: string }> {
    if (this.#allow.length === 0) throw new ScriptFetchRefused('Blocked: Global allowlist is empty');
    if (!this.#allow.some((p) => p.test(request.url)))
      throw new ScriptFetchRefused(`Blocked: URL not in global allowlist: ${clip(request.url, 200)}`);
    if (request.method !== 'GET' && request.method !== 'POST')
      throw new ScriptFetchRefused(`fetch() method ${clip(request.method)} is not supported (GET or POST)`);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (!FORBIDDEN_HEADERS.has(name.toLowerCase())) headers[name] = String(value);
    }
    for (const { secret, header, template } of request.secrets) {
      const value = this.#secrets.get(secret);
      if (value === undefined) throw new ScriptFetchRefused(this.problem([{ secret }]) ?? 'unknown secret');
      headers[header] = template.includes('{}') ? template.replaceAll('{}', value) : value;
    }
    const response = await outboundRequest(request.url, {
      method: request.method,
      headers,
      ...(request.body !== undefined ? { body: request.body } : {}),
      allowPrivate: this.#allowPrivate,
      what: 'script fetch()',
      timeoutMs: SCRIPT_FETCH_TIMEOUT_MS,
    });
    const parts: Buffer[] = [];
    let size = 0;
    for await (const chunk of response as AsyncIterable<Buffer>) {
      size += chunk.byteLength;
      if (size > MAX_SCRIPT_FETCH_BYTES) {
        response.destroy();
        throw new ScriptFetchRefused(
          `fetch() answer from ${clip(request.url, 200)} is over ${MAX_SCRIPT_FETCH_BYTES} bytes`,
        );
      }
      parts.push(chunk);
    }
    return { status: response.statusCode ?? 0, body: Buffer.concat(parts).toString('utf8') };
  }
}
