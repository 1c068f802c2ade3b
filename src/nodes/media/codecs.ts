/**
 * Codec names and strings: Weft's (StreamKit's) lowercase names, mediabunny's names, and the
 * WebCodecs codec strings an encoder is configured with.
 */
import type { AudioCodec as MbAudioCodec, VideoCodec as MbVideoCodec } from 'mediabunny';
import type { AudioCodecName, VideoCodecName } from '../../engine';

/** mediabunny's video codec name for ours. */
export function toMediabunnyVideo(codec: VideoCodecName): MbVideoCodec {
  return codec === 'h264' ? 'avc' : codec;
}

/** Our video codec name for mediabunny's. */
export function fromMediabunnyVideo(codec: MbVideoCodec): VideoCodecName | undefined {
  if (codec === 'avc') return 'h264';
  if (codec === 'prores') return undefined;
  return codec;
}

/** Our audio codec name for mediabunny's (`pcm-*`, `ulaw`, `alaw` are all `pcm`). */
export function fromMediabunnyAudio(codec: MbAudioCodec): AudioCodecName | undefined {
  if (codec === 'aac' || codec === 'opus' || codec === 'mp3' || codec === 'vorbis' || codec === 'flac') return codec;
  if (codec.startsWith('pcm-') || codec === 'ulaw' || codec === 'alaw') return 'pcm';
  return undefined;
}

/** Our codec name for a WebCodecs video codec string. */
export function videoCodecOfString(codec: string): VideoCodecName | undefined {
  const c = codec.toLowerCase();
  if (c.startsWith('avc1') || c.startsWith('avc3')) return 'h264';
  if (c.startsWith('hvc1') || c.startsWith('hev1')) return 'hevc';
  if (c === 'vp8') return 'vp8';
  if (c.startsWith('vp09') || c === 'vp9') return 'vp9';
  if (c.startsWith('av01')) return 'av1';
  return undefined;
}

/** mediabunny's audio codec name for a WebCodecs audio codec string. */
export function mediabunnyAudioOfString(codec: string): MbAudioCodec | undefined {
  const c = codec.toLowerCase();
  if (c.startsWith('mp4a.40')) return 'aac';
  if (c === 'mp4a.69' || c === 'mp4a.6b' || c === 'mp3') return 'mp3';
  if (c === 'opus' || c === 'vorbis' || c === 'flac' || c === 'ulaw' || c === 'alaw') return c;
  if (c.startsWith('pcm-')) return c as MbAudioCodec;
  return undefined;
}

/** Pixels per second up to which a codec level is enough. */
const H264_LEVELS: readonly [number, string][] = [
  [1280 * 720 * 30, '1f'], // 3.1
  [1920 * 1088 * 30, '28'], // 4.0
  [1920 * 1088 * 60, '2a'], // 4.2
  [4096 * 2304 * 30, '33'], // 5.1
];

/**
 * The WebCodecs codec string for encoding `codec` at this size and frame rate, with a level that fits
 * (e.g. `avc1.640028` for 1080p30).
 */
export function encoderCodecString(codec: VideoCodecName, width: number, height: number, fps: number): string {
  const rate = width * height * Math.max(1, fps);
  const big = width * height > 1920 * 1088;
  switch (codec) {
    case 'h264': {
      const level = H264_LEVELS.find(([max]) => rate <= max)?.[1] ?? '34';
      return `avc1.6400${level}`;
    }
    case 'vp8':
      return 'vp8';
    case 'vp9':
      return big ? 'vp09.00.51.08' : 'vp09.00.41.08';
    case 'av1':
      return big ? 'av01.0.12M.08' : 'av01.0.08M.08';
    case 'hevc':
      return big ? 'hvc1.1.6.L153.B0' : 'hvc1.1.6.L120.B0';
  }
}

/** Every video codec name, for params and error hints. */
export const VIDEO_CODECS: readonly VideoCodecName[] = ['h264', 'vp8', 'vp9', 'av1', 'hevc'];

/** Names of audio codec strings for messages ('mp4a.40.2' → 'AAC (mp4a.40.2)'). */
const AUDIO_CODEC_NAMES: readonly [RegExp, string][] = [
  [/^mp4a\.40/i, 'AAC'],
  [/^(mp3|mp4a\.6[9b])$/i, 'MPEG audio'],
  [/^opus$/i, 'Opus'],
  [/^vorbis$/i, 'Vorbis'],
  [/^flac$/i, 'FLAC'],
  [/^(pcm-|ulaw|alaw)/i, 'PCM'],
];

/** A codec string as a person reads it, e.g. "AAC (mp4a.40.2)"; "audio" when unknown. */
export function describeAudioCodec(codec: string | undefined): string {
  if (!codec) return 'audio';
  const name = AUDIO_CODEC_NAMES.find(([re]) => re.test(codec))?.[1];
  return name ? `${name} (${codec})` : `'${codec}'`;
}

/**
 * The MPEG audio version and layer a frame header declares ("MPEG-1 Audio Layer II"), from the
 * first bytes of a packet; undefined when they are not a frame header. mediabunny calls every
 * MPEG audio layer 'mp3', but a Layer II stream is not MP3.
 */
export function mpegAudioName(bytes: Uint8Array): string | undefined {
  const [b0, b1] = [bytes[0] ?? 0, bytes[1] ?? 0];
  if (b0 !== 0xff || (b1 & 0xe0) !== 0xe0) return undefined;
  const version = ['MPEG-2.5', undefined, 'MPEG-2', 'MPEG-1'][(b1 >> 3) & 3];
  const layer = [undefined, 'III', 'II', 'I'][(b1 >> 1) & 3];
  return version && layer ? `${version} Audio Layer ${layer}` : undefined;
}
