/**
 * Splits a live WebM or fragmented-MP4 byte stream into what Media Source Extensions needs: the
 * init segment (everything before the first cluster or fragment) and media pieces, each marked
 * where a cluster (`Cluster`) or fragment (`moof`) starts, so a viewer who joins late can start
 * at one. Only element and box headers are read; their bodies pass through unread and unbuffered.
 */

/** A run of stream bytes, in order. */
export interface Piece {
  /** `init`: the init segment, whole, once. `media`: bytes after it. */
  type: 'init' | 'media';
  data: Uint8Array;
  /** The piece begins a cluster or fragment: a late joiner may start here. */
  startsSegment: boolean;
}

/** The stream is not the container its content type says, or is not forward-only. */
export class SegmentError extends Error {
  override readonly name = 'SegmentError';
}

/** A parsed element or box header. */
interface Header {
  id: number | string;
  /** Bytes of the header itself. */
  length: number;
  /** Bytes of the body; `undefined` when unknown (live WebM segments and clusters). */
  size: number | undefined;
}

/** What to do with an element once its header is read. */
type Action = { segment: boolean; body: 'skip' | 'enter' };

/** The longest element header either format has (EBML: 4-byte id + 8-byte size; MP4: 16). */
const MAX_HEADER_BYTES = 16;

abstract class Segmenter {
  #header = new Uint8Array(MAX_HEADER_BYTES);
  #headerBytes = 0;
  /** Body bytes of the current element still to pass through. */
  #skip = 0;
  #init: Uint8Array[] | undefined = [];
  #media: Uint8Array[] = [];
  #mediaStarts = false;

  /** Header of the element starting at `bytes`, or `undefined` when more bytes are needed. */
  protected abstract parseHeader(bytes: Uint8Array): Header | undefined;
  protected abstract act(header: Header): Action;

  /** Consumes `data` (the next bytes of the stream) and returns the pieces now complete. */
  push(data: Uint8Array): Piece[] {
    const out: Piece[] = [];
    let at = 0;
    while (at < data.byteLength) {
      if (this.#skip > 0) {
        const n = Math.min(this.#skip, data.byteLength - at);
        this.#emit(data.subarray(at, at + n));
        this.#skip -= n;
        at += n;
        continue;
      }
      // A header may span pushes: collect it byte by byte until it parses.
      const want = Math.min(MAX_HEADER_BYTES - this.#headerBytes, data.byteLength - at);
      this.#header.set(data.subarray(at, at + want), this.#headerBytes);
      const header = this.parseHeader(this.#header.subarray(0, this.#headerBytes + want));
      if (!header) {
        if (this.#headerBytes + want >= MAX_HEADER_BYTES) throw new SegmentError('an element header is malformed');
        this.#headerBytes += want;
        at += want;
        continue;
      }
      const fromThisPush = header.length - this.#headerBytes;
      const headerBytes = this.#header.slice(0, header.length);
      this.#headerBytes = 0;
      at += fromThisPush;
      const action = this.act(header);
      if (action.segment) {
        if (this.#init) {
          out.push({ type: 'init', data: concat(this.#init), startsSegment: false });
          this.#init = undefined;
        } else {
          this.#flushMedia(out);
        }
        this.#mediaStarts = true;
      }
      this.#emit(headerBytes);
      if (action.body === 'skip') {
        if (header.size === undefined) throw new SegmentError(`element ${String(header.id)} has an unknown size`);
        this.#skip = header.size;
      }
    }
    this.#flushMedia(out);
    return out;
  }

  #emit(bytes: Uint8Array): void {
    if (this.#init) this.#init.push(bytes.slice());
    else this.#media.push(bytes.slice());
  }

  #flushMedia(out: Piece[]): void {
    if (this.#init || this.#media.length === 0) return;
    out.push({ type: 'media', data: concat(this.#media), startsSegment: this.#mediaStarts });
    this.#media = [];
    this.#mediaStarts = false;
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1 && parts[0]) return parts[0];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}

const EBML = {
  Header: 0x1a45dfa3,
  Segment: 0x18538067,
  Cluster: 0x1f43b675,
} as const;

/** Level-1 (Segment child) element ids: one of these ends an unknown-size Cluster. */
const SEGMENT_CHILDREN = new Set([
  0x114d9b74, // SeekHead
  0x1549a966, // Info
  0x1654ae6b, // Tracks
  0x1c53bb6b, // Cues
  0x1043a770, // Chapters
  0x1254c367, // Tags
  0x1941a469, // Attachments
  EBML.Cluster,
]);

/** An EBML variable-size integer at `bytes[0]`: its length and value (`undefined`: all ones, unknown). */
function vint(bytes: Uint8Array, keepMarker: boolean): { length: number; value: number | undefined } | undefined {
  const first = bytes[0];
  if (first === undefined) return undefined;
  if (first === 0) throw new SegmentError('an EBML number is longer than 8 bytes');
  const length = Math.clz32(first) - 23;
  if (bytes.byteLength < length) return undefined;
  let value = keepMarker ? first : first & (0xff >> length);
  let allOnes = value === 0xff >> length;
  for (let i = 1; i < length; i++) {
    const byte = bytes[i] ?? 0;
    allOnes &&= byte === 0xff;
    value = value * 256 + byte;
  }
  return { length, value: !keepMarker && allOnes ? undefined : value };
}

/** WebM (Matroska): the init segment is the EBML header, the Segment header and all before the first Cluster. */
export class WebmSegmenter extends Segmenter {
  #inSegment = false;
  #inCluster = false;

  protected parseHeader(bytes: Uint8Array): Header | undefined {
    const id = vint(bytes, true);
    if (!id) return undefined;
    if (id.length > 4) throw new SegmentError('an EBML element id is longer than 4 bytes');
    const size = vint(bytes.subarray(id.length), false);
    if (!size) return undefined;
    return { id: id.value ?? 0, length: id.length + size.length, size: size.value };
  }

  protected act(header: Header): Action {
    if (!this.#inSegment) {
      if (header.id === EBML.Header) return { segment: false, body: 'skip' };
      if (header.id === EBML.Segment) {
        this.#inSegment = true;
        return { segment: false, body: 'enter' };
      }
      throw new SegmentError('the stream is not WebM (it does not start with an EBML header and a Segment)');
    }
    if (this.#inCluster && !SEGMENT_CHILDREN.has(header.id as number)) return { segment: false, body: 'skip' };
    this.#inCluster = false;
    if (header.id === EBML.Cluster) {
      this.#inCluster = header.size === undefined;
      return { segment: true, body: this.#inCluster ? 'enter' : 'skip' };
    }
    return { segment: false, body: 'skip' };
  }
}

/** Fragmented MP4: the init segment is `ftyp` + `moov`; each `moof` starts a fragment. */
export class Fmp4Segmenter extends Segmenter {
  #first = true;

  protected parseHeader(bytes: Uint8Array): Header | undefined {
    if (bytes.byteLength < 8) return undefined;
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const size32 = view.getUint32(0);
    const type = String.fromCharCode(...bytes.subarray(4, 8));
    if (!/^[\x20-\x7e]{4}$/.test(type)) throw new SegmentError('the stream is not MP4 (a box type is not text)');
    if (size32 === 1) {
      if (bytes.byteLength < 16) return undefined;
      const size = Number(view.getBigUint64(8));
      return { id: type, length: 16, size: size - 16 };
    }
    if (size32 === 0) throw new SegmentError(`box '${type}' runs to the end of the file; a live stream needs sizes`);
    if (size32 < 8) throw new SegmentError(`box '${type}' is smaller than its header`);
    return { id: type, length: 8, size: size32 - 8 };
  }

  protected act(header: Header): Action {
    if (this.#first && header.id !== 'ftyp')
      throw new SegmentError("the stream is not MP4 (it does not start with 'ftyp')");
    this.#first = false;
    return { segment: header.id === 'moof', body: 'skip' };
  }
}

/** A segmenter for `contentType`, or `undefined` when MSE cannot carry it. */
export function segmenterFor(contentType: string): Segmenter | undefined {
  const type = contentType.split(';')[0]?.trim().toLowerCase();
  if (type === 'video/webm' || type === 'audio/webm') return new WebmSegmenter();
  if (type === 'video/mp4' || type === 'audio/mp4') return new Fmp4Segmenter();
  return undefined;
}

export type { Segmenter };
