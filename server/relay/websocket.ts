/**
 * The relay's WebSocket side: which `Sec-WebSocket-Protocol` to accept (QMux framing of a
 * moq-lite version), and the glue that hands an accepted `ws` socket to `@moq/qmux`, counting
 * the bytes sent so the relay can tell a slow subscriber.
 */
import Session, { selectSubprotocol } from '@moq/qmux';
import type { WebSocket } from 'ws';
import type { MoqRelay } from './relay';
import { SendMeter } from './relay';
import type { Grant } from './tokens';
import { maskJwt } from './tokens';
import { connectionRootOf } from './paths';

/** The MoQ versions the relay speaks over WebSocket, most preferred first. */
export const RELAY_ALPNS = ['moq-lite-05', 'moq-lite-04', 'moq-lite-03'] as const;

/** The subprotocol to accept from a client's offer, or undefined when it offers no MoQ version we speak. */
export function relaySubprotocol(offered: string | readonly string[] | undefined): string | undefined {
  return selectSubprotocol(typeof offered === 'string' ? offered : [...(offered ?? [])], {
    protocols: [...RELAY_ALPNS],
    versions: Object.fromEntries(RELAY_ALPNS.map((alpn) => [alpn, null])),
  });
}

/**
 * `ws`'s `handleProtocols` for a server that also hosts the relay: relay URLs get a QMux framing
 * of a MoQ version (or are refused), other sockets take the first subprotocol offered.
 */
export function relayHandleProtocols(offered: Set<string>, request: { url?: string }): string | false {
  if (connectionRootOf(new URL(request.url ?? '/', 'http://localhost').pathname) === undefined) {
    return offered.values().next().value ?? false;
  }
  return relaySubprotocol([...offered]) ?? false;
}

type Handler<E> = ((event: E) => void) | null;

/** A `ws` socket in the shape qmux drives (the browser `WebSocket`'s), counting what it sends. */
class MeteredSocket {
  readonly #ws: WebSocket;
  readonly #meter: SendMeter;

  constructor(ws: WebSocket, meter: SendMeter) {
    this.#ws = ws;
    this.#meter = meter;
  }
  get binaryType(): string {
    return this.#ws.binaryType;
  }
  set binaryType(value: string) {
    this.#ws.binaryType = value === 'arraybuffer' ? 'arraybuffer' : 'nodebuffer';
  }
  get url(): string {
    return '';
  }
  get bufferedAmount(): number {
    return this.#ws.bufferedAmount;
  }
  get readyState(): number {
    return this.#ws.readyState;
  }
  get protocol(): string {
    return this.#ws.protocol;
  }
  get extensions(): string {
    return this.#ws.extensions;
  }
  send(data: string | ArrayBufferLike | ArrayBufferView): void {
    this.#meter.sent(typeof data === 'string' ? data.length : data.byteLength);
    this.#ws.send(data);
  }
  close(code?: number, reason?: string): void {
    this.#ws.close(code, reason);
  }
  set onopen(handler: Handler<unknown>) {
    this.#ws.onopen = handler;
  }
  get onopen(): Handler<unknown> {
    return this.#ws.onopen as Handler<unknown>;
  }
  set onmessage(handler: Handler<{ data: unknown }>) {
    this.#ws.onmessage = handler;
  }
  get onmessage(): Handler<{ data: unknown }> {
    return this.#ws.onmessage as Handler<{ data: unknown }>;
  }
  set onerror(handler: Handler<unknown>) {
    this.#ws.onerror = handler;
  }
  get onerror(): Handler<unknown> {
    return this.#ws.onerror as Handler<unknown>;
  }
  set onclose(handler: Handler<{ code?: number; reason?: string }>) {
    this.#ws.onclose = handler;
  }
  get onclose(): Handler<{ code?: number; reason?: string }> {
    return this.#ws.onclose as Handler<{ code?: number; reason?: string }>;
  }
}

/** Who connected, for the relay. */
export interface RelayClient {
  root: string;
  grant: Grant;
  url: URL;
  /** Remote address, for logs. */
  address: string;
}

/** Serves an accepted WebSocket as a MoQ session until it closes. */
export function acceptRelaySocket(relay: MoqRelay, ws: WebSocket, client: RelayClient): void {
  const meter = new SendMeter(() => ws.bufferedAmount);
  const session = Session.accept(new MeteredSocket(ws, meter));
  const label = `${client.address} (${maskJwt(client.url.pathname + client.url.search)})`;
  relay
    .accept(session, client.url, {
      root: client.root,
      grant: client.grant,
      label,
      backlog: () => meter.backlog(),
      forwarded: (bytes) => meter.forwarded(bytes),
      discardQueued: () => meter.discardQueued(),
    })
    .catch((error: unknown) => {
      console.warn(
        `weft: moq: session from ${label} failed: ${error instanceof Error ? error.message : String(error)}`,
      );
      ws.close(1011, 'moq session failed');
    });
}
