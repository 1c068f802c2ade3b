/**
 * AAC-LC encoding for `audio::encoder`. WebCodecs in Chromium cannot encode AAC, so this runs
 * mediabunny's encoding path (with its AAC encoder extension when the browser has no native one)
 * into a null target and forwards the encoded packets.
 */
import { AdtsOutputFormat, AudioSample, AudioSampleSource, canEncodeAudio, NullTarget, Output } from 'mediabunny';
import type { NodeContext, NodeInstance, Packet } from '../../engine';
import { closePacket, micros } from '../../engine';
import { makeAudioData, readPlanar } from '../media/audio-data';
import { remix } from './channels';
import type { AudioEncoderParams } from './encoder';

/** The audio as `count` channels (a new AudioData the caller closes), or undefined when it has them. */
function withChannels(data: AudioData, count: number | undefined): AudioData | undefined {
  if (count === undefined || data.numberOfChannels === count) return undefined;
  const audio = readPlanar(data);
  return makeAudioData({
    sampleRate: audio.sampleRate,
    channels: remix(audio.channels, count),
    timestamp: audio.timestamp,
  });
}

let registration: Promise<void> | undefined;

/** Registers the AAC encoder extension once, unless the browser encodes AAC itself. */
function ensureAacEncoder(): Promise<void> {
  registration ??= (async () => {
    if (await canEncodeAudio('aac')) return;
    const { registerAacEncoder } = await import('@mediabunny/aac-encoder');
    registerAacEncoder();
  })();
  return registration;
}

/** The running AAC encoder of an `audio::encoder` node. */
export function aacInstance(ctx: NodeContext<AudioEncoderParams>): NodeInstance<AudioEncoderParams> {
  const pending: Packet[] = [];
  let output: Output | undefined;
  let source: AudioSampleSource | undefined;
  let config: AudioDecoderConfig | undefined;
  const forward = async (send: (p: Packet) => Promise<void>): Promise<void> => {
    for (let p = pending.shift(); p; p = pending.shift()) await send(p);
  };
  return {
    async start() {
      await ensureAacEncoder();
      source = new AudioSampleSource({
        codec: 'aac',
        bitrate: ctx.params.bitrate,
        onEncodedPacket: (packet, meta) => {
          if (meta?.decoderConfig) config = { ...meta.decoderConfig };
          pending.push({
            kind: 'encoded_audio',
            chunk: packet.toEncodedAudioChunk(),
            ...(config ? { config } : {}),
            meta: {
              timestamp: micros(packet.microsecondTimestamp),
              duration: micros(packet.microsecondDuration),
              keyframe: true,
            },
          });
        },
      });
      output = new Output({ format: new AdtsOutputFormat(), target: new NullTarget() });
      output.addAudioTrack(source);
      await output.start();
    },
    async run(io) {
      const send = (p: Packet): Promise<void> => io.output('out').send(p);
      for await (const packet of io.input('in')) {
        try {
          if (packet.kind !== 'raw_audio') throw ctx.error(`expects raw audio, got ${packet.kind}`, { pin: 'in' });
          const remixed = withChannels(packet.data, ctx.params.channels);
          const sample = new AudioSample(remixed ?? packet.data);
          try {
            await source?.add(sample);
          } catch (cause) {
            throw ctx.error(`AAC encoding failed: ${cause instanceof Error ? cause.message : String(cause)}`, {
              pin: 'in',
              cause,
            });
          } finally {
            sample.close();
            remixed?.close();
          }
        } finally {
          closePacket(packet);
        }
        await forward(send);
      }
    },
    async flush(io) {
      source?.close();
      await output?.finalize();
      await forward((p) => io.output('out').send(p));
    },
    async close() {
      if (output && output.state !== 'finalized' && output.state !== 'canceled') await output.cancel();
    },
  };
}
