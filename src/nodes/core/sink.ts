import { z } from 'zod';
import { closePacket, defineNode } from '../../engine';

/** `core::sink`: reads and discards everything (ends side branches), closing every frame. */
export const sink = defineNode({
  kind: 'core::sink',
  version: 1,
  description: 'Discards every packet it receives. Use it to terminate a branch whose output is not needed.',
  categories: ['core'],
  params: z.strictObject({}),
  inputs: [{ name: 'in', accepts: [{ kind: 'any' }], cardinality: 'one' }],
  outputs: [],
  create: () => ({
    async run(io) {
      for await (const packet of io.input('in')) closePacket(packet);
    },
  }),
});
