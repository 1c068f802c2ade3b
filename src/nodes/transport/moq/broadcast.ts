/**
 * Broadcasts in the hang format over `@moq/net`: `BroadcastWriter` turns encoded chunks into a
 * catalog and media tracks (a group per keyframe for video, per `group_duration_ms` for audio);
 * `readTrack` turns a subscribed track back into chunks with their decoder config, skipping to
 * the newest group when it falls behind. Used by the MoQ nodes and by the publish and watch pages.
 */
import * as Moq from '@moq/net';
import { micros } from '../../../engine';
import { DEFAULT_GROUP_DURATION_MS } from './constants';
import type { AudioRendition, HangCatalog, VideoRendition } from './hang';
import {
  audioDecoderConfig,
  audioRendition,
  CATALOG_TRACK,
  catalogJson,
  decodeFrame,
  encodeFrame,
  parseCatalog,
  videoDecoderConfig,
  videoRendition,
} from './hang';

/**
 * How often the catalog is written again while media flows. Relays keep a track's groups for a
 * few seconds only, so a watcher who joins later still finds a catalog at once.
 */
export const CATALOG_REFRESH_MS = 1000;

interface TrackState {
  track: Moq.Track.Producer;
  group: Moq.Group.Producer | undefined;
  groupStart: number;
  configKey: string | undefined;
}

function configKey(config: VideoDecoderConfig | AudioDecoderConfig): string {
  const { description, ...rest } = config;
  const bytes = description
    ? ArrayBuffer.isView(description)
      ? new Uint8Array(description.buffer, description.byteOffset, description.byteLength)
      : new Uint8Array(description)
    : undefined;
  return JSON.stringify(rest) + (bytes ? Array.from(bytes).join(',') : '');
}

function chunkBytes(chunk: EncodedVideoChunk | EncodedAudioChunk): Uint8Array {
  const bytes = new Uint8Array(chunk.byteLength);
  chunk.copyTo(bytes);
  return bytes;
}

/** The write side of one hang broadcast. */
export class BroadcastWriter {
  readonly broadcast = new Moq.Broadcast.Producer();
  readonly #catalog = this.broadcast.createTrack(CATALOG_TRACK);
  readonly #video = new Map<string, VideoRendition>();
  readonly #audio = new Map<string, AudioRendition>();
  readonly #tracks = new Map<string, TrackState>();
  readonly #groupDurationUs: number;

  constructor(options: { groupDurationMs?: number } = {}) {
    this.#groupDurationUs = (options.groupDurationMs ?? DEFAULT_GROUP_DURATION_MS) * 1000;
  }

  /** True once the broadcast was closed (its connection went away). */
  get closed(): boolean {
    return this.broadcast.closed.peek() !== undefined;
  }

  #state(name: string): TrackState {
    let state = this.#tracks.get(name);
    if (!state) {
      state = { track: this.broadcast.createTrack(name), group: undefined, groupStart: 0, configKey: undefined };
      this.#tracks.set(name, state);
    }
    return state;
  }

  #catalogAt = 0;

  #publishCatalog(): void {
    this.#catalog.writeJson(catalogJson(this.#video, this.#audio));
    this.#catalogAt = Date.now();
  }

  /** At a group boundary: writes the catalog again when the last one is getting old. */
  #refreshCatalog(): void {
    if (Date.now() - this.#catalogAt >= CATALOG_REFRESH_MS) this.#publishCatalog();
  }

  /**
   * Writes a video chunk to track `name`. A new config updates the catalog; a keyframe starts a
   * group. Returns false when the chunk cannot be sent yet (no config seen, or no keyframe yet).
   */
  writeVideo(name: string, chunk: EncodedVideoChunk, config: VideoDecoderConfig | undefined, framerate?: number) {
    const state = this.#state(name);
    if (config) {
      const key = configKey(config);
      if (key !== state.configKey) {
        state.configKey = key;
        this.#video.set(name, videoRendition(config, framerate));
        this.#publishCatalog();
      }
    }
    if (state.configKey === undefined) return false;
    if (chunk.type === 'key') {
      state.group?.close();
      state.group = state.track.appendGroup();
      this.#refreshCatalog();
    }
    if (!state.group) return false;
    this.#write(state.group, chunk);
    return true;
  }

  /** Writes an audio chunk to track `name`; a group spans `group_duration_ms` of audio. */
  writeAudio(name: string, chunk: EncodedAudioChunk, config: AudioDecoderConfig | undefined) {
    const state = this.#state(name);
    if (config) {
      const key = configKey(config);
      if (key !== state.configKey) {
        state.configKey = key;
        this.#audio.set(name, audioRendition(config));
        this.#publishCatalog();
      }
    }
    if (state.configKey === undefined) return false;
    if (!state.group || chunk.timestamp - state.groupStart >= this.#groupDurationUs) {
      state.group?.close();
      state.group = state.track.appendGroup();
      state.groupStart = chunk.timestamp;
      this.#refreshCatalog();
    }
    this.#write(state.group, chunk);
    return true;
  }

  #write(group: Moq.Group.Producer, chunk: EncodedVideoChunk | EncodedAudioChunk): void {
    group.writeFrame({
      payload: encodeFrame(chunkBytes(chunk), micros(chunk.timestamp)),
      timestamp: Moq.Time.Timestamp.fromMicros(chunk.timestamp),
    });
  }

  /** Ends the broadcast: every track and the catalog. */
  close(): void {
    for (const state of this.#tracks.values()) {
      state.group?.close();
      state.track.close();
    }
    this.#catalog.close();
    this.broadcast.close();
  }
}

/** Catalogs of a consumed broadcast, newest first-come: each update as it arrives. */
export async function* readCatalogs(
  broadcast: Moq.Broadcast.Consumer,
  signal: AbortSignal,
): AsyncGenerator<HangCatalog> {
  const track = broadcast.subscribe(CATALOG_TRACK);
  const stop = () => track.close();
  signal.addEventListener('abort', stop, { once: true });
  try {
    for (;;) {
      const frame = await track.readFrame();
      if (!frame) return;
      yield parseCatalog(frame.payload);
    }
  } finally {
    signal.removeEventListener('abort', stop);
    track.close();
  }
}

/** A chunk read from a media track, with the decoder config on the first one and on changes. */
export type TrackChunk =
  | { kind: 'video'; chunk: EncodedVideoChunk; config?: VideoDecoderConfig; group: number }
  | { kind: 'audio'; chunk: EncodedAudioChunk; config?: AudioDecoderConfig; group: number };

/**
 * Reads track `name` of a broadcast as chunks. The first frame of each group is a keyframe.
 * When a newer group is waiting, the rest of the current one is skipped: live beats complete.
 */
export async function* readTrack(
  broadcast: Moq.Broadcast.Consumer,
  name: string,
  rendition: { kind: 'video'; config: VideoRendition } | { kind: 'audio'; config: AudioRendition },
  signal: AbortSignal,
): AsyncGenerator<TrackChunk> {
  const track = broadcast.subscribe(name);
  const stop = () => track.close();
  signal.addEventListener('abort', stop, { once: true });
  let sendConfig = true;
  try {
    for (;;) {
      const group = await track.nextGroup();
      if (!group) return;
      try {
        for (let index = 0; ; index++) {
          const frame = await group.readFrame();
          if (!frame) break;
          const decoded = decodeFrame(frame.payload);
          if (!decoded) continue;
          const key = index === 0;
          if (rendition.kind === 'video') {
            if (!key && sendConfig) continue; // a decoder starts on a keyframe
            const chunk = new EncodedVideoChunk({
              type: key ? 'key' : 'delta',
              timestamp: decoded.timestamp,
              data: decoded.payload,
            });
            yield sendConfig
              ? { kind: 'video', chunk, config: videoDecoderConfig(rendition.config), group: group.sequence }
              : { kind: 'video', chunk, group: group.sequence };
          } else {
            const chunk = new EncodedAudioChunk({ type: 'key', timestamp: decoded.timestamp, data: decoded.payload });
            yield sendConfig
              ? { kind: 'audio', chunk, config: audioDecoderConfig(rendition.config), group: group.sequence }
              : { kind: 'audio', chunk, group: group.sequence };
          }
          sendConfig = false;
          const latest = track.latest();
          if (latest !== undefined && latest > group.sequence && rendition.kind === 'video') break;
        }
      } finally {
        group.close();
      }
    }
  } finally {
    signal.removeEventListener('abort', stop);
    track.close();
  }
}

/** The options of a relay connection. */
export interface RelayConnectOptions {
  /** Relay URL (`http(s)://host:port/moq[/root]`). */
  url: string;
  /** A token for `?jwt=`; it never shows in errors. */
  jwt?: string | null | undefined;
  signal: AbortSignal;
}

/** A relay URL without its token, for messages. */
export function describeRelay(url: string): string {
  return url.replace(/([?&](?:jwt|token)=)[^&#\s]+/gi, '$1***');
}

/** Connects to a MoQ relay (WebTransport where it is offered, else WebSocket at once). */
export async function connectRelay(options: RelayConnectOptions): Promise<Moq.Connection.Established> {
  const url = new URL(options.url);
  if (options.jwt) url.searchParams.set('jwt', options.jwt);
  return Moq.Connection.connect(url, { websocket: { delay: 0 }, signal: options.signal });
}

/** Resolves when `path` is announced on the connection (or rejects when the signal aborts). */
export async function waitForBroadcast(
  connection: Moq.Connection.Established,
  path: string,
  signal: AbortSignal,
): Promise<Moq.Broadcast.Consumer> {
  const announced = connection.announced(Moq.Path.from(''));
  const stop = () => announced.close();
  signal.addEventListener('abort', stop, { once: true });
  try {
    for (;;) {
      const entry = await announced.next();
      if (!entry) throw signal.aborted ? signal.reason : new Error('the relay connection closed');
      if (entry.active && entry.path === path) return connection.consume(Moq.Path.from(path));
    }
  } finally {
    signal.removeEventListener('abort', stop);
    announced.close();
  }
}
