import type { InputAudioTrack, InputFormat, InputTrack, InputVideoTrack } from 'mediabunny';
import { ALL_FORMATS, BlobSource, EncodedPacketSink, Input, MP3, UnsupportedInputFormatError } from 'mediabunny';
import { z } from 'zod';
import type { NodeContext, NodeDefinition, NodeIO, OutputPinSpec, Packet } from '../../engine';
import { closePacket, defineNode, micros } from '../../engine';
import { fromMediabunnyAudio, fromMediabunnyVideo } from '../media/codecs';
import type { Mp3Gapless } from '../media/mp3-gapless';
import { readMp3Gapless } from '../media/mp3-gapless';

const params = z.strictObject({
  /** Weft: also emit video tracks one by one on pins `video_0` … `video_{N-1}` (file order). */
  video_tracks: z.number().int().min(0).max(16).default(0),
  /** Weft: also emit audio tracks one by one on pins `audio_0` … `audio_{N-1}` (file order). */
  audio_tracks: z.number().int().min(0).max(16).default(0),
});
type Params = z.infer<typeof params>;

/** Formats mediabunny reads, for error messages. */
const READABLE = 'MP4/MOV, WebM/MKV, Ogg, WAV, MP3, ADTS/AAC, FLAC or MPEG-TS';

/** Gathers the incoming bytes into a Blob, for random access by the container reader; refuses empty input. */
export async function collect<P>(ctx: NodeContext<P>, io: NodeIO): Promise<Blob> {
  const parts: Uint8Array<ArrayBuffer>[] = [];
  let type: string | undefined;
  for await (const packet of io.input('in')) {
    if (packet.kind !== 'binary') {
      closePacket(packet);
      throw ctx.error(`expects the bytes of a media file, got a ${packet.kind} packet`, { pin: 'in' });
    }
    type ??= packet.content_type;
    parts.push(new Uint8Array(packet.data));
  }
  const blob = new Blob(parts, type ? { type } : {});
  if (blob.size === 0) throw ctx.error('the input is empty (0 bytes)', { pin: 'in' });
  return blob;
}

async function pump(
  ctx: NodeContext<Params>,
  io: NodeIO,
  pin: string,
  track: InputVideoTrack | InputAudioTrack,
  gapless: Mp3Gapless | undefined,
): Promise<void> {
  const out = io.output(pin);
  const video = track.isVideoTrack();
  if (track.isAudioTrack() && (track.numberOfChannels < 1 || !(track.sampleRate > 0))) {
    throw ctx.error(
      `audio track ${track.id} declares ${track.numberOfChannels} channel(s) at ${track.sampleRate} Hz, which no audio has; the file's header is damaged`,
      { pin },
    );
  }
  if (track.isVideoTrack() && (track.codedWidth < 1 || track.codedHeight < 1)) {
    throw ctx.error(
      `video track ${track.id} declares a ${track.codedWidth}x${track.codedHeight} picture; the file's header is damaged`,
      { pin },
    );
  }
  const config = await track.getDecoderConfig();
  if (!config) {
    const codec = await track.getCodec();
    throw ctx.error(`track ${track.id} uses ${codec ?? 'an unknown codec'}, which this browser cannot decode`, { pin });
  }
  const rotation = track.isVideoTrack() ? await track.getRotation() : 0;
  const sink = new EncodedPacketSink(track);
  // MP3 gapless: timestamps move back by the encoder + decoder delay (the decoder drops what falls
  // before zero) and the packets past the real end declare a shorter duration (the decoder cuts there).
  const end = gapless?.endUs ?? Infinity;
  let sequence = 0;
  for await (const original of sink.packets()) {
    io.signal.throwIfAborted();
    const p = gapless ? original.clone({ timestamp: original.timestamp - gapless.shiftUs / 1_000_000 }) : original;
    const timestamp = micros(p.microsecondTimestamp);
    const meta = {
      timestamp,
      duration: micros(Math.max(0, Math.min(p.microsecondDuration, end - timestamp))),
      keyframe: p.type === 'key',
      sequence: sequence++,
      ...(rotation ? { rotation } : {}),
    };
    const packet: Packet = video
      ? { kind: 'encoded_video', chunk: p.toEncodedVideoChunk(), config: config, meta }
      : { kind: 'encoded_audio', chunk: p.toEncodedAudioChunk(), config: config as AudioDecoderConfig, meta };
    await out.send(packet);
  }
  if (sequence === 0) {
    throw ctx.error(
      `the ${video ? 'video' : 'audio'} track has no readable packets; the file is truncated or damaged`,
      { pin: 'in' },
    );
  }
  // End this pin now: downstream codecs flush their last frames without waiting for the other tracks.
  out.end();
}

/** Which track a pin carries: the primary one of a kind, or one by index (`audio_1`). */
function pinTrack(pin: string): { kind: 'video' | 'audio'; index?: number } {
  const indexed = /^(video|audio)_(\d+)$/.exec(pin);
  if (indexed) return { kind: indexed[1] as 'video' | 'audio', index: Number(indexed[2]) };
  return { kind: pin === 'video' ? 'video' : 'audio' };
}

/** Names of the pins for tracks by index (`video_0`, …), as the params ask for them. */
function indexedPinNames(p: Params): string[] {
  return [
    ...Array.from({ length: p.video_tracks }, (_, i) => `video_${i}`),
    ...Array.from({ length: p.audio_tracks }, (_, i) => `audio_${i}`),
  ];
}

/** Pins for tracks by index. */
function indexedPins(p: Params): OutputPinSpec[] {
  return indexedPinNames(p).map((name) => {
    const { kind, index } = pinTrack(name);
    return {
      name,
      produces: { kind: kind === 'video' ? 'encoded_video' : 'encoded_audio' },
      cardinality: 'broadcast' as const,
      description: `The ${kind} track number ${index ?? 0} (file order).`,
    };
  });
}

function makeDemuxer(kind: string, description: string): NodeDefinition<Params> {
  return defineNode({
    kind,
    version: 1,
    description,
    categories: ['containers', 'demuxers'],
    params,
    inputs: [{ name: 'in', accepts: [{ kind: 'binary' }], cardinality: 'one' }],
    outputs: (p) => [
      {
        name: 'video',
        produces: { kind: 'encoded_video' },
        cardinality: 'broadcast',
        description: 'The primary video track.',
      },
      {
        name: 'audio',
        produces: { kind: 'encoded_audio' },
        cardinality: 'broadcast',
        description: 'The primary audio track.',
      },
      {
        name: 'out',
        produces: { kind: 'encoded_audio' },
        cardinality: 'broadcast',
        description: 'The primary audio track (StreamKit’s pin name).',
      },
      ...indexedPins(p),
    ],
    create(ctx) {
      let input: Input | undefined;
      return {
        async run(io) {
          const blob = await collect(ctx, io);
          input = new Input({ source: new BlobSource(blob), formats: ALL_FORMATS });
          let format: InputFormat;
          let tracks: {
            video: InputVideoTrack | null;
            audio: InputAudioTrack | null;
            videos: InputVideoTrack[];
            audios: InputAudioTrack[];
          };
          try {
            format = await input.getFormat();
            tracks = {
              video: await input.getPrimaryVideoTrack(),
              audio: await input.getPrimaryAudioTrack(),
              videos: await input.getVideoTracks(),
              audios: await input.getAudioTracks(),
            };
          } catch (cause) {
            if (cause instanceof UnsupportedInputFormatError) {
              throw ctx.error(`the input (${blob.size} bytes) is not a media file this demuxer reads (${READABLE})`, {
                pin: 'in',
                cause,
              });
            }
            throw ctx.error(`cannot read the container: ${cause instanceof Error ? cause.message : String(cause)}`, {
              pin: 'in',
              cause,
            });
          }
          const trackFor = (pin: string): InputVideoTrack | InputAudioTrack | null => {
            const { kind, index } = pinTrack(pin);
            if (index === undefined) return tracks[kind];
            return (kind === 'video' ? tracks.videos[index] : tracks.audios[index]) ?? null;
          };
          const pins = ['video', 'audio', 'out', ...indexedPinNames(ctx.params)];
          const wanted = pins.filter((pin) => io.output(pin).connected);
          if (wanted.length > 0 && wanted.every((pin) => !trackFor(pin))) {
            const kinds = [...new Set(wanted.map((pin) => pinTrack(pin).kind))].join(' or ');
            throw ctx.error(
              `the input has no ${kinds} track${tracks.video || tracks.audio ? '' : ' at all; the file is truncated or damaged'}`,
              { pin: 'in' },
            );
          }
          const gapless = format === MP3 ? await readMp3Gapless(blob) : undefined;
          const jobs: Promise<void>[] = [];
          for (const pin of wanted) {
            const track: InputTrack | null = trackFor(pin);
            if (!track) {
              io.output(pin).end(); // downstream learns at once that nothing comes on this pin
              const { kind, index } = pinTrack(pin);
              const count = kind === 'video' ? tracks.videos.length : tracks.audios.length;
              ctx.telemetry({
                type_id: 'weft::demuxer/missing-track@1',
                data: {
                  pin,
                  message:
                    index === undefined
                      ? `the input has no ${kind} track`
                      : `the input has ${count} ${kind} track${count === 1 ? '' : 's'}, so no ${kind} track number ${index}`,
                },
              });
              continue;
            }
            const supported = track.isVideoTrack()
              ? fromMediabunnyVideo((await track.getCodec()) ?? 'prores')
              : track.isAudioTrack()
                ? fromMediabunnyAudio((await track.getCodec()) ?? 'dts')
                : undefined;
            if (!supported) throw ctx.error(`track ${track.id} uses a codec Weft cannot process`, { pin });
            jobs.push(
              pump(ctx, io, pin, track as InputVideoTrack | InputAudioTrack, gapless).catch((cause: unknown) => {
                if (io.signal.aborted) throw cause;
                throw cause instanceof Error && cause.name === 'NodeError'
                  ? cause
                  : ctx.error(
                      `the file is damaged or truncated: ${cause instanceof Error ? cause.message : String(cause)}`,
                      { pin, cause },
                    );
              }),
            );
          }
          await Promise.all(jobs);
        },
        close() {
          input?.dispose();
        },
      };
    },
  });
}

/** `containers::demuxer`: reads any container mediabunny reads and emits its primary video and audio tracks. */
export const demuxer = makeDemuxer(
  'containers::demuxer',
  `Reads a media file (${READABLE}) and emits the encoded packets of its primary video and audio tracks with their decoder configs; video_tracks / audio_tracks add one pin per track.`,
);
/** StreamKit's kind names for the same job. */
export const mp4Demuxer = makeDemuxer(
  'containers::mp4::demuxer',
  'Reads MP4/MOV files (any container mediabunny reads) and emits their encoded video and audio.',
);
export const webmDemuxer = makeDemuxer(
  'containers::webm::demuxer',
  'Reads WebM/MKV files (any container mediabunny reads) and emits their encoded video and audio.',
);
export const oggDemuxer = makeDemuxer(
  'containers::ogg::demuxer',
  'Reads Ogg files (any container mediabunny reads) and emits their encoded audio on `out`.',
);
