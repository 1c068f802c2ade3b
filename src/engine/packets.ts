/**
 * Packet types (what a pin carries, for negotiation) and packets (what flows at run time).
 * Field values of `null`/`undefined` in a type are wildcards that negotiation resolves.
 */
import type { Micros } from './time';

/** Pixel layouts of raw video, named as WebCodecs names them. */
export type PixelFormat = 'I420' | 'I420A' | 'I422' | 'I444' | 'NV12' | 'RGBA' | 'RGBX' | 'BGRA' | 'BGRX';
/** Sample layouts of raw audio, named as WebCodecs names them. */
export type SampleFormat = 'f32' | 'f32-planar' | 's16' | 's16-planar' | 's32' | 's32-planar' | 'u8' | 'u8-planar';
/** Video codecs, in StreamKit's lowercase spelling. */
export type VideoCodecName = 'h264' | 'hevc' | 'vp8' | 'vp9' | 'av1';
/** Audio codecs, in StreamKit's lowercase spelling. */
export type AudioCodecName = 'opus' | 'aac' | 'flac' | 'mp3' | 'vorbis' | 'pcm';

/** What a pin carries. Optional fields left unset are wildcards. */
export type PacketType =
  /** Input side only: accepts every packet. */
  | { kind: 'any' }
  /** Output side only: the type of the node's primary input, resolved during negotiation. */
  | { kind: 'passthrough' }
  | { kind: 'raw_video'; width?: number; height?: number; pixel_format?: PixelFormat }
  | { kind: 'raw_audio'; sample_rate?: number; channels?: number; sample_format?: SampleFormat }
  | { kind: 'encoded_video'; codec?: VideoCodecName }
  | { kind: 'encoded_audio'; codec?: AudioCodecName }
  | { kind: 'binary'; content_type?: string }
  | { kind: 'text' }
  | { kind: 'transcription' }
  | { kind: 'json'; type_id?: string };

/** The names of packet type kinds. */
export type PacketKind = PacketType['kind'];

/** All packet kinds, with a label and colour for UIs (`GET /api/v1/schema/packets`). */
export const PACKET_KINDS: readonly { id: PacketKind; label: string; color: string; fields: readonly string[] }[] = [
  { id: 'any', label: 'Any', color: '#9ca3af', fields: [] },
  { id: 'passthrough', label: 'Passthrough', color: '#9ca3af', fields: [] },
  { id: 'raw_video', label: 'Raw video', color: '#f59e0b', fields: ['width', 'height', 'pixel_format'] },
  { id: 'raw_audio', label: 'Raw audio', color: '#10b981', fields: ['sample_rate', 'channels', 'sample_format'] },
  { id: 'encoded_video', label: 'Encoded video', color: '#ef4444', fields: ['codec'] },
  { id: 'encoded_audio', label: 'Encoded audio', color: '#3b82f6', fields: ['codec'] },
  { id: 'binary', label: 'Binary', color: '#8b5cf6', fields: ['content_type'] },
  { id: 'text', label: 'Text', color: '#e5e7eb', fields: [] },
  { id: 'transcription', label: 'Transcription', color: '#ec4899', fields: [] },
  { id: 'json', label: 'JSON event', color: '#14b8a6', fields: ['type_id'] },
];

function fieldsOf(type: PacketType): Record<string, string | number | undefined> {
  const { kind: _kind, ...rest } = type;
  return rest;
}

/**
 * True when a packet of type `produced` may flow into a pin that accepts `accepted`:
 * the kinds are equal (or `accepted` is `any`) and every field set on both sides is equal.
 */
export function isCompatible(produced: PacketType, accepted: PacketType): boolean {
  if (accepted.kind === 'any') return true;
  if (produced.kind !== accepted.kind) return false;
  const a = fieldsOf(produced);
  const b = fieldsOf(accepted);
  for (const key of Object.keys(a)) {
    const x = a[key];
    const y = b[key];
    if (x !== undefined && x !== null && y !== undefined && y !== null && x !== y) return false;
  }
  return true;
}

/**
 * The most specific type that satisfies both: fields set on either side are kept.
 * Callers check `isCompatible` first.
 */
export function narrowType(produced: PacketType, accepted: PacketType): PacketType {
  if (accepted.kind === 'any' || produced.kind !== accepted.kind) return produced;
  const merged: Record<string, string | number | undefined> = { ...fieldsOf(accepted) };
  for (const [key, value] of Object.entries(fieldsOf(produced))) {
    if (value !== undefined && value !== null) merged[key] = value;
  }
  return { kind: produced.kind, ...merged };
}

/** A short human-readable name: `raw_audio(48000 Hz, 2 ch)`, `encoded_video(vp9)`. */
export function describeType(type: PacketType): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(fieldsOf(type))) {
    if (value === undefined || value === null) continue;
    if (key === 'sample_rate') parts.push(`${String(value)} Hz`);
    else if (key === 'channels') parts.push(`${String(value)} ch`);
    else if (key === 'width' || key === 'height') parts.push(`${key[0]}=${String(value)}`);
    else parts.push(String(value));
  }
  return parts.length > 0 ? `${type.kind}(${parts.join(', ')})` : type.kind;
}

/** Timing and framing carried by every packet. Times are integer microseconds. */
export interface PacketMeta {
  timestamp?: Micros;
  duration?: Micros;
  sequence?: number;
  keyframe?: boolean;
  /** Clockwise rotation a player applies to video (from the source file), carried to the muxer. */
  rotation?: 0 | 90 | 180 | 270;
}

/**
 * A resource that must be closed by whoever holds it (`VideoFrame`, `AudioData`, or a test fake).
 * `clone()` gives an independent reference that must be closed separately.
 */
export interface Closeable {
  clone(): Closeable;
  close(): void;
}

/** One timed transcription segment. */
export interface TranscriptionSegment {
  text: string;
  start: Micros;
  end: Micros;
  confidence?: number;
}

/** What flows along an edge at run time. */
export type Packet =
  | { kind: 'raw_video'; frame: VideoFrame; meta: PacketMeta }
  | { kind: 'raw_audio'; data: AudioData; meta: PacketMeta }
  | { kind: 'encoded_video'; chunk: EncodedVideoChunk; config?: VideoDecoderConfig; meta: PacketMeta }
  | { kind: 'encoded_audio'; chunk: EncodedAudioChunk; config?: AudioDecoderConfig; meta: PacketMeta }
  /** `position`: byte offset where `data` belongs (containers that patch headers); absent means append. */
  | { kind: 'binary'; data: Uint8Array; content_type?: string; position?: number; meta: PacketMeta }
  | { kind: 'text'; text: string; meta: PacketMeta }
  | { kind: 'transcription'; text: string; segments: TranscriptionSegment[]; language?: string; meta: PacketMeta }
  | { kind: 'json'; type_id: string; data: unknown; meta: PacketMeta };

/** The frame a packet holds, if it holds one that must be closed. */
export function resourceOf(packet: Packet): Closeable | undefined {
  if (packet.kind === 'raw_video') return packet.frame;
  if (packet.kind === 'raw_audio') return packet.data;
  return undefined;
}

/** Closes the frame a packet holds, if any. Safe to call on packets without frames. */
export function closePacket(packet: Packet): void {
  resourceOf(packet)?.close();
}

/** An independent copy for fan-out: frames are cloned (each copy closed by its consumer), bytes shared. */
export function clonePacket(packet: Packet): Packet {
  if (packet.kind === 'raw_video') return { ...packet, frame: packet.frame.clone() };
  if (packet.kind === 'raw_audio') return { ...packet, data: packet.data.clone() };
  return { ...packet };
}

/** Approximate payload size, for byte statistics. */
export function packetBytes(packet: Packet): number {
  switch (packet.kind) {
    case 'raw_video': {
      const f = packet.frame as Partial<VideoFrame>;
      return typeof f.allocationSize === 'function' && f.format ? f.allocationSize() : 0;
    }
    case 'raw_audio': {
      const d = packet.data as Partial<AudioData>;
      return (d.numberOfFrames ?? 0) * (d.numberOfChannels ?? 0) * 4;
    }
    case 'encoded_video':
    case 'encoded_audio':
      return packet.chunk.byteLength;
    case 'binary':
      return packet.data.byteLength;
    case 'text':
    case 'transcription':
      return packet.text.length;
    case 'json':
      return 0;
  }
}
