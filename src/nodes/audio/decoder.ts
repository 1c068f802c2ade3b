import { z } from 'zod';
import type { AudioCodecName, NodeDefinition } from '../../engine';
import { closePacket, defineNode, micros } from '../../engine';
import { makeAudioData, readPlanar } from '../media/audio-data';
import type { CodecLike } from '../media/codec-loop';
import { CodecOutputs, codecEnding, codecError, codecOf, drainQueue, finish, shutdown } from '../media/codec-loop';
import { describeAudioCodec, mpegAudioName } from '../media/codecs';
import { isPcmCodec, PcmAudioDecoder } from '../media/pcm';

const params = z.strictObject({});

/**
 * Keeps the samples of `data` inside [0, `end`) µs: drops encoder priming that the container marks
 * with negative timestamps (AAC in MP4, MP3's LAME delay) so the audio starts with the video, and
 * padding past a stream's declared end. Takes ownership of `data`.
 */
export function trimToWindow(data: AudioData, end = Infinity): AudioData | undefined {
  const rate = data.sampleRate;
  const skip = data.timestamp < 0 ? Math.round((-data.timestamp * rate) / 1_000_000) : 0;
  const keep =
    end === Infinity
      ? data.numberOfFrames
      : Math.min(data.numberOfFrames, Math.round(((end - data.timestamp) * rate) / 1_000_000));
  if (skip === 0 && keep === data.numberOfFrames) return data;
  if (skip >= keep) {
    data.close();
    return undefined;
  }
  const audio = readPlanar(data);
  data.close();
  return makeAudioData({
    ...audio,
    channels: audio.channels.map((p) => p.subarray(skip, keep)),
    timestamp: micros(Math.max(0, data.timestamp)),
  });
}

function makeAudioDecoder(kind: string, codec: AudioCodecName | undefined): NodeDefinition<z.infer<typeof params>> {
  return defineNode({
    kind,
    version: 1,
    description: `Decodes ${codec ? codec.toUpperCase() : 'Opus, AAC, FLAC, MP3, Vorbis and PCM'} audio with WebCodecs into raw samples.`,
    categories: ['audio', 'codecs'],
    params,
    inputs: [
      {
        name: 'in',
        accepts: [codec ? { kind: 'encoded_audio', codec } : { kind: 'encoded_audio' }],
        cardinality: 'one',
      },
    ],
    outputs: [{ name: 'out', produces: { kind: 'raw_audio' }, cardinality: 'broadcast' }],
    create(ctx) {
      const outputs = new CodecOutputs();
      let decoder: AudioDecoder | PcmAudioDecoder | undefined;
      let codecView: CodecLike | undefined;
      let configured: AudioDecoderConfig | undefined;
      /** What is being decoded, for messages (refined from the bitstream for MPEG audio). */
      let label = 'audio';
      // A packet may declare a shorter duration than its chunk (MP3 padding): output stops there.
      let end = Infinity;
      return {
        async run(io) {
          for await (const packet of io.input('in')) {
            try {
              if (packet.kind !== 'encoded_audio')
                throw ctx.error(`expects encoded audio, got ${packet.kind}`, { pin: 'in' });
              const config = packet.config;
              if (config && config !== configured) {
                // PCM is read here, not by WebCodecs (which lacks most layouts and crashes on some).
                const pcm = isPcmCodec(config.codec);
                if (!pcm) {
                  const support = await AudioDecoder.isConfigSupported(config);
                  if (!support.supported) {
                    throw ctx.error(
                      `this browser cannot decode ${describeAudioCodec(config.codec)} (${config.sampleRate} Hz, ${config.numberOfChannels} ch)`,
                      { pin: 'in' },
                    );
                  }
                }
                if (decoder) await finish(codecView, outputs, io, 'out');
                if (decoder && pcm !== decoder instanceof PcmAudioDecoder) {
                  shutdown(codecView, outputs);
                  decoder = undefined;
                }
                if (!decoder) {
                  const init: AudioDecoderInit = {
                    output: (decoded) => {
                      const data = trimToWindow(decoded, end);
                      if (data) {
                        outputs.push({
                          kind: 'raw_audio',
                          data,
                          meta: { timestamp: micros(data.timestamp), duration: micros(data.duration) },
                        });
                      }
                    },
                    error: (e) => outputs.fail(codecError(ctx, `decoding ${label}`, 'in', e)),
                  };
                  const made = pcm ? new PcmAudioDecoder(init) : new AudioDecoder(init);
                  codecView = made instanceof PcmAudioDecoder ? made.codec() : codecOf(made);
                  decoder = made;
                }
                decoder.configure(config);
                configured = config;
                label = describeAudioCodec(config.codec);
                if (/^(mp3|mp4a\.6[9b])$/i.test(config.codec)) {
                  const head = new Uint8Array(packet.chunk.byteLength); // copyTo needs room for all of it
                  packet.chunk.copyTo(head);
                  const mpeg = mpegAudioName(head);
                  if (mpeg) label = `${mpeg} (${config.codec})`;
                }
              }
              if (!decoder)
                throw ctx.error('the first packet carries no decoder config; connect a demuxer or encoder output', {
                  pin: 'in',
                });
              const chunkEnd = packet.chunk.timestamp + (packet.chunk.duration ?? 0);
              const declaredEnd =
                (packet.meta.timestamp ?? packet.chunk.timestamp) + (packet.meta.duration ?? Infinity);
              if (declaredEnd < chunkEnd - 1) end = Math.min(end, declaredEnd);
              decoder.decode(packet.chunk);
            } finally {
              closePacket(packet);
            }
            if (codecView) await drainQueue(codecView, outputs, io, 'out');
          }
        },
        ...codecEnding(
          ctx,
          outputs,
          () => codecView,
          () => `${label} decoder`,
        ),
      };
    },
  });
}

/** `audio::decoder`: WebCodecs audio decoding for every codec the browser decodes. */
export const audioDecoder = makeAudioDecoder('audio::decoder', undefined);
/** StreamKit's `audio::opus::decoder`. */
export const opusDecoder = makeAudioDecoder('audio::opus::decoder', 'opus');
