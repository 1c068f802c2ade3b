import { z } from 'zod';
import { defineNode } from '../../engine';
import { drainToSink, MEDIA_TYPE } from '../core/byte-io';

/** StreamKit's default content type of an MSE stream. */
export const MSE_DEFAULT_CONTENT_TYPE = 'video/webm; codecs="vp9,opus"';
/** An MSE path: `/` then URL-safe segments, no `.` or `..` segment. */
const MSE_PATH = /^(?:\/(?!\.\.?(?:\/|$))[A-Za-z0-9._~-]+){1,8}$/;
/** Container types Media Source Extensions plays: WebM and (fragmented) MP4. */
const MSE_TYPE = /^(?:video|audio)\/(?:webm|mp4)(?:\s*;.*)?$/i;

const params = z.strictObject({
  /** Where viewers find the stream: `GET /mse/<session id><path>`. */
  path: z.string().regex(MSE_PATH, "a path such as '/video' (letters, digits, '.', '_', '~', '-' between slashes)"),
  /** The stream's content type; by default the muxer's, else StreamKit's WebM VP9/Opus. */
  content_type: z
    .string()
    .max(256)
    .regex(MEDIA_TYPE, 'a media type')
    .regex(MSE_TYPE, 'a WebM or MP4 type, e.g. \'video/webm; codecs="vp9"\'')
    .nullable()
    .default(null),
  /** Viewers served at once; more are answered 503. */
  max_clients: z.number().int().min(1).max(1000).default(10),
});

/** `transport::http::mse`: serves a live WebM (or fragmented MP4) stream to browsers' Media Source Extensions. */
export const httpMse = defineNode({
  kind: 'transport::http::mse',
  version: 1,
  description:
    'Serves the live WebM (or fragmented MP4) byte stream it receives at /mse/<session><path>, for <video> playback through Media Source Extensions; late viewers start at the latest keyframe.',
  categories: ['transport', 'sinks'],
  params,
  requires: ['publishStream'],
  modes: 'dynamic',
  inputs: [{ name: 'in', accepts: [{ kind: 'binary' }], cardinality: 'one' }],
  outputs: [],
  create: (ctx) => ({
    async run(io) {
      const publish = ctx.host.publishStream;
      if (!publish) throw ctx.error('this host serves no HTTP streams; run the pipeline as a session on weft serve');
      await drainToSink(ctx, io, (upstream) => {
        const contentType =
          ctx.params.content_type ?? (upstream && MSE_TYPE.test(upstream) ? upstream : MSE_DEFAULT_CONTENT_TYPE);
        return publish(ctx.params.path, { contentType, maxClients: ctx.params.max_clients });
      });
    },
  }),
});
