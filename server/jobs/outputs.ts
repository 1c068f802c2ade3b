/**
 * Where finished job outputs live: the data directory (the default), or S3-compatible storage
 * (`weft serve --outputs s3://bucket/prefix`). An output is always written to the job's directory
 * first, at the positions its muxer asks for (a file-mode muxer patches its header last); with S3
 * it is uploaded (multipart) once complete and the local copy removed, so the job succeeds only
 * when its outputs are safely stored.
 */
import { createReadStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { OutputSink } from '../../src/headless/bridge';
import { fileSink } from '../../src/headless/file-sink';
import { deleteObject, readObject, s3Client } from '../object-store';
import type { JobStore } from './store';

/** Bytes per part when uploading a finished output. */
const OUTPUT_PART_BYTES = 8 * 1024 * 1024;

/** A stored output's bytes. */
export interface StoredOutput {
  body: ReadableStream<Uint8Array>;
  size: number;
}

/** Where job outputs are kept. */
export interface OutputStorage {
  /** Says where, for the server's start line: `the data directory`, `s3://bucket/prefix`. */
  readonly where: string;
  open(jobId: string, name: string, contentType: string): Promise<OutputSink>;
  read(jobId: string, name: string): Promise<StoredOutput>;
  /** Removes a job's outputs (retention); the job's directory itself is the store's. */
  remove(jobId: string, names: readonly string[]): Promise<void>;
}

/** Outputs in `<data>/jobs/<id>/out/`. */
export class DiskOutputs implements OutputStorage {
  readonly where = 'the data directory';
  readonly #store: JobStore;

  constructor(store: JobStore) {
    this.#store = store;
  }

  open(jobId: string, name: string): Promise<OutputSink> {
    return fileSink(this.#store.outputPath(jobId, name));
  }

  async read(jobId: string, name: string): Promise<StoredOutput> {
    const path = this.#store.outputPath(jobId, name);
    const size = (await stat(path)).size;
    return { body: Readable.toWeb(createReadStream(path)) as ReadableStream<Uint8Array>, size };
  }

  remove(): Promise<void> {
    return Promise.resolve(); // removed with the job's directory
  }
}

/** `s3://bucket/prefix` and the connection settings of `--outputs`. */
export interface S3OutputSettings {
  url: string;
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
}

/** Parses `s3://bucket/prefix`; the prefix ends with `/` when not empty. */
export function parseS3Url(url: string): { bucket: string; prefix: string } {
  const m = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(url);
  if (!m?.[1]) throw new Error(`--outputs must be s3://BUCKET[/PREFIX], got '${url}'`);
  const prefix = (m[2] ?? '').replace(/^\/+/, '');
  return { bucket: m[1], prefix: prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/` };
}

/** Outputs in S3-compatible storage, at `<prefix><job id>/<name>`. */
export class S3Outputs implements OutputStorage {
  readonly where: string;
  readonly #store: JobStore;
  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #prefix: string;

  constructor(store: JobStore, settings: S3OutputSettings) {
    const { bucket, prefix } = parseS3Url(settings.url);
    this.where = `s3://${bucket}/${prefix}`;
    this.#store = store;
    this.#bucket = bucket;
    this.#prefix = prefix;
    // The operator configured this store: it may well be on a private network.
    this.#client = s3Client({ ...settings, allowPrivate: true });
  }

  #key(jobId: string, name: string): string {
    return `${this.#prefix}${jobId}/${name}`;
  }

  async open(jobId: string, name: string, contentType: string): Promise<OutputSink> {
    const path = this.#store.outputPath(jobId, name);
    const local = await fileSink(path);
    return {
      write: (data, position) => local.write(data, position),
      close: async () => {
        await local.close();
        try {
          const upload = new Upload({
            client: this.#client,
            params: {
              Bucket: this.#bucket,
              Key: this.#key(jobId, name),
              Body: createReadStream(path),
              ContentType: contentType,
            },
            partSize: OUTPUT_PART_BYTES,
            leavePartsOnError: false,
          });
          await upload.done();
        } catch (error) {
          throw new Error(
            `output '${name}' could not be stored in ${this.where}: ${(error as Error).name}: ${(error as Error).message}`,
            { cause: error },
          );
        } finally {
          await rm(path, { force: true });
        }
      },
      abort: (reason) => local.abort(reason),
    };
  }

  async read(jobId: string, name: string): Promise<StoredOutput> {
    const key = this.#key(jobId, name);
    const head = await this.#client.send(new HeadObjectCommand({ Bucket: this.#bucket, Key: key }));
    return { body: await readObject(this.#client, this.#bucket, key), size: head.ContentLength ?? 0 };
  }

  async remove(jobId: string, names: readonly string[]): Promise<void> {
    for (const name of names) await deleteObject(this.#client, this.#bucket, this.#key(jobId, name));
  }

  close(): void {
    this.#client.destroy();
  }
}
