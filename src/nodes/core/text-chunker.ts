import { z } from 'zod';
import type { PacketMeta } from '../../engine';
import { closePacket, defineNode } from '../../engine';

const params = z.strictObject({
  /** Where to cut: after sentences, after clauses (also , ; :), or every `chunk_words` words. */
  split_mode: z.enum(['sentences', 'clauses', 'words']).default('clauses'),
  /** Shorter pieces are joined with the next one. */
  min_length: z.number().int().min(0).default(10),
  /** Words per chunk in `words` mode. */
  chunk_words: z.number().int().min(1).default(5),
});

type Params = z.infer<typeof params>;

const SENTENCE_END = /[.!?…]+["')\]]*\s+/g;
const CLAUSE_END = /[.!?…,;:]+["')\]]*\s+/g;

/** Splits `buffer` into complete chunks and the unfinished rest. */
export function splitText(buffer: string, p: Params): { chunks: string[]; rest: string } {
  const chunks: string[] = [];
  if (p.split_mode === 'words') {
    const words = buffer.split(/\s+/).filter(Boolean);
    const endsClean = /\s$/.test(buffer);
    const complete = endsClean ? words.length : words.length - 1; // an unterminated last word may continue
    let i = 0;
    for (; i + p.chunk_words <= complete; i += p.chunk_words) chunks.push(words.slice(i, i + p.chunk_words).join(' '));
    const rest = words.slice(i);
    return { chunks, rest: rest.length > 0 ? rest.join(' ') + (endsClean ? ' ' : '') : '' };
  }
  const pattern = p.split_mode === 'sentences' ? SENTENCE_END : CLAUSE_END;
  let start = 0;
  let pending = '';
  for (const match of buffer.matchAll(pattern)) {
    const end = (match.index ?? 0) + match[0].length;
    const piece = (pending + buffer.slice(start, end)).trim();
    start = end;
    if (piece.length >= p.min_length) {
      chunks.push(piece);
      pending = '';
    } else pending = `${piece} `;
  }
  return { chunks, rest: pending + buffer.slice(start) };
}

/** `core::text_chunker`: cuts streaming text into speakable pieces at sentence or clause ends, or every N words. */
export const textChunker = defineNode({
  kind: 'core::text_chunker',
  version: 1,
  description: 'Cuts incoming text into pieces at sentence or clause boundaries, or every N words (e.g. before TTS).',
  categories: ['core', 'text'],
  params,
  inputs: [{ name: 'in', accepts: [{ kind: 'text' }, { kind: 'binary' }], cardinality: 'one' }],
  outputs: [{ name: 'out', produces: { kind: 'text' }, cardinality: 'broadcast' }],
  create(ctx) {
    const decoder = new TextDecoder('utf-8', { fatal: true });
    let buffer = '';
    let lastMeta: PacketMeta = {};
    let sequence = 0;
    return {
      async run(io) {
        const out = io.output('out');
        for await (const packet of io.input('in')) {
          if (packet.kind === 'text') buffer += packet.text;
          else if (packet.kind === 'binary') {
            try {
              buffer += decoder.decode(packet.data, { stream: true });
            } catch (cause) {
              throw ctx.error('input bytes are not valid UTF-8 text', { pin: 'in', cause });
            }
          } else {
            closePacket(packet);
            throw ctx.error(`cannot chunk a ${packet.kind} packet`, { pin: 'in' });
          }
          lastMeta = packet.meta;
          const { chunks, rest } = splitText(buffer, ctx.params);
          buffer = rest;
          for (const text of chunks)
            await out.send({ kind: 'text', text, meta: { ...lastMeta, sequence: sequence++ } });
        }
      },
      async flush(io) {
        const text = (buffer + decoder.decode()).trim();
        buffer = '';
        if (text.length > 0)
          await io.output('out').send({ kind: 'text', text, meta: { ...lastMeta, sequence: sequence++ } });
      },
    };
  },
});
