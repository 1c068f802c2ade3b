import { z } from 'zod';
import { defineNode } from '../../engine';
import { DEFAULT_CHUNK_SIZE, sendStream } from './byte-io';

const params = z.strictObject({
  /** File to read; the host allows only paths inside its configured directories. */
  path: z.string().min(1),
  /** Bytes per packet. */
  chunk_size: z
    .number()
    .int()
    .min(1)
    .max(16 * 1024 * 1024)
    .default(DEFAULT_CHUNK_SIZE),
});

/** `core::file_reader`: streams a file the host resolves by path. */
export const fileReader = defineNode({
  kind: 'core::file_reader',
  version: 1,
  description: 'Streams a file as bytes. The host resolves the path and allows only its configured directories.',
  categories: ['io', 'sources'],
  params,
  requires: ['readFile'],
  inputs: [],
  outputs: [{ name: 'out', produces: { kind: 'binary' }, cardinality: 'broadcast' }],
  create: (ctx) => ({
    async run(io) {
      if (!ctx.host.readFile) throw ctx.error('this host cannot read files; use streamkit::http_input instead');
      const stream = await ctx.host.readFile(ctx.params.path, io.signal);
      await sendStream(stream, io, 'out', ctx.params.chunk_size);
    },
  }),
});
