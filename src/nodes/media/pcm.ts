/**
 * Decoding PCM without WebCodecs. mediabunny reads every common PCM layout (8/16/24/32-bit
 * integers, 32/64-bit floats, either byte order, μ-law, A-law), but browsers decode few of them,
 * and Chromium's `AudioDecoder` takes down the whole page on some (24-bit, as of Chromium 156).
 * PCM is just samples, so the audio decoder node reads it here, into planar float `AudioData`.
 */
import type { CodecLike } from './codec-loop';
import { makeAudioData } from './audio-data';
import { micros } from '../../engine';

/** How one PCM codec string lays out a sample. */
interface PcmLayout {
  bytes: 1 | 2 | 3 | 4 | 8;
  read: (view: DataView, offset: number) => number;
}

const S8 = 1 / 128;
const S16 = 1 / 32768;
const S24 = 1 / 8388608;
const S32 = 1 / 2147483648;

function int24(view: DataView, offset: number, little: boolean): number {
  const [b0, b1, b2] = little
    ? [view.getUint8(offset), view.getUint8(offset + 1), view.getUint8(offset + 2)]
    : [view.getUint8(offset + 2), view.getUint8(offset + 1), view.getUint8(offset)];
  const value = b0 | (b1 << 8) | (b2 << 16);
  return value & 0x800000 ? value - 0x1000000 : value;
}

/** G.711 μ-law byte to a linear sample in [-1, 1). */
function fromUlaw(byte: number): number {
  const u = ~byte & 0xff;
  const exponent = (u >> 4) & 7;
  const magnitude = ((((u & 0x0f) << 3) + 0x84) << exponent) - 0x84;
  return (u & 0x80 ? -magnitude : magnitude) / 32768;
}

/** G.711 A-law byte to a linear sample in [-1, 1). */
function fromAlaw(byte: number): number {
  const a = byte ^ 0x55;
  const exponent = (a >> 4) & 7;
  const mantissa = a & 0x0f;
  const magnitude = exponent === 0 ? (mantissa << 4) + 8 : ((mantissa << 4) + 0x108) << (exponent - 1);
  return (a & 0x80 ? magnitude : -magnitude) / 32768;
}

const LAYOUTS: Readonly<Record<string, PcmLayout>> = {
  'pcm-u8': { bytes: 1, read: (v, o) => (v.getUint8(o) - 128) * S8 },
  'pcm-s8': { bytes: 1, read: (v, o) => v.getInt8(o) * S8 },
  'pcm-s16': { bytes: 2, read: (v, o) => v.getInt16(o, true) * S16 },
  'pcm-s16be': { bytes: 2, read: (v, o) => v.getInt16(o, false) * S16 },
  'pcm-s24': { bytes: 3, read: (v, o) => int24(v, o, true) * S24 },
  'pcm-s24be': { bytes: 3, read: (v, o) => int24(v, o, false) * S24 },
  'pcm-s32': { bytes: 4, read: (v, o) => v.getInt32(o, true) * S32 },
  'pcm-s32be': { bytes: 4, read: (v, o) => v.getInt32(o, false) * S32 },
  'pcm-f32': { bytes: 4, read: (v, o) => v.getFloat32(o, true) },
  'pcm-f32be': { bytes: 4, read: (v, o) => v.getFloat32(o, false) },
  'pcm-f64': { bytes: 8, read: (v, o) => v.getFloat64(o, true) },
  'pcm-f64be': { bytes: 8, read: (v, o) => v.getFloat64(o, false) },
  ulaw: { bytes: 1, read: (v, o) => fromUlaw(v.getUint8(o)) },
  alaw: { bytes: 1, read: (v, o) => fromAlaw(v.getUint8(o)) },
};

/** True for the codec strings `PcmAudioDecoder` reads. */
export function isPcmCodec(codec: string): boolean {
  return Object.hasOwn(LAYOUTS, codec);
}

/** Interleaved PCM bytes of `codec` as one Float32Array per channel. Throws on a partial frame. */
export function decodePcm(codec: string, bytes: Uint8Array, channels: number): Float32Array[] {
  const layout = LAYOUTS[codec];
  if (!layout) throw new Error(`'${codec}' is not a PCM codec`);
  const frameBytes = layout.bytes * channels;
  if (channels < 1 || bytes.byteLength % frameBytes !== 0) {
    throw new Error(
      `a ${codec} packet of ${bytes.byteLength} bytes is not a whole number of ${channels}-channel frames`,
    );
  }
  const frames = bytes.byteLength / frameBytes;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const planes = Array.from({ length: channels }, () => new Float32Array(frames));
  for (let f = 0, offset = 0; f < frames; f++) {
    for (let c = 0; c < channels; c++, offset += layout.bytes) {
      (planes[c] as Float32Array)[f] = layout.read(view, offset);
    }
  }
  return planes;
}

/**
 * An `AudioDecoder` look-alike for PCM: the same configure/decode/flush/close calls and output
 * callback, decoding synchronously (its queue is always empty).
 */
export class PcmAudioDecoder {
  #state: CodecState = 'unconfigured';
  #config: AudioDecoderConfig | undefined;
  readonly #init: AudioDecoderInit;

  constructor(init: AudioDecoderInit) {
    this.#init = init;
  }

  get state(): CodecState {
    return this.#state;
  }

  configure(config: AudioDecoderConfig): void {
    if (!isPcmCodec(config.codec)) throw new TypeError(`PcmAudioDecoder cannot decode '${config.codec}'`);
    this.#config = config;
    this.#state = 'configured';
  }

  decode(chunk: EncodedAudioChunk): void {
    const config = this.#config;
    if (this.#state !== 'configured' || !config)
      throw new DOMException('decode() before configure()', 'InvalidStateError');
    try {
      const bytes = new Uint8Array(chunk.byteLength);
      chunk.copyTo(bytes);
      const channels = decodePcm(config.codec, bytes, config.numberOfChannels);
      if ((channels[0]?.length ?? 0) === 0) return;
      this.#init.output(makeAudioData({ sampleRate: config.sampleRate, channels, timestamp: micros(chunk.timestamp) }));
    } catch (error) {
      this.#state = 'closed';
      this.#init.error(error instanceof DOMException ? error : new DOMException(String(error), 'EncodingError'));
    }
  }

  flush(): Promise<void> {
    return Promise.resolve();
  }

  close(): void {
    this.#state = 'closed';
  }

  /** The codec loop's view of this decoder. */
  codec(): CodecLike {
    const state = (): CodecState => this.#state;
    return {
      get state() {
        return state();
      },
      queueSize: () => 0,
      onDequeue: () => () => undefined,
      flush: () => this.flush(),
      close: () => this.close(),
    };
  }
}
