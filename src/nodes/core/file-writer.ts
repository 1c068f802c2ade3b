import { z } from 'zod';
import { defineNode } from '../../engine';
import { drainToSink } from './byte-io';

const params = z.strictObject({
  /** File to write; the host allows only paths inside its configured directories. */
  path: z.string().min(1),
  /** Accepted for StreamKit compatibility; writes follow the packets as they come. */
  chunk_size: z.number().int().min(1).optional(),
});

/** `core::file_writer`: writes the bytes it receives to a file the host resolves by path. */
export const fileWriter = defineNode({
  kind: 'core::file_writer',
  version: 1,
  description:
    'Writes the bytes it receives to a file. The host resolves the path and allows only its configured directories.',
  categories: ['io', 'sinks'],
  params,
  requires: ['writeFile'],
  inputs: [{ name: 'in', accepts: [{ kind: 'binary' }], cardinality: 'one' }],
  outputs: [],
  create: (ctx) => ({
    async run(io) {
      const write = ctx.host.writeFile;
      if (!write) throw ctx.error('this host cannot write files; use streamkit::http_output instead');
      await drainToSink(ctx, io, (contentType) => write(ctx.params.path, contentType));
    },
  }),
});
