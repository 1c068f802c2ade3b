import { z } from 'zod';
import type { ByteSink, OutputPinSpec } from '../../engine';
import { closePacket, defineNode } from '../../engine';
import { MEDIA_TYPE } from './byte-io';

/** S3's smallest multipart part (all but the last), StreamKit's default chunk size. */
export const MIN_PART_BYTES = 5 * 1024 * 1024;
/** A server secret's name: what an environment variable may be called. */
const SECRET_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const NO_LITERAL_CREDENTIALS =
  'credentials are not taken from pipeline text; keep them in the server’s secrets and name them with access_key_id_env / secret_key_env';

const params = z
  .strictObject({
    /** The S3-compatible endpoint, e.g. `https://s3.eu-west-1.amazonaws.com` or `http://minio:9000`. */
    endpoint: z.string().url(),
    bucket: z
      .string()
      .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'an S3 bucket name (3–63 lowercase letters, digits, . and -)'),
    /** The object key (path inside the bucket). */
    key: z.string().min(1).max(1024),
    region: z.string().min(1).max(64).default('us-east-1'),
    /** Refused: StreamKit allows a literal key here; Weft takes credentials only from server secrets. */
    access_key_id: z.null({ message: NO_LITERAL_CREDENTIALS }).optional(),
    secret_access_key: z.null({ message: NO_LITERAL_CREDENTIALS }).optional(),
    /** The server secret (an environment variable it shares with pipelines) that holds the access key id. */
    access_key_id_env: z.string().regex(SECRET_NAME, 'an environment variable name').nullable().default(null),
    /** The server secret that holds the secret access key. */
    secret_key_env: z.string().regex(SECRET_NAME, 'an environment variable name').nullable().default(null),
    /** Bytes per uploaded part. */
    chunk_size: z
      .number()
      .int()
      .min(MIN_PART_BYTES, 'at least 5 MiB (S3’s smallest part)')
      .max(512 * 1024 * 1024)
      .default(MIN_PART_BYTES),
    /** The object's Content-Type; by default what upstream declares. */
    content_type: z.string().max(256).regex(MEDIA_TYPE, 'a media type').nullable().default(null),
    /** Also forward every packet on `out`, so the node sits inline (muxer → writer → http_output). */
    passthrough: z.boolean().default(false),
  })
  .refine((p) => p.access_key_id_env !== null && p.secret_key_env !== null, {
    message: 'name the server secrets that hold the credentials: access_key_id_env and secret_key_env',
    path: ['access_key_id_env'],
  });

/** `core::object_store_writer`: streams the bytes it receives to an object in S3-compatible storage (multipart upload). */
export const objectStoreWriter = defineNode({
  kind: 'core::object_store_writer',
  version: 1,
  description:
    'Uploads the bytes it receives to S3-compatible storage (multipart, in parts of chunk_size); the server signs with secrets it holds. With passthrough, forwards them too.',
  categories: ['io', 'sinks'],
  params,
  requires: ['writeObject'],
  inputs: [{ name: 'in', accepts: [{ kind: 'binary' }], cardinality: 'one' }],
  outputs: (p): OutputPinSpec[] =>
    p.passthrough ? [{ name: 'out', produces: { kind: 'binary' }, cardinality: 'broadcast' }] : [],
  create: (ctx) => ({
    async run(io) {
      const write = ctx.host.writeObject;
      if (!write) throw ctx.error('this host has no object storage; run the pipeline on weft serve or weft run');
      const p = ctx.params;
      let sink: ByteSink | undefined;
      try {
        for await (const packet of io.input('in')) {
          if (packet.kind !== 'binary') {
            closePacket(packet);
            throw ctx.error(`expects bytes, got a ${packet.kind} packet; put a muxer before it`, { pin: 'in' });
          }
          const contentType = p.content_type ?? packet.content_type;
          sink ??= await write({
            endpoint: p.endpoint,
            bucket: p.bucket,
            key: p.key,
            region: p.region,
            accessKeyIdSecret: p.access_key_id_env ?? '',
            secretKeySecret: p.secret_key_env ?? '',
            partBytes: p.chunk_size,
            ...(contentType ? { contentType } : {}),
          });
          await sink.write(packet.data, packet.position);
          if (p.passthrough) await io.output('out').send(packet);
        }
        if (!sink) throw ctx.error('its input ended without a byte; there is no object to write', { pin: 'in' });
        await sink.close();
      } catch (error) {
        await sink?.abort(error);
        throw error;
      }
    },
  }),
});
