/**
 * Weft's encoded packets in the hang format (`@moq/hang`), the one `@moq/watch`, `@moq/publish`
 * and StreamKit speak: a JSON catalog on track `catalog.json` whose renditions mirror the
 * WebCodecs decoder configs, and media tracks in the legacy container (a varint µs timestamp,
 * then the codec payload), a new group at each keyframe.
 */
import * as Catalog from '@moq/hang/catalog';
import { Legacy } from '@moq/hang/container';
import type { AudioCodecName, Micros } from '../../../engine';
import { micros } from '../../../engine';

/** StreamKit's track names for a publisher's audio and video. */
export const AUDIO_TRACK = 'audio/data';
export const VIDEO_TRACK = 'video/data';
/** The catalog track (hang's `catalog.json`). */
export const CATALOG_TRACK = Catalog.TRACK;

/** A parsed catalog. */
export type HangCatalog = Catalog.Root;
/** One rendition (track) a catalog lists. */
export type VideoRendition = Catalog.VideoConfig;
export type AudioRendition = Catalog.AudioConfig;

function hex(bytes: AllowSharedBufferSource | undefined): string | undefined {
  if (!bytes) return undefined;
  const view = ArrayBuffer.isView(bytes)
    ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    : new Uint8Array(bytes);
  return [...view].map((b) => b.toString(16).padStart(2, '0')).join('');
}

function unhex(text: string | undefined): Uint8Array | undefined {
  if (!text) return undefined;
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** A video rendition for a decoder config (what the encoder said about its stream). */
export function videoRendition(config: VideoDecoderConfig, framerate?: number): VideoRendition {
  const description = hex(config.description);
  return Catalog.VideoConfigSchema.parse({
    codec: config.codec,
    container: { kind: 'legacy' },
    ...(description ? { description } : {}),
    ...(config.codedWidth ? { codedWidth: config.codedWidth } : {}),
    ...(config.codedHeight ? { codedHeight: config.codedHeight } : {}),
    ...(framerate ? { framerate } : {}),
    optimizeForLatency: true,
  });
}

/** An audio rendition for a decoder config. */
export function audioRendition(config: AudioDecoderConfig): AudioRendition {
  const description = hex(config.description);
  return Catalog.AudioConfigSchema.parse({
    codec: config.codec,
    container: { kind: 'legacy' },
    ...(description ? { description } : {}),
    sampleRate: config.sampleRate,
    numberOfChannels: config.numberOfChannels,
  });
}

/** The catalog JSON for the renditions a broadcast has now. */
export function catalogJson(video: ReadonlyMap<string, VideoRendition>, audio: ReadonlyMap<string, AudioRendition>) {
  return {
    ...(video.size > 0 ? { video: { renditions: Object.fromEntries(video) } } : {}),
    ...(audio.size > 0 ? { audio: { renditions: Object.fromEntries(audio) } } : {}),
  };
}

/** Parses a catalog frame, or says why it is not one. */
export function parseCatalog(payload: Uint8Array): HangCatalog {
  const json: unknown = JSON.parse(new TextDecoder().decode(payload));
  return Catalog.RootSchema.parse(json);
}

/** The decoder config a video rendition describes. */
export function videoDecoderConfig(r: VideoRendition): VideoDecoderConfig {
  const description = unhex(r.description);
  return {
    codec: r.codec,
    ...(description ? { description } : {}),
    ...(r.codedWidth ? { codedWidth: r.codedWidth } : {}),
    ...(r.codedHeight ? { codedHeight: r.codedHeight } : {}),
    optimizeForLatency: r.optimizeForLatency ?? true,
  };
}

/** The decoder config an audio rendition describes. */
export function audioDecoderConfig(r: AudioRendition): AudioDecoderConfig {
  const description = unhex(r.description);
  return {
    codec: r.codec,
    sampleRate: r.sampleRate,
    numberOfChannels: r.numberOfChannels,
    ...(description ? { description } : {}),
  };
}

/** StreamKit's name of an audio codec string (`opus`, `mp4a.40.2` → `aac`). */
export function audioCodecOfString(codec: string): AudioCodecName | undefined {
  if (codec === 'opus') return 'opus';
  if (codec.startsWith('mp4a')) return 'aac';
  if (codec === 'flac') return 'flac';
  if (codec === 'mp3') return 'mp3';
  if (codec === 'vorbis') return 'vorbis';
  if (codec.startsWith('pcm')) return 'pcm';
  return undefined;
}

/** One media frame in the legacy container. */
export function encodeFrame(payload: Uint8Array, timestamp: Micros): Uint8Array {
  return Legacy.encodeFrame(payload, Number(timestamp) as Parameters<typeof Legacy.encodeFrame>[1]);
}

const legacy = new Legacy.Format();

/** A legacy-container frame's timestamp and payload, or undefined for an empty marker. */
export function decodeFrame(frame: Uint8Array): { timestamp: Micros; payload: Uint8Array } | undefined {
  const [first] = legacy.decode(frame);
  if (!first) return undefined;
  return { timestamp: micros(Number(first.timestamp)), payload: first.payload };
}
