import { z } from 'zod';
import type { NodeDefinition, VideoCodecName } from '../../engine';
import { closePacket, defineNode, micros } from '../../engine';
import type { CodecLike } from '../media/codec-loop';
import { CodecOutputs, codecEnding, codecError, codecOf, drainQueue, finish } from '../media/codec-loop';

/** Largest picture the decoder takes (8192x8192): one RGBA frame of it is 256 MiB. */
export const MAX_VIDEO_PIXELS = 8192 * 8192;

const params = z.strictObject({
  /** WebCodecs hardware preference. */
  hardware_acceleration: z.enum(['no-preference', 'prefer-hardware', 'prefer-software']).default('no-preference'),
  /** Accepted for StreamKit compatibility; the browser chooses decoder threads. */
  threads: z.number().int().min(0).optional(),
});

function makeVideoDecoder(kind: string, codec: VideoCodecName | undefined): NodeDefinition<z.infer<typeof params>> {
  return defineNode({
    kind,
    version: 1,
    description: `Decodes ${codec ? codec.toUpperCase() : 'H.264, VP8, VP9, AV1 (and HEVC where supported)'} video with WebCodecs into raw frames.`,
    categories: ['video', 'codecs'],
    params,
    inputs: [
      {
        name: 'in',
        accepts: [codec ? { kind: 'encoded_video', codec } : { kind: 'encoded_video' }],
        cardinality: 'one',
      },
    ],
    outputs: [{ name: 'out', produces: { kind: 'raw_video' }, cardinality: 'broadcast' }],
    create(ctx) {
      const outputs = new CodecOutputs();
      let decoder: VideoDecoder | undefined;
      let configured: VideoDecoderConfig | undefined;
      let rotation: 0 | 90 | 180 | 270 | undefined;
      let codec: CodecLike | undefined;
      return {
        async run(io) {
          for await (const packet of io.input('in')) {
            try {
              if (packet.kind !== 'encoded_video')
                throw ctx.error(`expects encoded video, got ${packet.kind}`, { pin: 'in' });
              const config = packet.config;
              if (config && config !== configured) {
                const pixels = (config.codedWidth ?? 0) * (config.codedHeight ?? 0);
                if (pixels > MAX_VIDEO_PIXELS) {
                  throw ctx.error(
                    `the video is ${config.codedWidth}x${config.codedHeight}, larger than Weft decodes (at most ${MAX_VIDEO_PIXELS / 1_048_576} Mpixel, e.g. 8192x8192): its frames would not fit in memory`,
                    { pin: 'in' },
                  );
                }
                const full: VideoDecoderConfig = { ...config, hardwareAcceleration: ctx.params.hardware_acceleration };
                const support = await VideoDecoder.isConfigSupported(full);
                if (!support.supported)
                  throw ctx.error(
                    `this browser cannot decode '${config.codec}'${config.codedWidth ? ` at ${config.codedWidth}x${config.codedHeight}` : ''}`,
                    { pin: 'in' },
                  );
                if (decoder) await finish(codec, outputs, io, 'out');
                decoder ??= new VideoDecoder({
                  output: (frame) =>
                    outputs.push({
                      kind: 'raw_video',
                      frame,
                      meta: {
                        timestamp: micros(frame.timestamp),
                        ...(frame.duration !== null ? { duration: micros(frame.duration) } : {}),
                        ...(rotation ? { rotation } : {}),
                      },
                    }),
                  error: (e) => outputs.fail(codecError(ctx, `decoding ${configured?.codec ?? 'video'}`, 'in', e)),
                });
                codec ??= codecOf(decoder);
                decoder.configure(full);
                configured = config;
              }
              if (!decoder)
                throw ctx.error('the first packet carries no decoder config; connect a demuxer or encoder output', {
                  pin: 'in',
                });
              rotation = packet.meta.rotation;
              decoder.decode(packet.chunk);
            } finally {
              closePacket(packet);
            }
            if (codec) await drainQueue(codec, outputs, io, 'out');
          }
        },
        ...codecEnding(
          ctx,
          outputs,
          () => codec,
          () => `${configured?.codec ?? 'video'} decoder`,
        ),
      };
    },
  });
}

/** `video::decoder`: WebCodecs video decoding for every codec the browser decodes. */
export const videoDecoder = makeVideoDecoder('video::decoder', undefined);
/** StreamKit's codec-specific decoder kinds. */
export const vp9Decoder = makeVideoDecoder('video::vp9::decoder', 'vp9');
export const av1Decoder = makeVideoDecoder('video::av1::decoder', 'av1');
