import { z } from 'zod';
import type { NodeDefinition } from '../../engine';
import { aacInstance } from './aac';
import { closePacket, defineNode, micros } from '../../engine';
import type { CodecLike } from '../media/codec-loop';
import { CodecOutputs, codecEnding, codecError, codecOf, drainQueue, forward } from '../media/codec-loop';

/** Sample rates the Opus encoder takes. */
const OPUS_RATES = [8000, 12000, 16000, 24000, 48000];

export interface AudioEncoderParams {
  codec: 'opus' | 'aac' | 'pcm-s16' | 'pcm-f32';
  /** Bits per second (Opus). */
  bitrate: number;
  /** Opus frame length in samples at 48 kHz (960 = 20 ms); the encoder's default when absent. */
  frameSize?: number;
  /** Channels to encode (AAC): the input is remixed to this count; absent: as the input. */
  channels?: number;
}

/** Opus frame lengths, in samples at 48 kHz (2.5 to 60 ms). */
const OPUS_FRAME_SIZES = [120, 240, 480, 960, 1920, 2880] as const;

/** Interleaves an AudioData into PCM bytes (`s16` or `f32`), the payload WAV and other PCM containers hold. */
export function pcmChunk(data: AudioData, codec: 'pcm-s16' | 'pcm-f32'): EncodedAudioChunk {
  const format = codec === 'pcm-s16' ? 's16' : 'f32';
  const bytes = new Uint8Array(data.allocationSize({ planeIndex: 0, format }));
  data.copyTo(bytes, { planeIndex: 0, format });
  return new EncodedAudioChunk({ type: 'key', timestamp: data.timestamp, duration: data.duration, data: bytes });
}

function makeAudioEncoder<I>(
  kind: string,
  description: string,
  schema: z.ZodType<AudioEncoderParams, I>,
): NodeDefinition<AudioEncoderParams> {
  return defineNode({
    kind,
    version: 1,
    description,
    categories: ['audio', 'codecs'],
    params: schema,
    inputs: [{ name: 'in', accepts: [{ kind: 'raw_audio' }], cardinality: 'one' }],
    outputs: [{ name: 'out', produces: { kind: 'encoded_audio' }, cardinality: 'broadcast' }],
    negotiate: ({ params }) =>
      new Map([
        [
          'out',
          { kind: 'encoded_audio', codec: params.codec.startsWith('pcm') ? 'pcm' : (params.codec as 'opus' | 'aac') },
        ],
      ]),
    create(ctx) {
      if (ctx.params.codec === 'aac') return aacInstance(ctx);
      const outputs = new CodecOutputs();
      let encoder: AudioEncoder | undefined;
      let codecView: CodecLike | undefined;
      let decoderConfig: AudioDecoderConfig | undefined;
      let format: { rate: number; channels: number } | undefined;
      return {
        async run(io) {
          for await (const packet of io.input('in')) {
            try {
              if (packet.kind !== 'raw_audio') throw ctx.error(`expects raw audio, got ${packet.kind}`, { pin: 'in' });
              const { sampleRate, numberOfChannels } = packet.data;
              if (ctx.params.codec === 'pcm-s16' || ctx.params.codec === 'pcm-f32') {
                const chunk = pcmChunk(packet.data, ctx.params.codec);
                decoderConfig ??= { codec: ctx.params.codec, sampleRate, numberOfChannels };
                outputs.push({
                  kind: 'encoded_audio',
                  chunk,
                  config: decoderConfig,
                  meta: { ...packet.meta, keyframe: true },
                });
              } else if (!encoder) {
                if (!OPUS_RATES.includes(sampleRate)) {
                  throw ctx.error(
                    `Opus encodes ${OPUS_RATES.join('/')} Hz, and the input is ${sampleRate} Hz; put an audio::resampler (target_sample_rate: 48000) before the encoder`,
                    { pin: 'in' },
                  );
                }
                const config: AudioEncoderConfig = {
                  codec: 'opus',
                  sampleRate,
                  numberOfChannels,
                  bitrate: ctx.params.bitrate,
                  ...(ctx.params.frameSize
                    ? { opus: { frameDuration: Math.round((ctx.params.frameSize / 48_000) * 1_000_000) } }
                    : {}),
                };
                if (!(await AudioEncoder.isConfigSupported(config)).supported) {
                  throw ctx.error(
                    `this browser cannot encode Opus at ${sampleRate} Hz, ${numberOfChannels} ch, ${ctx.params.bitrate} b/s` +
                      (numberOfChannels > 2
                        ? '; its Opus encoder takes mono or stereo: downmix first with audio::channels (channels: 2)'
                        : ''),
                    { pin: 'in' },
                  );
                }
                encoder = new AudioEncoder({
                  output: (chunk, meta) => {
                    if (meta?.decoderConfig) decoderConfig = { ...meta.decoderConfig };
                    outputs.push({
                      kind: 'encoded_audio',
                      chunk,
                      ...(decoderConfig ? { config: decoderConfig } : {}),
                      meta: {
                        timestamp: micros(chunk.timestamp),
                        ...(chunk.duration !== null ? { duration: micros(chunk.duration) } : {}),
                        keyframe: true,
                      },
                    });
                  },
                  error: (e) => outputs.fail(codecError(ctx, 'encoding opus', 'in', e)),
                });
                encoder.configure(config);
                codecView = codecOf(encoder);
                format = { rate: sampleRate, channels: numberOfChannels };
              } else if (format && (format.rate !== sampleRate || format.channels !== numberOfChannels)) {
                throw ctx.error(
                  `the input changed from ${format.rate} Hz/${format.channels} ch to ${sampleRate} Hz/${numberOfChannels} ch mid-stream`,
                  { pin: 'in' },
                );
              }
              encoder?.encode(packet.data);
            } finally {
              closePacket(packet);
            }
            if (codecView) await drainQueue(codecView, outputs, io, 'out');
            else await forward(outputs, io, 'out');
          }
        },
        ...codecEnding(
          ctx,
          outputs,
          () => codecView,
          () => 'opus encoder',
        ),
      };
    },
  });
}

/** `audio::encoder`: WebCodecs audio encoding (Opus). */
export const audioEncoder = makeAudioEncoder(
  'audio::encoder',
  'Encodes raw audio to Opus (WebCodecs; 8/12/16/24/48 kHz), AAC-LC (mediabunny’s AAC encoder where the browser has none), or 16-bit / float PCM for WAV.',
  z.strictObject({
    codec: z.enum(['opus', 'aac', 'pcm-s16', 'pcm-f32']).default('opus'),
    bitrate: z.number().int().min(6000).max(510_000).default(128_000),
  }),
);

/** StreamKit's `audio::opus::encoder`. */
export const opusEncoder = makeAudioEncoder(
  'audio::opus::encoder',
  'Encodes raw audio to Opus with WebCodecs (StreamKit params: bitrate in b/s, frame_size in samples at 48 kHz).',
  z
    .strictObject({
      bitrate: z.number().int().min(6000).max(510_000).multipleOf(1000).default(64_000),
      /**
       * StreamKit's test pipelines set it; its encoder ignores it (the channel count follows the
       * input), and so does this one.
       */
      channels: z.number().int().min(1).max(2).optional(),
      /** StreamKit's samples set it: the Opus frame length in samples at 48 kHz. */
      frame_size: z
        .number()
        .int()
        .refine((n) => (OPUS_FRAME_SIZES as readonly number[]).includes(n), {
          message: `frame_size must be one of ${OPUS_FRAME_SIZES.join(', ')} (samples at 48 kHz)`,
        })
        .optional(),
    })
    .transform((p): AudioEncoderParams => ({
      codec: 'opus',
      bitrate: p.bitrate,
      ...(p.frame_size ? { frameSize: p.frame_size } : {}),
    })),
);

/**
 * StreamKit's AAC plugin kind (`plugin::native::aac_encoder`, FDK-AAC there): AAC-LC here through
 * the same encoder as `audio::encoder` with `codec: aac`, so StreamKit's AAC samples run as written.
 */
export const aacEncoderPlugin = makeAudioEncoder(
  'plugin::native::aac_encoder',
  "Encodes raw audio to AAC-LC (StreamKit's AAC plugin kind and bitrate param; WebCodecs, or mediabunny's encoder where the browser has none).",
  z
    .strictObject({ bitrate: z.number().int().min(16_000).max(576_000).default(128_000) })
    // As StreamKit's plugin does, mono input is encoded as stereo.
    .transform((p): AudioEncoderParams => ({ codec: 'aac', bitrate: p.bitrate, channels: 2 })),
);
