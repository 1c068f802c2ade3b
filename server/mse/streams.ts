/**
 * The live streams `transport::http::mse` nodes publish at `/mse/<session><path>`: each is fed by
 * its node through the bridge and fanned out to up to `max_clients` HTTP viewers. A viewer gets
 * the init segment first, then media from the start of the current cluster (a keyframe), so it can
 * play at once. The feed never waits for viewers: one that falls too far behind is dropped.
 */
import type { OutputSink } from '../../src/headless/bridge';
import type { Piece, Segmenter } from './segmenter';
import { SegmentError, segmenterFor } from './segmenter';

/** Bytes of the current cluster kept for viewers who join during it; beyond, they wait for the next. */
export const MAX_JOIN_SEGMENT_BYTES = 16 * 1024 * 1024;
/** Bytes a viewer may fall behind before it is dropped (a stalled connection must not grow memory). */
export const MAX_VIEWER_BACKLOG_BYTES = 8 * 1024 * 1024;
/** Ended streams remembered (to answer 410 rather than 404). */
const MAX_ENDED_REMEMBERED = 1024;

/** Settings of one published stream. */
export interface MseStreamOptions {
  contentType: string;
  maxClients: number;
}

/** A refused publish (the path is taken, or the content type is not one MSE plays). */
export class MseStreamError extends Error {
  override readonly name = 'MseStreamError';
  readonly status: 400 | 409;
  constructor(status: 400 | 409, message: string) {
    super(message);
    this.status = status;
  }
}

/** What a viewer asking for a path gets. */
export type MseConnect =
  { status: 200; contentType: string; body: ReadableStream<Uint8Array> } | { status: 404 | 410 | 503; message: string };

interface Viewer {
  controller: ReadableStreamDefaultController<Uint8Array>;
  /** Has the init segment and is at a segment start: gets media as it comes. */
  joined: boolean;
}

class Stream {
  readonly options: MseStreamOptions;
  readonly viewers = new Set<Viewer>();
  readonly #segmenter: Segmenter;
  #init: Uint8Array | undefined;
  /** The current segment so far, for joiners; `undefined` when it grew too large to keep. */
  #segment: Uint8Array[] | undefined;
  #segmentBytes = 0;

  constructor(options: MseStreamOptions, segmenter: Segmenter) {
    this.options = options;
    this.#segmenter = segmenter;
  }

  feed(data: Uint8Array): void {
    for (const piece of this.#segmenter.push(data)) this.#piece(piece);
  }

  #piece(piece: Piece): void {
    if (piece.type === 'init') {
      this.#init = piece.data;
      for (const viewer of this.viewers) this.#send(viewer, piece.data);
      return;
    }
    if (piece.startsSegment) {
      this.#segment = [];
      this.#segmentBytes = 0;
    }
    if (this.#segment) {
      this.#segment.push(piece.data);
      this.#segmentBytes += piece.data.byteLength;
      if (this.#segmentBytes > MAX_JOIN_SEGMENT_BYTES) this.#segment = undefined;
    }
    for (const viewer of this.viewers) {
      if (!viewer.joined && piece.startsSegment && this.#init) viewer.joined = true;
      if (viewer.joined) this.#send(viewer, piece.data);
    }
  }

  /** Adds a viewer: it gets the init segment and the current segment now, if both are known. */
  add(viewer: Viewer): void {
    this.viewers.add(viewer);
    if (!this.#init) return; // sent when it comes; media then starts at the first segment
    this.#send(viewer, this.#init);
    if (this.#segment) {
      viewer.joined = true;
      for (const part of this.#segment) this.#send(viewer, part);
    }
  }

  #send(viewer: Viewer, data: Uint8Array): void {
    // desiredSize counts down from the high-water mark as bytes queue: below zero, it is behind.
    if ((viewer.controller.desiredSize ?? 0) < 0) {
      this.viewers.delete(viewer);
      viewer.controller.error(new Error('the viewer fell too far behind the live stream'));
      return;
    }
    viewer.controller.enqueue(data);
  }

  end(): void {
    for (const viewer of this.viewers) {
      try {
        viewer.controller.close();
      } catch {
        // already closed by its own cancel
      }
    }
    this.viewers.clear();
  }
}

/** The server's MSE streams, by path (`<session id><node path>`). */
export class MseStreams {
  readonly #streams = new Map<string, Stream>();
  readonly #ended = new Set<string>();

  /** Publishes `path`; the returned sink feeds it, and its close or abort ends it. */
  open(path: string, options: MseStreamOptions): OutputSink {
    if (this.#streams.has(path)) throw new MseStreamError(409, `an MSE stream is already published at /mse/${path}`);
    const segmenter = segmenterFor(options.contentType);
    if (!segmenter) {
      throw new MseStreamError(
        400,
        `content type '${options.contentType}' is not one MSE plays here; use video/webm or video/mp4 (fragmented)`,
      );
    }
    const stream = new Stream(options, segmenter);
    this.#streams.set(path, stream);
    this.#ended.delete(path);
    let end = 0;
    const finish = (): void => {
      if (this.#streams.get(path) !== stream) return;
      this.#streams.delete(path);
      this.#ended.add(path);
      if (this.#ended.size > MAX_ENDED_REMEMBERED) this.#ended.delete(this.#ended.values().next().value as string);
      stream.end();
    };
    return {
      write: (data, position) => {
        if (position !== end) {
          finish();
          return Promise.reject(
            new SegmentError(
              'the MSE stream got a write out of order: its muxer must write forward only (streaming_mode: live, or mode: stream)',
            ),
          );
        }
        end += data.byteLength;
        try {
          stream.feed(data);
        } catch (error) {
          finish();
          return Promise.reject(error instanceof Error ? error : new SegmentError(String(error)));
        }
        return Promise.resolve();
      },
      close: () => Promise.resolve(finish()),
      abort: () => Promise.resolve(finish()),
    };
  }

  /** What a viewer asking for `path` now would be answered, without connecting it (HEAD). */
  probe(path: string): { status: 200; contentType: string } | Exclude<MseConnect, { status: 200 }> {
    const stream = this.#streams.get(path);
    if (!stream) {
      return this.#ended.has(path)
        ? { status: 410, message: `the MSE stream at /mse/${path} has ended` }
        : { status: 404, message: `no MSE stream is published at /mse/${path}` };
    }
    if (stream.viewers.size >= stream.options.maxClients) {
      return {
        status: 503,
        message: `the MSE stream at /mse/${path} has ${stream.options.maxClients} viewers, its max_clients; try again later`,
      };
    }
    return { status: 200, contentType: stream.options.contentType };
  }

  /** A viewer's connection to `path`: the live body, or why not (StreamKit's 404, 410, 503). */
  connect(path: string): MseConnect {
    const probe = this.probe(path);
    if (probe.status !== 200) return probe;
    const stream = this.#streams.get(path);
    if (!stream) throw new Error(`the MSE stream at /mse/${path} vanished while it was probed`);
    let viewer: Viewer | undefined;
    const body = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          viewer = { controller, joined: false };
          stream.add(viewer);
        },
        cancel: () => {
          if (viewer) stream.viewers.delete(viewer);
        },
      },
      { highWaterMark: MAX_VIEWER_BACKLOG_BYTES, size: (chunk) => chunk.byteLength },
    );
    return { status: 200, contentType: stream.options.contentType, body };
  }

  /** Viewers of `path` now (for tests and metrics). */
  viewers(path: string): number {
    return this.#streams.get(path)?.viewers.size ?? 0;
  }
}
