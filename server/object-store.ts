/**
 * S3-compatible object storage for `core::object_store_writer` and job outputs: multipart uploads
 * with the AWS SDK (v3, `@aws-sdk/lib-storage`), signed with secrets the server holds. A pipeline
 * names a secret (StreamKit's `access_key_id_env`), and only secrets the operator shared with
 * `--secret NAME` can be named, so a pipeline cannot send the server's other environment anywhere.
 * Endpoints go through the outbound guard: no private address unless the server allows them.
 */
import http from 'node:http';
import https from 'node:https';
import { PassThrough } from 'node:stream';
import { once } from 'node:events';
import { GetObjectCommand, DeleteObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { S3ClientConfig } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { ObjectTarget } from '../src/engine';
import { clip } from '../src/engine';
import type { OutputSink } from '../src/headless/bridge';
import { OutputRefused } from '../src/headless/bridge';
import { checkOutboundUrl, guardedLookup, OutboundError } from './outbound';

/** Parts uploaded at once per object. */
const UPLOAD_QUEUE = 2;
/** Tries per request (the SDK retries transient failures). */
const MAX_ATTEMPTS = 3;
/** Bytes buffered ahead of the upload before writes wait. */
const UPLOAD_BUFFER_BYTES = 1024 * 1024;

/** Where and how one S3 client connects. */
export interface S3Connection {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Whether the endpoint may be a private address (operator-configured stores may). */
  allowPrivate: boolean;
}

/** An S3 client for `connection`, its connections made through the outbound guard. */
export function s3Client(connection: S3Connection): S3Client {
  const lookup = guardedLookup(connection.allowPrivate, 'object storage endpoint');
  const config: S3ClientConfig = {
    endpoint: connection.endpoint,
    region: connection.region,
    credentials: { accessKeyId: connection.accessKeyId, secretAccessKey: connection.secretAccessKey },
    // Path-style (`endpoint/bucket/key`) works with every S3-compatible server, not only AWS.
    forcePathStyle: true,
    // Checksums only where S3 requires them: many S3-compatible servers reject the newer trailers.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: MAX_ATTEMPTS,
    requestHandler: new NodeHttpHandler({
      httpAgent: new http.Agent({ keepAlive: true, lookup }),
      httpsAgent: new https.Agent({ keepAlive: true, lookup }),
    }),
  };
  return new S3Client(config);
}

/** Says what S3 answered, without anything secret. */
function describe(error: unknown, where: string): Error {
  const e = error as { name?: string; message?: string; Code?: string };
  if (error instanceof OutboundError) return new Error(`${where}: ${error.message}`);
  const code = e.Code ?? e.name ?? 'Error';
  return new Error(`object storage refused ${where}: ${code}: ${clip(e.message ?? String(error), 300)}`);
}

/**
 * A sink that uploads what is written to `bucket/key` in parts of `partBytes`. Writes go forward
 * only (a muxer in a streaming mode); the object exists once `close` resolves, and `abort` removes
 * the parts sent so far.
 */
export function uploadSink(
  client: S3Client,
  object: { bucket: string; key: string; partBytes: number; contentType?: string },
): OutputSink {
  const where = `the upload to ${clip(object.bucket)}/${clip(object.key)}`;
  const body = new PassThrough({ highWaterMark: UPLOAD_BUFFER_BYTES });
  const upload = new Upload({
    client,
    params: {
      Bucket: object.bucket,
      Key: object.key,
      Body: body,
      ...(object.contentType ? { ContentType: object.contentType } : {}),
    },
    partSize: object.partBytes,
    queueSize: UPLOAD_QUEUE,
    leavePartsOnError: false,
  });
  // Set by the upload when it fails; checked before and after every wait.
  const state: { failure?: Error } = {};
  const check = (): void => {
    const failure = state.failure;
    if (failure) throw failure;
  };
  const done = upload.done().then(
    () => undefined,
    (error: unknown) => {
      state.failure = describe(error, where);
      body.destroy();
    },
  );
  let end = 0;
  return {
    async write(data, position) {
      check();
      if (position !== end) {
        throw new Error(
          `${where} goes forward only, but its input rewrote byte ${position}: use a muxer in a streaming mode (mode: stream, streaming_mode: live), or an MP4 muxer in file mode`,
        );
      }
      end += data.byteLength;
      if (!body.write(data)) {
        await Promise.race([once(body, 'drain'), done]);
        check();
      }
    },
    async close() {
      body.end();
      await done;
      check();
    },
    async abort() {
      body.destroy();
      await upload.abort().catch(() => undefined); // nothing was started, or it failed already
    },
  };
}

/** Reads `bucket/key` (job outputs stored in S3). */
export async function readObject(client: S3Client, bucket: string, key: string): Promise<ReadableStream<Uint8Array>> {
  const answer = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const body = answer.Body;
  if (!body) throw new Error(`object ${bucket}/${key} has no body`);
  return body.transformToWebStream() as ReadableStream<Uint8Array>;
}

/** Deletes `bucket/key` (expired job outputs). */
export async function deleteObject(client: S3Client, bucket: string, key: string): Promise<void> {
  await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
}

/** The values of the environment variables `names` (`--secret NAME`); a missing one is logged, not shared. */
export function secretsOf(
  names: readonly string[],
  env: Record<string, string | undefined>,
  log: (line: string) => void,
): Map<string, string> {
  const secrets = new Map<string, string>();
  for (const name of names) {
    const value = env[name];
    if (value === undefined || value === '')
      log(`weft: --secret ${name}: ${name} is not set in the environment; not shared`);
    else secrets.set(name, value);
  }
  return secrets;
}

/** The secrets and outbound policy `core::object_store_writer` works with. */
export class ObjectStore {
  readonly #secrets: ReadonlyMap<string, string>;
  readonly #allowPrivate: boolean;

  constructor(options: { secrets: ReadonlyMap<string, string>; allowPrivate: boolean }) {
    this.#secrets = options.secrets;
    this.#allowPrivate = options.allowPrivate;
  }

  /** Why a writer with these params may not run here (checked before a run starts), or `undefined`. */
  problem(params: Record<string, unknown>): string | undefined {
    for (const param of ['access_key_id_env', 'secret_key_env']) {
      const name = params[param];
      if (typeof name === 'string' && !this.#secrets.has(name)) return this.#unknownSecret(name);
    }
    if (typeof params.endpoint === 'string') {
      try {
        checkOutboundUrl(params.endpoint, this.#allowPrivate, 'object storage endpoint');
      } catch (error) {
        return (error as Error).message;
      }
    }
    return undefined;
  }

  /** Opens `target` for writing. Throws `OutputRefused` for a secret not shared or an endpoint not allowed. */
  open(target: ObjectTarget): OutputSink {
    const accessKeyId = this.#secrets.get(target.accessKeyIdSecret);
    const secretAccessKey = this.#secrets.get(target.secretKeySecret);
    if (accessKeyId === undefined) throw new OutputRefused(403, this.#unknownSecret(target.accessKeyIdSecret));
    if (secretAccessKey === undefined) throw new OutputRefused(403, this.#unknownSecret(target.secretKeySecret));
    try {
      checkOutboundUrl(target.endpoint, this.#allowPrivate, 'object storage endpoint');
    } catch (error) {
      throw new OutputRefused(403, (error as Error).message);
    }
    const client = s3Client({
      endpoint: target.endpoint,
      region: target.region,
      accessKeyId,
      secretAccessKey,
      allowPrivate: this.#allowPrivate,
    });
    const sink = uploadSink(client, target);
    const release = (): void => client.destroy();
    return {
      write: (data, position) => sink.write(data, position),
      close: () => sink.close().finally(release),
      abort: (reason) => sink.abort(reason).finally(release),
    };
  }

  #unknownSecret(name: string): string {
    return `secret '${clip(name)}' is not one this server shares with pipelines; start it with --secret ${clip(name)} (and ${clip(name)} set in its environment)`;
  }
}
