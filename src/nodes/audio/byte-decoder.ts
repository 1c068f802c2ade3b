/**
 * StreamKit's bytes-in audio decoders (`audio::flac::decoder`, `audio::mp3::decoder`,
 * `containers::wav::demuxer`): a file's bytes in, raw PCM out. mediabunny reads the container and
 * decodes through WebCodecs; one node does both because StreamKit's pipelines wire them that way.
 */
import type { InputFormat } from 'mediabunny';
import { AudioSampleSink, BlobSource, FLAC, Input, MP3, UnsupportedInputFormatError, WAVE } from 'mediabunny';
import { z } from 'zod';
import type { NodeDefinition } from '../../engine';
import { defineNode, micros } from '../../engine';
import { collect } from '../containers/demuxer';
import { readMp3Gapless } from '../media/mp3-gapless';
import { trimToWindow } from './decoder';

const params = z.strictObject({});

function makeByteDecoder(kind: string, format: InputFormat, label: string): NodeDefinition<z.infer<typeof params>> {
  return defineNode({
    kind,
    version: 1,
    description: `Reads ${label} bytes and emits the decoded PCM audio (native sample rate and channels).`,
    categories: ['audio', 'codecs'],
    params,
    inputs: [{ name: 'in', accepts: [{ kind: 'binary' }], cardinality: 'one' }],
    outputs: [{ name: 'out', produces: { kind: 'raw_audio' }, cardinality: 'broadcast' }],
    create(ctx) {
      let input: Input | undefined;
      return {
        async run(io) {
          const blob = await collect(ctx, io);
          input = new Input({ source: new BlobSource(blob), formats: [format] });
          const out = io.output('out');
          let sent = 0;
          try {
            const track = await input.getPrimaryAudioTrack();
            if (!track) throw ctx.error(`the ${label} stream has no audio track`, { pin: 'in' });
            if (!(await track.canDecode())) {
              throw ctx.error(`this browser cannot decode the ${(await track.getCodec()) ?? 'unknown'} audio in it`, {
                pin: 'in',
              });
            }
            // MP3: the LAME tag's encoder delay and padding are cut (gapless), as ffmpeg does.
            const gapless = format === MP3 ? await readMp3Gapless(blob) : undefined;
            for await (const sample of new AudioSampleSink(track).samples()) {
              let data: AudioData | undefined;
              try {
                if (gapless) sample.setTimestamp(sample.timestamp - gapless.shiftUs / 1_000_000);
                data = trimToWindow(sample.toAudioData(), gapless?.endUs);
              } finally {
                sample.close();
              }
              if (!data) continue;
              sent++;
              await out.send({
                kind: 'raw_audio',
                data,
                meta: { timestamp: micros(data.timestamp), duration: micros(data.duration) },
              });
            }
          } catch (cause) {
            if (io.signal.aborted || (cause instanceof Error && cause.name === 'NodeError')) throw cause;
            const why =
              cause instanceof UnsupportedInputFormatError
                ? `the input (${blob.size} bytes) is not ${label}`
                : `the ${label} data is damaged or truncated: ${cause instanceof Error ? cause.message : String(cause)}`;
            throw ctx.error(why, { pin: 'in', cause });
          }
          if (sent === 0) throw ctx.error(`the ${label} stream holds no audio samples`, { pin: 'in' });
        },
        close() {
          input?.dispose();
        },
      };
    },
  });
}

/** StreamKit's `audio::flac::decoder`: FLAC bytes to PCM. */
export const flacDecoder = makeByteDecoder('audio::flac::decoder', FLAC, 'FLAC');
/** StreamKit's `audio::mp3::decoder`: MP3 bytes to PCM. */
export const mp3Decoder = makeByteDecoder('audio::mp3::decoder', MP3, 'MP3');
/** StreamKit's `containers::wav::demuxer`: WAV bytes to PCM. */
export const wavDemuxer = makeByteDecoder('containers::wav::demuxer', WAVE, 'WAV');
