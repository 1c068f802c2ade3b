/**
 * Shared plumbing of the byte source and sink nodes (http_input/output, file_reader/writer):
 * re-chunking a byte stream into packets, and writing packets to a host sink.
 */
import type { ByteSink, NodeContext, NodeIO } from '../../engine';
import { closePacket } from '../../engine';

/**
 * A job input or output name (an upload field, `-i`/`-o` name, an output file): letters, digits,
 * `_ . -`, at most 64, not starting with a dot. Hosts store them as file names.
 */
export const JOB_IO_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;
/** What JOB_IO_NAME allows, for messages. */
export const JOB_IO_NAME_RULE = "letters, digits, '_', '.', '-' (at most 64, not starting with '.')";

/** A media type as sent in `Content-Type`: `type/subtype` with optional `; key=value` parameters. */
export const MEDIA_TYPE =
  /^[A-Za-z0-9][\w.+-]{0,63}\/[A-Za-z0-9][\w.+-]{0,63}(?:\s*;\s*[\w.+-]{1,64}=(?:[\w.+-]{1,64}|"[\x20-\x21\x23-\x5b\x5d-\x7e]{0,128}"))*$/;

/** Default bytes per packet, as StreamKit's file nodes. */
export const DEFAULT_CHUNK_SIZE = 8192;

/** Sends a byte stream as binary packets of at most `chunkSize` bytes; returns the byte count. */
export async function sendStream(
  stream: ReadableStream<Uint8Array>,
  io: NodeIO,
  pin: string,
  chunkSize: number,
  contentType?: string,
): Promise<number> {
  const reader = stream.getReader();
  const out = io.output(pin);
  let total = 0;
  const onAbort = (): void => {
    reader.cancel(io.signal.reason).catch(() => undefined); // the stream may already be closed
  };
  io.signal.addEventListener('abort', onAbort, { once: true });
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      for (let offset = 0; offset < value.byteLength; offset += chunkSize) {
        const data = value.subarray(offset, Math.min(value.byteLength, offset + chunkSize));
        total += data.byteLength;
        await out.send({ kind: 'binary', data, ...(contentType ? { content_type: contentType } : {}), meta: {} });
      }
    }
  } finally {
    io.signal.removeEventListener('abort', onAbort);
    reader.releaseLock();
  }
  return total;
}

/** Writes every binary packet of `in` to a sink opened on the first packet (so its content type is known). */
export async function drainToSink(
  ctx: NodeContext<unknown>,
  io: NodeIO,
  open: (contentType: string | undefined) => Promise<ByteSink>,
): Promise<void> {
  let sink: ByteSink | undefined;
  try {
    for await (const packet of io.input('in')) {
      if (packet.kind !== 'binary') {
        closePacket(packet);
        throw ctx.error(`expects bytes, got a ${packet.kind} packet; put a muxer or serializer before it`, {
          pin: 'in',
        });
      }
      sink ??= await open(packet.content_type);
      await sink.write(packet.data, packet.position);
    }
    sink ??= await open(undefined);
    await sink.close();
  } catch (error) {
    await sink?.abort(error);
    throw error;
  }
}
