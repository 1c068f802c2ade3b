import type { OutputFormat } from 'mediabunny';
import {
  AdtsOutputFormat,
  EncodedAudioPacketSource,
  EncodedPacket,
  EncodedVideoPacketSource,
  FlacOutputFormat,
  MkvOutputFormat,
  MovOutputFormat,
  Mp3OutputFormat,
  Mp4OutputFormat,
  OggOutputFormat,
  Output,
  StreamTarget,
  WavOutputFormat,
  WebMOutputFormat,
} from 'mediabunny';
import type { StreamTargetChunk } from 'mediabunny';
import { z } from 'zod';
import type { InputPinSpec, NodeContext, NodeDefinition, NodeIO, Packet } from '../../engine';
import { closePacket, defineNode } from '../../engine';
import { mediabunnyAudioOfString, toMediabunnyVideo, videoCodecOfString } from '../media/codecs';

/** Container formats the muxer writes. */
export const MUX_FORMATS = ['mp4', 'webm', 'mkv', 'mov', 'ogg', 'wav', 'mp3', 'adts', 'flac'] as const;
type MuxFormat = (typeof MUX_FORMATS)[number];

const params = z.strictObject({
  /** Container to write. */
  format: z.enum(MUX_FORMATS).default('webm'),
  /**
   * `file`: a complete file (duration, cues, moov up front); `stream`/`live`: forward-only output
   * that can be played while written (fragmented MP4, cue-less WebM).
   */
  mode: z.enum(['file', 'stream', 'live']).default('file'),
  /** Number of `in_N` pins to create (StreamKit); `in`, `video`, `audio` always exist. */
  num_inputs: z.number().int().min(1).max(8).default(1),
  /** Pipeline (or any text) stored in the file's metadata where the container allows. */
  comment: z.string().optional(),
});
type Params = z.infer<typeof params>;

function makeFormat(format: MuxFormat, mode: Params['mode']): OutputFormat {
  const forward = mode !== 'file';
  switch (format) {
    case 'mp4':
      return new Mp4OutputFormat({ fastStart: forward ? 'fragmented' : 'in-memory' });
    case 'mov':
      return new MovOutputFormat({ fastStart: forward ? 'fragmented' : 'in-memory' });
    case 'webm':
      return new WebMOutputFormat({ appendOnly: forward });
    case 'mkv':
      return new MkvOutputFormat({ appendOnly: forward });
    case 'ogg':
      return new OggOutputFormat();
    case 'wav':
      return new WavOutputFormat();
    case 'mp3':
      return new Mp3OutputFormat();
    case 'adts':
      return new AdtsOutputFormat();
    case 'flac':
      return new FlacOutputFormat();
  }
}

interface Track {
  pin: string;
  first: Packet & { kind: 'encoded_video' | 'encoded_audio' };
  add: (packet: Packet, first: boolean) => Promise<void>;
  close: () => void;
}

function toEncodedPacket(packet: Packet): EncodedPacket {
  if (packet.kind !== 'encoded_video' && packet.kind !== 'encoded_audio') throw new Error('not an encoded packet');
  return EncodedPacket.fromEncodedChunk(packet.chunk);
}

async function openTracks(ctx: NodeContext<Params>, io: NodeIO, output: Output): Promise<Track[]> {
  // First packets of all inputs together: one branch may only end once another is drained.
  const firsts = await Promise.all(
    io.connectedInputs().map(async (pin) => ({ pin, first: await io.input(pin).recv() })),
  );
  const tracks: Track[] = [];
  try {
    for (const { pin, first } of firsts) {
      if (!first) continue; // an input with no packets (e.g. a file without audio) adds no track
      tracks.push(makeTrack(ctx, pin, first, output));
    }
  } catch (error) {
    for (const { first } of firsts) if (first) closePacket(first);
    throw error;
  }
  return tracks;
}

function makeTrack(ctx: NodeContext<Params>, pin: string, first: Packet, output: Output): Track {
  if (first.kind !== 'encoded_video' && first.kind !== 'encoded_audio') {
    throw ctx.error(`expects encoded video or audio, got a ${first.kind} packet; put an encoder before the muxer`, {
      pin,
    });
  }
  const config = first.config;
  if (!config) throw ctx.error('the first packet carries no decoder config; the encoder must send it', { pin });
  if (first.kind === 'encoded_video') {
    const ours = videoCodecOfString(config.codec);
    if (!ours) throw ctx.error(`unsupported video codec '${config.codec}'`, { pin });
    const source = new EncodedVideoPacketSource(toMediabunnyVideo(ours));
    const rotation = first.meta.rotation;
    addTrack(ctx, pin, () => output.addVideoTrack(source, rotation ? { rotation } : {}));
    return {
      pin,
      first,
      add: (p, isFirst) => source.add(toEncodedPacket(p), isFirst ? { decoderConfig: config } : undefined),
      close: () => source.close(),
    };
  }
  const codec = mediabunnyAudioOfString(config.codec);
  if (!codec) throw ctx.error(`unsupported audio codec '${config.codec}'`, { pin });
  const source = new EncodedAudioPacketSource(codec);
  addTrack(ctx, pin, () => output.addAudioTrack(source));
  return {
    pin,
    first,
    add: (p, isFirst) =>
      source.add(toEncodedPacket(p), isFirst ? { decoderConfig: config as AudioDecoderConfig } : undefined),
    close: () => source.close(),
  };
}

function addTrack(ctx: NodeContext<Params>, pin: string, add: () => unknown): void {
  try {
    add();
  } catch (cause) {
    throw ctx.error(
      `${ctx.params.format} cannot hold this track: ${cause instanceof Error ? cause.message : String(cause)}`,
      { pin, cause },
    );
  }
}

/** Container MIME types, for video and for audio-only files. */
const MIME: Record<MuxFormat, [string, string]> = {
  mp4: ['video/mp4', 'audio/mp4'],
  mov: ['video/quicktime', 'video/quicktime'],
  webm: ['video/webm', 'audio/webm'],
  mkv: ['video/x-matroska', 'audio/x-matroska'],
  ogg: ['audio/ogg', 'audio/ogg'],
  wav: ['audio/wav', 'audio/wav'],
  mp3: ['audio/mpeg', 'audio/mpeg'],
  adts: ['audio/aac', 'audio/aac'],
  flac: ['audio/flac', 'audio/flac'],
};

/** The output's MIME type with a codecs parameter, from the tracks' decoder configs. */
function mimeType(format: MuxFormat, tracks: readonly Track[]): string {
  const [video, audio] = MIME[format];
  const hasVideo = tracks.some((t) => t.first.kind === 'encoded_video');
  const codecs = tracks.map((t) => t.first.config?.codec).filter((c): c is string => !!c);
  const base = hasVideo ? video : audio;
  return ['wav', 'mp3', 'adts', 'flac'].includes(format) || codecs.length === 0
    ? base
    : `${base}; codecs="${codecs.join(',')}"`;
}

function makeMuxer(kind: string, description: string, schema: z.ZodType<Params>): NodeDefinition<Params> {
  return defineNode({
    kind,
    version: 1,
    description,
    categories: ['containers', 'muxers'],
    params: schema,
    inputs: (p): InputPinSpec[] => {
      const accepts = [{ kind: 'encoded_video' as const }, { kind: 'encoded_audio' as const }];
      return [
        { name: 'in', accepts, cardinality: 'one', required: false },
        ...Array.from({ length: Math.max(0, (p.num_inputs ?? 1) - 1) }, (_, i) => ({
          name: `in_${i + 1}`,
          accepts,
          cardinality: 'one' as const,
          required: false,
        })),
        { name: 'video', accepts: [{ kind: 'encoded_video' }], cardinality: 'one', required: false },
        { name: 'audio', accepts: [{ kind: 'encoded_audio' }], cardinality: 'one', required: false },
      ];
    },
    outputs: [{ name: 'out', produces: { kind: 'binary' }, cardinality: 'broadcast' }],
    create(ctx) {
      let output: Output | undefined;
      return {
        async run(io) {
          if (io.connectedInputs().length === 0)
            throw ctx.error('no input is connected; connect encoded video or audio');
          const out = io.output('out');
          const described: { contentType?: string } = {}; // known once the tracks are
          const writable = new WritableStream<StreamTargetChunk>({
            write: (chunk) =>
              out.send({
                kind: 'binary',
                data: chunk.data,
                position: chunk.position,
                ...(described.contentType ? { content_type: described.contentType } : {}),
                meta: {},
              }),
          });
          output = new Output({
            format: makeFormat(ctx.params.format, ctx.params.mode),
            target: new StreamTarget(writable),
          });
          const tracks = await openTracks(ctx, io, output);
          if (tracks.length === 0) throw ctx.error('every input ended without a packet; there is nothing to write');
          if (ctx.params.comment) output.setMetadataTags({ comment: ctx.params.comment });
          described.contentType = mimeType(ctx.params.format, tracks);
          await output.start();
          // One feeding loop per track: the container interleaves, and may hold one track's add()
          // until the others catch up, so tracks must not wait on each other here.
          await Promise.all(
            tracks.map(async (track) => {
              try {
                await track.add(track.first, true);
              } finally {
                closePacket(track.first);
              }
              for await (const packet of io.input(track.pin)) {
                try {
                  if (packet.kind !== track.first.kind) {
                    throw ctx.error(`the stream changed from ${track.first.kind} to ${packet.kind}`, {
                      pin: track.pin,
                    });
                  }
                  await track.add(packet, false);
                } finally {
                  closePacket(packet);
                }
              }
              track.close();
            }),
          );
          await output.finalize();
        },
        async close() {
          if (output && output.state !== 'finalized' && output.state !== 'canceled') await output.cancel();
        },
      };
    },
  });
}

/** `containers::muxer`: writes encoded tracks into MP4, WebM, MKV, MOV, Ogg, WAV, MP3, ADTS or FLAC. */
export const muxer = makeMuxer(
  'containers::muxer',
  'Writes encoded video and audio into a container (MP4, WebM, MKV, MOV, Ogg, WAV, MP3, ADTS, FLAC) as a byte stream.',
  params,
);

/** StreamKit params that describe the stream; Weft reads these from the packets themselves. */
const fromStream = {
  sample_rate: z.number().int().positive().optional(),
  channels: z.number().int().positive().optional(),
  video_width: z.number().int().min(0).optional(),
  video_height: z.number().int().min(0).optional(),
};

/** StreamKit's `containers::webm::muxer`: forward-only unless `streaming_mode: file`. */
export const webmMuxer = makeMuxer(
  'containers::webm::muxer',
  'Writes VP8/VP9/AV1 video and Opus/Vorbis audio into WebM (StreamKit params; stream properties come from the packets).',
  z
    .strictObject({
      ...fromStream,
      streaming_mode: z.enum(['live', 'file']).default('live'),
      opus_preskip_samples: z.number().int().min(0).optional(),
      num_inputs: z.number().int().min(1).max(2).default(1),
      chunk_size: z.number().int().positive().optional(),
    })
    .transform((p): Params => ({ format: 'webm', mode: p.streaming_mode, num_inputs: p.num_inputs })),
);

/** StreamKit's `containers::mp4::muxer`: fragmented unless `mode: file`. */
export const mp4Muxer = makeMuxer(
  'containers::mp4::muxer',
  'Writes H.264/AV1/VP9 video and AAC/Opus audio into MP4 (StreamKit params; stream properties come from the packets).',
  z
    .strictObject({
      ...fromStream,
      mode: z.enum(['stream', 'file']).default('stream'),
      num_inputs: z.number().int().min(1).max(2).default(1),
      video_timescale: z.number().int().positive().optional(),
      audio_timescale: z.number().int().positive().optional(),
      audio_codec: z.enum(['opus', 'aac']).nullable().optional(),
      video_codec: z.enum(['vp9', 'h264', 'av1']).nullable().optional(),
      finalize_chunk_size: z.number().int().positive().nullable().optional(),
    })
    .transform((p): Params => ({ format: 'mp4', mode: p.mode, num_inputs: p.num_inputs })),
);

/** StreamKit's `containers::ogg::muxer`. */
export const oggMuxer = makeMuxer(
  'containers::ogg::muxer',
  'Writes Opus audio into an Ogg stream (StreamKit params; stream properties come from the packets).',
  z
    .strictObject({
      stream_serial: z.number().int().min(0).optional(),
      codec: z.literal('opus').default('opus'),
      channels: z.number().int().positive().optional(),
      chunk_size: z.number().int().positive().optional(),
    })
    .transform((): Params => ({ format: 'ogg', mode: 'file', num_inputs: 1 })),
);
