import { z } from 'zod';
import type { NodeContext, NodeDefinition, VideoCodecName } from '../../engine';
import { closePacket, defineNode, micros } from '../../engine';
import type { CodecLike } from '../media/codec-loop';
import { CodecOutputs, codecEnding, codecError, codecOf, drainQueue } from '../media/codec-loop';
import { encoderCodecString, VIDEO_CODECS } from '../media/codecs';

/** Frame rate assumed for codec level selection when none is given. */
const DEFAULT_FPS = 30;

/** The encoder settings every video encoder kind resolves to. */
export interface VideoEncoderParams {
  codec: VideoCodecName;
  /** Target bitrate; 0 encodes at constant quality (`quantizer`). */
  bitrate_kbps: number;
  /** Per-frame quantizer 0–63 when `bitrate_kbps` is 0. */
  quantizer: number;
  /** A keyframe every N frames; 0 lets the encoder decide. */
  keyframe_interval: number;
  latency_mode: 'quality' | 'realtime';
  bitrate_mode: 'variable' | 'constant';
  hardware_acceleration: 'no-preference' | 'prefer-hardware' | 'prefer-software';
  /** Frame rate hint for rate control and level selection. */
  framerate?: number | undefined;
}

const hardware = z.enum(['no-preference', 'prefer-hardware', 'prefer-software']).default('no-preference');

const generic = z.strictObject({
  codec: z.enum(['h264', 'vp8', 'vp9', 'av1', 'hevc']).default('vp9'),
  bitrate_kbps: z.number().int().min(0).max(500_000).default(2500),
  quantizer: z.number().int().min(0).max(63).default(30),
  keyframe_interval: z.number().int().min(0).default(120),
  latency_mode: z.enum(['quality', 'realtime']).default('quality'),
  bitrate_mode: z.enum(['variable', 'constant']).default('variable'),
  hardware_acceleration: hardware,
  framerate: z.number().positive().max(240).optional(),
});

async function configure(ctx: NodeContext<VideoEncoderParams>, frame: VideoFrame): Promise<VideoEncoderConfig> {
  const p = ctx.params;
  // The visible picture, in coded pixels (display size may differ by pixel aspect ratio or rounding).
  let width = frame.visibleRect?.width ?? frame.displayWidth;
  let height = frame.visibleRect?.height ?? frame.displayHeight;
  if (p.codec === 'h264' || p.codec === 'hevc') {
    // 4:2:0 H.264/HEVC needs even dimensions; the encoder scales the frame to this size.
    width -= width % 2;
    height -= height % 2;
  }
  const fps = p.framerate ?? (frame.duration ? 1_000_000 / frame.duration : DEFAULT_FPS);
  const config: VideoEncoderConfig = {
    codec: encoderCodecString(p.codec, width, height, fps),
    width,
    height,
    framerate: fps,
    latencyMode: p.latency_mode,
    hardwareAcceleration: p.hardware_acceleration,
    ...(p.bitrate_kbps > 0
      ? { bitrate: p.bitrate_kbps * 1000, bitrateMode: p.bitrate_mode }
      : { bitrateMode: 'quantizer' }),
    ...(p.codec === 'h264' ? { avc: { format: 'avc' as const } } : {}),
  };
  const support = await VideoEncoder.isConfigSupported(config);
  if (!support.supported) throw ctx.error(await unsupportedReason(p, config, fps), { pin: 'in', phase: 'run' });
  return config;
}

/** A size every encoder here handles, to tell "too large" from "codec missing". */
const PROBE_SIZE = { width: 1280, height: 720 } as const;

/** Why `config` cannot be encoded here: the size, the codec, or both, and what would work. */
async function unsupportedReason(p: VideoEncoderParams, config: VideoEncoderConfig, fps: number): Promise<string> {
  const { width, height } = config;
  const what = `this browser cannot encode '${config.codec}' (${p.codec} ${width}x${height}${p.bitrate_kbps === 0 ? ', constant quality' : ''})`;
  const at = (codec: VideoCodecName, w: number, h: number): VideoEncoderConfig => {
    const alt: VideoEncoderConfig = { ...config, codec: encoderCodecString(codec, w, h, fps), width: w, height: h };
    if (codec !== 'h264') delete alt.avc;
    return alt;
  };
  const big = width * height > PROBE_SIZE.width * PROBE_SIZE.height;
  if (big && (await VideoEncoder.isConfigSupported(at(p.codec, PROBE_SIZE.width, PROBE_SIZE.height))).supported) {
    return `${what}: the picture is too large for this encoder (${p.codec} works at ${PROBE_SIZE.width}x${PROBE_SIZE.height}); scale it down first with video::scale`;
  }
  const working: string[] = [];
  for (const other of VIDEO_CODECS) {
    if (other === p.codec) continue;
    if ((await VideoEncoder.isConfigSupported(at(other, width, height))).supported) working.push(other);
  }
  return working.length > 0
    ? `${what}; at this size these codecs work here: ${working.join(', ')}`
    : `${what}; no video codec works at this size here: scale it down with video::scale`;
}

function encodeOptions(p: VideoEncoderParams, keyFrame: boolean): VideoEncoderEncodeOptions {
  if (p.bitrate_kbps > 0) return { keyFrame };
  const q = { quantizer: p.quantizer };
  return { keyFrame, vp9: q, av1: q, avc: q };
}

function makeVideoEncoder<P>(
  kind: string,
  description: string,
  schema: z.ZodType<VideoEncoderParams, P>,
): NodeDefinition<VideoEncoderParams> {
  return defineNode({
    kind,
    version: 1,
    description,
    categories: ['video', 'codecs'],
    params: schema,
    inputs: [{ name: 'in', accepts: [{ kind: 'raw_video' }], cardinality: 'one' }],
    outputs: [{ name: 'out', produces: { kind: 'encoded_video' }, cardinality: 'broadcast' }],
    negotiate: ({ params }) => new Map([['out', { kind: 'encoded_video', codec: params.codec }]]),
    create(ctx) {
      const outputs = new CodecOutputs();
      let encoder: VideoEncoder | undefined;
      let codec: CodecLike | undefined;
      let decoderConfig: VideoDecoderConfig | undefined;
      let count = 0;
      let rotation: 0 | 90 | 180 | 270 | undefined;
      return {
        async run(io) {
          for await (const packet of io.input('in')) {
            try {
              if (packet.kind !== 'raw_video')
                throw ctx.error(`expects raw video frames, got ${packet.kind}`, { pin: 'in' });
              if (!encoder) {
                const config = await configure(ctx, packet.frame);
                encoder = new VideoEncoder({
                  output: (chunk, meta) => {
                    if (meta?.decoderConfig) decoderConfig = { ...meta.decoderConfig };
                    outputs.push({
                      kind: 'encoded_video',
                      chunk,
                      ...(decoderConfig ? { config: decoderConfig } : {}),
                      meta: {
                        timestamp: micros(chunk.timestamp),
                        ...(chunk.duration !== null ? { duration: micros(chunk.duration) } : {}),
                        keyframe: chunk.type === 'key',
                        ...(rotation ? { rotation } : {}),
                      },
                    });
                  },
                  error: (e) => outputs.fail(codecError(ctx, `encoding ${ctx.params.codec}`, 'in', e)),
                });
                encoder.configure(config);
                codec = codecOf(encoder);
              }
              rotation = packet.meta.rotation;
              const interval = ctx.params.keyframe_interval;
              const key = count === 0 || (interval > 0 && count % interval === 0) || packet.meta.keyframe === true;
              encoder.encode(packet.frame, encodeOptions(ctx.params, key));
              count++;
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
          () => `${ctx.params.codec} encoder`,
        ),
      };
    },
  });
}

/** `video::encoder`: WebCodecs video encoding (H.264, VP8, VP9, AV1; HEVC where the browser has it). */
export const videoEncoder = makeVideoEncoder(
  'video::encoder',
  'Encodes raw frames with WebCodecs: H.264, VP8, VP9, AV1 (HEVC where supported), with bitrate or constant quality, keyframe interval, latency mode and hardware preference.',
  generic,
);

/** StreamKit's `video::vp9::encoder` (libvpx params mapped onto WebCodecs). */
export const vp9Encoder = makeVideoEncoder(
  'video::vp9::encoder',
  'Encodes raw frames to VP9 with WebCodecs (StreamKit params: bitrate_kbps, keyframe_interval, deadline).',
  z
    .strictObject({
      bitrate_kbps: z.number().int().min(1).default(2500),
      keyframe_interval: z.number().int().min(0).default(120),
      deadline: z.enum(['realtime', 'good_quality', 'best_quality']).default('realtime'),
      /** Accepted for compatibility: WebCodecs chooses threads and speed itself. */
      threads: z.number().int().min(0).optional(),
      cpu_used: z.number().int().min(-16).max(16).optional(),
      hardware_acceleration: hardware,
    })
    .transform((p): VideoEncoderParams => ({
      codec: 'vp9',
      bitrate_kbps: p.bitrate_kbps,
      quantizer: 30,
      keyframe_interval: p.keyframe_interval,
      latency_mode: p.deadline === 'realtime' ? 'realtime' : 'quality',
      bitrate_mode: 'variable',
      hardware_acceleration: p.hardware_acceleration,
    })),
);

/** StreamKit's `video::av1::encoder` (rav1e params mapped onto WebCodecs). */
export const av1Encoder = makeVideoEncoder(
  'video::av1::encoder',
  'Encodes raw frames to AV1 with WebCodecs (StreamKit params: bitrate_kbps or quantizer, keyframe_interval, low_latency).',
  z
    .strictObject({
      bitrate_kbps: z.number().int().min(0).default(0),
      keyframe_interval: z.number().int().min(0).default(120),
      low_latency: z.boolean().default(true),
      quantizer: z.number().int().min(0).max(255).default(80),
      /** Accepted for compatibility: WebCodecs chooses speed and threads itself. */
      speed: z.number().int().min(0).max(10).optional(),
      threads: z.number().int().min(0).optional(),
      hardware_acceleration: hardware,
    })
    .transform((p): VideoEncoderParams => ({
      codec: 'av1',
      bitrate_kbps: p.bitrate_kbps,
      quantizer: Math.round((p.quantizer * 63) / 255),
      keyframe_interval: p.keyframe_interval,
      latency_mode: p.low_latency ? 'realtime' : 'quality',
      bitrate_mode: 'variable',
      hardware_acceleration: p.hardware_acceleration,
    })),
);

/** StreamKit's `video::openh264::encoder` (OpenH264 params mapped onto WebCodecs H.264). */
export const openh264Encoder = makeVideoEncoder(
  'video::openh264::encoder',
  'Encodes raw frames to H.264 with WebCodecs (StreamKit params: bitrate_kbps, max_frame_rate, gop_size).',
  z
    .strictObject({
      bitrate_kbps: z.number().int().min(1).max(500_000).default(2000),
      max_frame_rate: z.number().positive().default(30),
      gop_size: z.number().int().min(0).default(60),
      hardware_acceleration: hardware,
    })
    .transform((p): VideoEncoderParams => ({
      codec: 'h264',
      bitrate_kbps: p.bitrate_kbps,
      quantizer: 30,
      keyframe_interval: p.gop_size,
      latency_mode: 'quality',
      bitrate_mode: 'variable',
      hardware_acceleration: p.hardware_acceleration,
      framerate: p.max_frame_rate,
    })),
);
