/**
 * A job output on the driver's loopback bridge, written from the headless engine Worker. Writes are
 * coalesced into chunks of at most OUTPUT_CHUNK_BYTES; a write at another position (a muxer
 * patching a header) sends what is pending first. Each chunk is awaited (backpressure).
 */
import type { ByteSink, ObjectTarget, ScriptFetchRequest } from '../engine';
import { OUTPUT_CHUNK_BYTES } from './protocol';

/** POSTs to a bridge route; a refusal names the route (without its secret) and the answer. */
export async function post(url: string, body?: Uint8Array): Promise<void> {
  const response = await fetch(url, { method: 'POST', ...(body ? { body: body as Uint8Array<ArrayBuffer> } : {}) });
  if (!response.ok)
    throw new Error(`${url.replace(/\/io\/[^/]+/, '/io/…')}: ${response.status} ${await response.text()}`);
}

/** Opens output `name` on the bridge and returns its sink. */
export async function openBridgeOutput(
  ioBase: string,
  name: string,
  contentType: string | undefined,
): Promise<ByteSink> {
  const url = `${ioBase}/out/${encodeURIComponent(name)}`;
  const response = await fetch(`${url}/open${contentType ? `?type=${encodeURIComponent(contentType)}` : ''}`, {
    method: 'POST',
  });
  if (!response.ok)
    throw new Error(
      `${ioBase.replace(/\/io\/[^/]+/, '/io/…')}/out/${name}/open: ${response.status} ${await response.text()}`,
    );
  // A live output (a response streamed while the run goes on) gets every write at once.
  const { live } = (await response.json()) as { live?: boolean };
  return new BridgeSink(url, live === true);
}

/** `core::file_reader` on the server: the file's bytes, or an error saying why it may not be read. */
export async function readBridgeFile(
  ioBase: string,
  path: string,
  signal: AbortSignal,
): Promise<ReadableStream<Uint8Array>> {
  const response = await fetch(`${ioBase}/file?path=${encodeURIComponent(path)}`, { signal });
  if (!response.ok || !response.body) throw new Error(await response.text());
  return response.body;
}

/**
 * Asks the bridge to open an output of its own (a file, a stream, an object) at `route`; the
 * bridge answers the output's name, or why not. Returns the output's sink.
 */
async function openNamedOutput(ioBase: string, route: string, init: RequestInit, live = false): Promise<ByteSink> {
  const response = await fetch(`${ioBase}${route}`, { method: 'POST', ...init });
  if (!response.ok) throw new Error(await response.text());
  const { name } = (await response.json()) as { name: string };
  return new BridgeSink(`${ioBase}/out/${encodeURIComponent(name)}`, live);
}

/** `core::file_writer` on the server: opens the file (if the server allows it) and returns its sink. */
export function openBridgeFile(ioBase: string, path: string): Promise<ByteSink> {
  return openNamedOutput(ioBase, `/file?path=${encodeURIComponent(path)}`, {});
}

/** `transport::http::mse` on the server: publishes a live stream (if the server allows it) and returns its sink. */
export function openBridgeStream(
  ioBase: string,
  path: string,
  options: { contentType: string; maxClients: number },
): Promise<ByteSink> {
  const query = new URLSearchParams({ path, type: options.contentType, max_clients: String(options.maxClients) });
  // Live: every write goes up at once (viewers wait for it), not when a chunk fills.
  return openNamedOutput(ioBase, `/stream?${query.toString()}`, {}, true);
}

/** `core::object_store_writer` on the server: opens the object (the server signs with its secrets) and returns its sink. */
export function openBridgeObject(ioBase: string, target: ObjectTarget): Promise<ByteSink> {
  return openNamedOutput(ioBase, '/object', {
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(target),
  });
}

/** `core::script`'s fetch() on the server: the server makes it (allowlist, secrets) or says why not. */
export async function bridgeFetch(
  ioBase: string,
  request: ScriptFetchRequest,
  signal: AbortSignal,
): Promise<{ status: number; body: string }> {
  const response = await fetch(`${ioBase}/fetch`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(request),
    signal,
  });
  if (!response.ok) throw new Error(await response.text());
  return (await response.json()) as { status: number; body: string };
}

class BridgeSink implements ByteSink {
  readonly #url: string;
  readonly #live: boolean;
  /** A chunk was refused: the bridge has dropped this output, so there is nothing left to abort. */
  #broken = false;
  #pending: Uint8Array[] = [];
  #pendingBytes = 0;
  #start = 0;
  #end = 0;

  constructor(url: string, live = false) {
    this.#url = url;
    this.#live = live;
  }

  async write(data: Uint8Array, position?: number): Promise<void> {
    const at = position ?? this.#end;
    if (at !== this.#start + this.#pendingBytes) {
      await this.#flush();
      this.#start = at;
    }
    this.#pending.push(data.slice());
    this.#pendingBytes += data.byteLength;
    this.#end = Math.max(this.#end, at + data.byteLength);
    if (this.#live || this.#pendingBytes >= OUTPUT_CHUNK_BYTES) await this.#flush();
  }

  async #flush(): Promise<void> {
    if (this.#pendingBytes === 0) return;
    const chunk = new Uint8Array(this.#pendingBytes);
    let offset = 0;
    for (const part of this.#pending) {
      chunk.set(part, offset);
      offset += part.byteLength;
    }
    const start = this.#start;
    this.#pending = [];
    this.#start += this.#pendingBytes;
    this.#pendingBytes = 0;
    // One write may be larger than a chunk (a muxer writing a whole box): it goes in slices.
    try {
      for (let at = 0; at < chunk.byteLength; at += OUTPUT_CHUNK_BYTES) {
        await post(`${this.#url}/chunk?pos=${start + at}`, chunk.subarray(at, at + OUTPUT_CHUNK_BYTES));
      }
    } catch (error) {
      this.#broken = true;
      throw error;
    }
  }

  async close(): Promise<void> {
    await this.#flush();
    // The bridge forgets the output on close, whether or not its sink could finish.
    this.#broken = true;
    await post(`${this.#url}/close`);
  }

  async abort(): Promise<void> {
    this.#pending = [];
    this.#pendingBytes = 0;
    if (this.#broken) return;
    await post(`${this.#url}/abort`);
  }
}
