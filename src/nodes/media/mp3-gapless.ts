/**
 * MP3 gapless playback: the encoder delay and padding that LAME (and FFmpeg's libmp3lame, which
 * writes the same tag) store in the Info/Xing frame. mediabunny reads MP3 without applying them, so
 * decoded MP3 starts with ~1100 samples of silence and ends with up to a frame of padding.
 *
 * Layout (LAME tag spec): frame header (4 bytes) + side info, then `Xing`/`Info`, flags, optional
 * frame count / byte count / 100-byte TOC / quality, then the LAME tag whose bytes 21–23 hold the
 * 12-bit encoder delay and 12-bit padding.
 */

/** What a gapless decode must cut, in samples per channel and as a time window. */
export interface Mp3Gapless {
  sampleRate: number;
  /** Samples to drop at the start: encoder delay plus the decoder's own 529-sample delay. */
  skip: number;
  /** Samples of real audio after the skip, when the tag gives the frame count. */
  valid: number | undefined;
  /** `skip` in µs: how far the stream's timestamps move back, so the real audio starts at 0. */
  shiftUs: number;
  /** End of the real audio on the moved timeline, µs (`Infinity` without a frame count). */
  endUs: number;
}

/** Decoder delay of an MPEG-1/2 Layer III decoder (the MDCT overlap plus filterbank delay). */
const DECODER_DELAY = 529;

const RATES: Record<number, number[]> = {
  3: [44_100, 48_000, 32_000], // MPEG-1
  2: [22_050, 24_000, 16_000], // MPEG-2
  0: [11_025, 12_000, 8_000], // MPEG-2.5
};

/** Size of an ID3v2 tag at the start of `bytes`, or 0. */
function id3Size(bytes: Uint8Array): number {
  if (bytes[0] !== 0x49 || bytes[1] !== 0x44 || bytes[2] !== 0x33) return 0; // "ID3"
  const size = (((bytes[6] ?? 0) & 0x7f) << 21) | (((bytes[7] ?? 0) & 0x7f) << 14) | (((bytes[8] ?? 0) & 0x7f) << 7);
  const footer = ((bytes[5] ?? 0) & 0x10) !== 0 ? 10 : 0;
  return 10 + (size | ((bytes[9] ?? 0) & 0x7f)) + footer;
}

/** Reads the gapless info of an MP3 file, or `undefined` when it has no LAME tag. */
export async function readMp3Gapless(file: Blob): Promise<Mp3Gapless | undefined> {
  const head = new Uint8Array(await file.slice(0, 10).arrayBuffer());
  const start = id3Size(head);
  const bytes = new Uint8Array(await file.slice(start, start + 4096).arrayBuffer());
  // The first frame header: 11 sync bits, Layer III.
  let at = 0;
  while (at + 4 < bytes.length && !(bytes[at] === 0xff && ((bytes[at + 1] ?? 0) & 0xe6) === 0xe2)) at++;
  if (at + 4 >= bytes.length) return undefined;
  const version = ((bytes[at + 1] ?? 0) >> 3) & 0x03;
  const rateIndex = ((bytes[at + 2] ?? 0) >> 2) & 0x03;
  const mono = (bytes[at + 3] ?? 0) >> 6 === 0x03;
  const sampleRate = RATES[version]?.[rateIndex];
  if (!sampleRate) return undefined;
  const mpeg1 = version === 3;
  const sideInfo = mpeg1 ? (mono ? 17 : 32) : mono ? 9 : 17;
  let p = at + 4 + sideInfo;
  const tag = String.fromCharCode(...bytes.subarray(p, p + 4));
  if (tag !== 'Xing' && tag !== 'Info') return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (p + 8 > bytes.length) return undefined;
  const flags = view.getUint32(p + 4);
  p += 8;
  let frames: number | undefined;
  if (flags & 1) {
    frames = view.getUint32(p);
    p += 4;
  }
  if (flags & 2) p += 4;
  if (flags & 4) p += 100;
  if (flags & 8) p += 4;
  if (p + 24 > bytes.length) return undefined;
  const encoder = String.fromCharCode(...bytes.subarray(p, p + 4));
  if (encoder !== 'LAME' && encoder !== 'Lavc' && encoder !== 'Lavf' && encoder !== 'L3.9') return undefined;
  const b0 = bytes[p + 21] ?? 0;
  const b1 = bytes[p + 22] ?? 0;
  const b2 = bytes[p + 23] ?? 0;
  const delay = (b0 << 4) | (b1 >> 4);
  const padding = ((b1 & 0x0f) << 8) | b2;
  const samplesPerFrame = mpeg1 ? 1152 : 576;
  const valid = frames !== undefined ? Math.max(0, frames * samplesPerFrame - delay - padding) : undefined;
  const skip = delay + DECODER_DELAY;
  return {
    sampleRate,
    skip,
    valid,
    shiftUs: (skip * 1_000_000) / sampleRate,
    endUs: valid === undefined ? Infinity : (valid * 1_000_000) / sampleRate,
  };
}
