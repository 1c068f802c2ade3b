/**
 * The loop shared by WebCodecs decoder and encoder nodes: configure on the first packet (and when
 * the config changes), feed while the codec's queue is under a bound, forward outputs as they come,
 * flush at the end. WebCodecs reports outputs and errors through callbacks; this turns them into
 * awaited sends so that backpressure reaches upstream.
 */
import type { NodeContext, NodeInstance, NodeIO, Packet } from '../../engine';
import { closePacket } from '../../engine';

/** Items a decoder or encoder may hold before the node stops feeding it. */
export const MAX_CODEC_QUEUE = 8;

/** What the loop needs from a WebCodecs codec (VideoDecoder, AudioEncoder, …). */
export interface CodecLike {
  readonly state: CodecState;
  /** Items queued inside the codec (`decodeQueueSize` / `encodeQueueSize`). */
  queueSize(): number;
  /** Calls `listener` on the codec's next `dequeue` event; returns the unsubscribe function. */
  onDequeue(listener: () => void): () => void;
  flush(): Promise<void>;
  close(): void;
}

/** A `CodecLike` view of any WebCodecs codec. */
export function codecOf(codec: VideoDecoder | VideoEncoder | AudioDecoder | AudioEncoder): CodecLike {
  return {
    get state() {
      return codec.state;
    },
    queueSize: () => ('decodeQueueSize' in codec ? codec.decodeQueueSize : codec.encodeQueueSize),
    onDequeue: (listener) => {
      codec.addEventListener('dequeue', listener);
      return () => codec.removeEventListener('dequeue', listener);
    },
    flush: () => codec.flush(),
    close: () => codec.close(),
  };
}

/** Outputs of a codec waiting to be sent, and the first error it reported. */
export class CodecOutputs {
  readonly pending: Packet[] = [];
  error: Error | undefined;

  push(packet: Packet): void {
    this.pending.push(packet);
  }

  fail(error: Error): void {
    this.error ??= error;
  }

  /** Closes what was never sent (after a failure or cancellation). */
  discard(): void {
    for (const packet of this.pending.splice(0)) closePacket(packet);
  }
}

/** Sends everything the codec produced so far; throws the codec's error, if any. */
export async function forward(outputs: CodecOutputs, io: NodeIO, pin: string): Promise<void> {
  for (;;) {
    if (outputs.error) throw outputs.error;
    const next = outputs.pending.shift();
    if (!next) return;
    await io.output(pin).send(next);
  }
}

/** Waits until the codec's queue is at most `limit`, forwarding outputs meanwhile. */
export async function drainQueue(
  codec: CodecLike,
  outputs: CodecOutputs,
  io: NodeIO,
  pin: string,
  limit = MAX_CODEC_QUEUE,
): Promise<void> {
  while (codec.queueSize() > limit) {
    await forward(outputs, io, pin);
    if (codec.queueSize() <= limit) break;
    await new Promise<void>((resolve, reject) => {
      const done = (): void => {
        off();
        io.signal.removeEventListener('abort', done);
        if (io.signal.aborted) reject(io.signal.reason as Error);
        else resolve();
      };
      const off = codec.onDequeue(done);
      io.signal.addEventListener('abort', done, { once: true });
    });
    if (outputs.error) throw outputs.error;
  }
  await forward(outputs, io, pin);
}

/** Flushes the codec and sends what it still held. */
export async function finish(
  codec: CodecLike | undefined,
  outputs: CodecOutputs,
  io: NodeIO,
  pin: string,
): Promise<void> {
  if (codec && codec.state === 'configured') await codec.flush();
  await forward(outputs, io, pin);
}

/** Closes a codec and everything it produced that was not sent. Safe to call twice. */
export function shutdown(codec: CodecLike | undefined, outputs: CodecOutputs): void {
  if (codec && codec.state !== 'closed') codec.close();
  outputs.discard();
}

/** Wraps a WebCodecs error so that it names the node and what it was doing. */
export function codecError(ctx: NodeContext<unknown>, what: string, pin: string, cause: unknown): Error {
  const message = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
  return ctx.error(`${what} failed: ${message}`, { pin, cause });
}

/**
 * The `flush` and `close` of a codec node: flush sends what the codec still holds (reporting the
 * codec's own error first), close releases the codec and anything unsent.
 */
export function codecEnding(
  ctx: NodeContext<unknown>,
  outputs: CodecOutputs,
  codec: () => CodecLike | undefined,
  what: () => string,
): Required<Pick<NodeInstance, 'flush' | 'close'>> {
  return {
    async flush(io) {
      try {
        await finish(codec(), outputs, io, 'out');
      } catch (cause) {
        throw outputs.error ?? codecError(ctx, `flushing the ${what()}`, 'in', cause);
      }
    },
    close() {
      shutdown(codec(), outputs);
    },
  };
}
