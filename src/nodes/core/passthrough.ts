import { z } from 'zod';
import { defineNode } from '../../engine';

/** `core::passthrough`: forwards every packet unchanged; its broadcast output fans out. */
export const passthrough = defineNode({
  kind: 'core::passthrough',
  version: 1,
  description:
    'Forwards every packet unchanged. Its output takes the type of its input and may feed several consumers.',
  categories: ['core'],
  params: z.strictObject({}),
  inputs: [{ name: 'in', accepts: [{ kind: 'any' }], cardinality: 'one' }],
  outputs: [{ name: 'out', produces: { kind: 'passthrough' }, cardinality: 'broadcast' }],
  create: () => ({
    async run(io) {
      const out = io.output('out');
      for await (const packet of io.input('in')) await out.send(packet);
    },
  }),
});
