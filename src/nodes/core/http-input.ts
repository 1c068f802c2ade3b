import { z } from 'zod';
import type { OutputPinSpec } from '../../engine';
import { defineNode } from '../../engine';
import { DEFAULT_CHUNK_SIZE, JOB_IO_NAME, JOB_IO_NAME_RULE, sendStream } from './byte-io';

/** Most upload fields one http_input reads. */
const MAX_FIELDS = 64;

const FieldName = z.string().regex(JOB_IO_NAME, `field names use ${JOB_IO_NAME_RULE}`);

const FieldSchema = z.union([FieldName, z.strictObject({ name: FieldName, required: z.boolean().default(true) })]);

const params = z
  .strictObject({
    /** The upload field (job input) this node reads. Default `media`; with several http_inputs, the node id. */
    field: FieldName.optional(),
    /** Whether the job fails when the field is missing. */
    required: z.boolean().default(true),
    /** Several fields, one output pin each (named like the field). */
    fields: z.array(FieldSchema).min(1).max(MAX_FIELDS).optional(),
  })
  .refine((p) => !(p.field && p.fields), { message: "'field' and 'fields' cannot both be set", path: ['fields'] });

type Params = z.infer<typeof params>;

/** The fields this node reads, with the pin each one feeds. */
export function inputFields(p: Params): { name: string; pin: string; required: boolean }[] {
  if (p.fields) {
    return p.fields.map((f) =>
      typeof f === 'string' ? { name: f, pin: f, required: true } : { name: f.name, pin: f.name, required: f.required },
    );
  }
  return [{ name: p.field ?? 'media', pin: 'out', required: p.required }];
}

/** `streamkit::http_input`: streams a named job input (an upload, a file given to `weft run -i`) as bytes. */
export const httpInput = defineNode({
  kind: 'streamkit::http_input',
  version: 1,
  description: 'Streams a named job input (uploaded file or URL) into the pipeline as bytes. Oneshot pipelines only.',
  categories: ['io', 'sources'],
  params,
  requires: ['openInput'],
  modes: 'oneshot',
  inputs: [],
  outputs: (p): OutputPinSpec[] =>
    inputFields(p).map((f) => ({ name: f.pin, produces: { kind: 'binary' }, cardinality: 'broadcast' })),
  create: (ctx) => ({
    async run(io) {
      const open = ctx.host.openInput;
      if (!open) throw ctx.error('this host has no job inputs; run the pipeline with `weft run -i` or the job API');
      await Promise.all(
        inputFields(ctx.params).map(async (field) => {
          const stream = await open(field.name, io.signal);
          if (!stream) {
            if (field.required) {
              throw ctx.error(
                `required input '${field.name}' was not provided; give it as -i ${field.name}=PATH or upload field '${field.name}'`,
                { pin: field.pin },
              );
            }
            return;
          }
          await sendStream(stream, io, field.pin, DEFAULT_CHUNK_SIZE);
        }),
      );
    },
  }),
});
