import { z } from 'zod';
import { defineNode } from '../../engine';
import { drainToSink, JOB_IO_NAME, JOB_IO_NAME_RULE, MEDIA_TYPE } from './byte-io';

const params = z.strictObject({
  /** Content type of the output; wins over what upstream declares. */
  content_type: z
    .string()
    .max(256)
    .regex(MEDIA_TYPE, "a media type such as 'video/mp4' or 'audio/webm; codecs=opus'")
    .nullable()
    .default(null),
  /** The job output this node writes (Weft extension; StreamKit has exactly one, the response body). */
  output: z.string().regex(JOB_IO_NAME, `output names use ${JOB_IO_NAME_RULE}`).default('output'),
});

/** `streamkit::http_output`: writes the bytes it receives to a named job output (the HTTP response, a file). */
export const httpOutput = defineNode({
  kind: 'streamkit::http_output',
  version: 1,
  description:
    'Writes the bytes it receives to a named job output: the response of /api/v1/process, a job output file, a download.',
  categories: ['io', 'sinks'],
  params,
  requires: ['openOutput'],
  modes: 'oneshot',
  inputs: [{ name: 'in', accepts: [{ kind: 'binary' }], cardinality: 'one' }],
  outputs: [],
  create: (ctx) => ({
    async run(io) {
      const open = ctx.host.openOutput;
      if (!open) throw ctx.error('this host has no job outputs; run the pipeline with `weft run -o` or the job API');
      await drainToSink(ctx, io, (upstream) => open(ctx.params.output, ctx.params.content_type ?? upstream));
    },
  }),
});
