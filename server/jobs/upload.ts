/**
 * Reading request bodies with bounds: a multipart upload streamed to disk as it arrives (files go
 * straight to a scratch directory; text fields are capped), and a text body read with a byte
 * count. Both count the bytes themselves, so a chunked body without `Content-Length` is bounded
 * too, and neither ever holds more than a field or a chunk in memory.
 */
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import type { ReadableStream as NodeWebStream } from 'node:stream/web';
import { pipeline } from 'node:stream/promises';
import { Busboy } from '@fastify/busboy';
import { clip } from '../../src/engine';
import { inside, isSafeName } from './ids';
import { JOB_IO_NAME_RULE } from '../../src/nodes';

/** Most parts (fields and files) one upload may have. */
export const MAX_UPLOAD_PARTS = 64;
/** Largest text field other than `config` (a URL, a webhook, a `set` override). */
export const MAX_FIELD_BYTES = 8 * 1024;

/** A body that was refused; `status` is what to answer. */
export class BodyError extends Error {
  override readonly name = 'BodyError';
  readonly status: 400 | 413;
  readonly code: string;
  constructor(status: 400 | 413, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** One uploaded file, already on disk. */
export interface UploadedFile {
  name: string;
  path: string;
  bytes: number;
}

/** What a multipart upload held, in the order it arrived. */
export interface Upload {
  /** Field names in arrival order (StreamKit wants `config` first). */
  order: string[];
  fields: [string, string][];
  files: UploadedFile[];
}

export interface UploadLimits {
  /** Largest whole body, in bytes. */
  maxBytes: number;
  /** Largest `config` field (the pipeline). */
  maxConfigBytes: number;
}

function tooLarge(limit: number, what: string): BodyError {
  return new BodyError(413, 'too_large', `${what} is limited to ${limit} bytes (${(limit / 1048576).toFixed(1)} MiB)`);
}

/** A pass-through that fails once more than `limit` bytes went through it. */
function byteLimit(limit: number, what: string): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      seen += chunk.byteLength;
      done(seen > limit ? tooLarge(limit, what) : null, chunk);
    },
  });
}

/** Refuses a body whose declared length is already over the limit, before reading any of it. */
function checkDeclaredLength(request: Request, limit: number, what: string): void {
  const declared = Number(request.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > limit) throw tooLarge(limit, what);
}

function bodyStream(request: Request): Readable {
  if (!request.body) throw new BodyError(400, 'bad_request', 'the request has no body');
  return Readable.fromWeb(request.body as NodeWebStream<Uint8Array>);
}

/** Reads a text body (a pipeline, a JSON request) of at most `limit` bytes. */
export async function readText(request: Request, limit: number, what = 'the request body'): Promise<string> {
  checkDeclaredLength(request, limit, what);
  if (!request.body) return '';
  const parts: Buffer[] = [];
  const counter = byteLimit(limit, what);
  counter.on('data', (chunk: Buffer) => parts.push(chunk));
  await pipeline(bodyStream(request), counter);
  return Buffer.concat(parts).toString('utf8');
}

/**
 * Streams a `multipart/form-data` body: files to `dir` (created), text fields into memory with
 * caps. Input names must be safe names (they become file names); a name may appear once, except
 * `set`, which may repeat.
 */
export async function readUpload(request: Request, dir: string, limits: UploadLimits): Promise<Upload> {
  const type = request.headers.get('content-type') ?? '';
  checkDeclaredLength(request, limits.maxBytes, 'an upload');
  await mkdir(dir, { recursive: true });
  const upload: Upload = { order: [], fields: [], files: [] };
  const seen = new Set<string>();
  const writes: Promise<void>[] = [];
  let failure: BodyError | undefined;
  let parser: ReturnType<typeof Busboy>;
  try {
    parser = Busboy({
      headers: { 'content-type': type },
      limits: {
        parts: MAX_UPLOAD_PARTS,
        fieldNameSize: 64,
        fieldSize: Math.max(limits.maxConfigBytes, MAX_FIELD_BYTES) + 1,
        headerPairs: 32,
      },
    });
  } catch (error) {
    throw new BodyError(
      400,
      'bad_request',
      `not a multipart body: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const fail = (error: BodyError): void => {
    failure ??= error;
  };
  const claim = (name: string): boolean => {
    if (!isSafeName(name)) {
      fail(new BodyError(400, 'bad_request', `field name '${clip(name)}' is not allowed (${JOB_IO_NAME_RULE})`));
      return false;
    }
    if (seen.has(name) && name !== 'set') {
      fail(new BodyError(400, 'bad_request', `field '${name}' appears twice`));
      return false;
    }
    seen.add(name);
    upload.order.push(name);
    return true;
  };
  parser.on('field', (name, value, _nameTruncated, valueTruncated) => {
    if (failure || !claim(name)) return;
    const limit = name === 'config' ? limits.maxConfigBytes : MAX_FIELD_BYTES;
    if (valueTruncated || Buffer.byteLength(value) > limit) {
      fail(name === 'config' ? tooLarge(limit, 'a pipeline document') : tooLarge(limit, `field '${name}'`));
      return;
    }
    upload.fields.push([name, value]);
  });
  parser.on('file', (name, stream) => {
    if (failure || !claim(name)) {
      stream.resume();
      return;
    }
    if (name === 'config') {
      // The pipeline sent as a file part: read it as text, with the pipeline limit.
      const parts: Buffer[] = [];
      let bytes = 0;
      stream.on('data', (chunk: Buffer) => {
        bytes += chunk.byteLength;
        if (bytes <= limits.maxConfigBytes) parts.push(chunk);
      });
      writes.push(
        new Promise<void>((resolve) => {
          stream.on('end', () => {
            if (bytes > limits.maxConfigBytes) fail(tooLarge(limits.maxConfigBytes, 'a pipeline document'));
            else upload.fields.push(['config', Buffer.concat(parts).toString('utf8')]);
            resolve();
          });
        }),
      );
      return;
    }
    const path = inside(dir, `in-${name}`);
    const file: UploadedFile = { name, path, bytes: 0 };
    upload.files.push(file);
    stream.on('data', (chunk: Buffer) => (file.bytes += chunk.byteLength));
    writes.push(
      pipeline(stream, createWriteStream(path)).catch((error: unknown) =>
        fail(error instanceof BodyError ? error : new BodyError(400, 'bad_request', `upload of '${name}' broke off`)),
      ),
    );
  });
  parser.on('partsLimit', () =>
    fail(new BodyError(413, 'too_large', `an upload has at most ${MAX_UPLOAD_PARTS} parts`)),
  );
  try {
    await pipeline(bodyStream(request), byteLimit(limits.maxBytes, 'an upload'), parser);
  } catch (error) {
    if (error instanceof BodyError) throw error;
    throw failure ?? new BodyError(400, 'bad_request', `the multipart body is malformed (${clip(String(error), 200)})`);
  }
  await Promise.all(writes);
  if (failure) throw failure;
  return upload;
}
