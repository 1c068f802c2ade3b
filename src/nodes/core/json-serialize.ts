import { z } from 'zod';
import type { Packet } from '../../engine';
import { closePacket, defineNode } from '../../engine';

const params = z.strictObject({
  /** Indent the JSON for humans. */
  pretty: z.boolean().default(false),
  /** One JSON document per line (NDJSON). */
  newline_delimited: z.boolean().default(false),
});

function metadata(packet: Packet): Record<string, unknown> | undefined {
  const m = packet.meta;
  const out: Record<string, unknown> = {};
  if (m.timestamp !== undefined) out.timestamp_us = m.timestamp;
  if (m.duration !== undefined) out.duration_us = m.duration;
  if (m.sequence !== undefined) out.sequence = m.sequence;
  return Object.keys(out).length > 0 ? out : undefined;
}

/** The JSON value for a structured packet, in StreamKit's shapes. */
export function packetToJson(packet: Packet): unknown {
  const meta = metadata(packet);
  switch (packet.kind) {
    case 'text':
      return meta ? { text: packet.text, metadata: meta } : packet.text;
    case 'transcription':
      return {
        text: packet.text,
        segments: packet.segments.map((s) => ({
          text: s.text,
          start_time_ms: Math.round(s.start / 1000),
          end_time_ms: Math.round(s.end / 1000),
          confidence: s.confidence ?? null,
        })),
        language: packet.language ?? null,
        metadata: meta ?? null,
      };
    case 'json':
      return { type_id: packet.type_id, encoding: 'json', data: packet.data, ...(meta ? { metadata: meta } : {}) };
    default:
      return undefined;
  }
}

/** `core::json_serialize`: renders text, transcriptions and JSON events as JSON bytes (optionally NDJSON). */
export const jsonSerialize = defineNode({
  kind: 'core::json_serialize',
  version: 1,
  description: 'Serializes text, transcription and JSON event packets to JSON bytes, optionally one document per line.',
  categories: ['core', 'serialization'],
  params,
  inputs: [
    { name: 'in', accepts: [{ kind: 'text' }, { kind: 'transcription' }, { kind: 'json' }], cardinality: 'one' },
  ],
  outputs: [{ name: 'out', produces: { kind: 'binary', content_type: 'application/json' }, cardinality: 'broadcast' }],
  negotiate: ({ params: p }) =>
    new Map([
      ['out', { kind: 'binary', content_type: p.newline_delimited ? 'application/x-ndjson' : 'application/json' }],
    ]),
  create(ctx) {
    const encoder = new TextEncoder();
    const contentType = ctx.params.newline_delimited ? 'application/x-ndjson' : 'application/json';
    return {
      async run(io) {
        const out = io.output('out');
        for await (const packet of io.input('in')) {
          const value = packetToJson(packet);
          if (value === undefined) {
            closePacket(packet);
            throw ctx.error(`cannot serialize a ${packet.kind} packet; connect text, transcription or json`, {
              pin: 'in',
            });
          }
          const text =
            JSON.stringify(value, null, ctx.params.pretty ? 2 : undefined) + (ctx.params.newline_delimited ? '\n' : '');
          await out.send({ kind: 'binary', data: encoder.encode(text), content_type: contentType, meta: packet.meta });
        }
      },
    };
  },
});
