import { z } from 'zod';
import { closePacket, defineNode } from '../../engine';
import { requireKind } from '../media/require-kind';
import { makeAudioData, readPlanar } from '../media/audio-data';

const params = z.strictObject({
  /** Output channel count. */
  channels: z.number().int().min(1).max(8),
});

/** −3 dB: how much of the centre and surround channels goes into each side of a stereo downmix. */
const SURROUND_GAIN = Math.SQRT1_2;

/**
 * Stereo from 5.1 or 7.1 in WAVE order (FL FR FC LFE BL BR [SL SR]), as ITU-R BS.775 mixes it:
 * each side takes its front, the centre and its surrounds at −3 dB; the LFE is left out. The sum
 * is scaled so that a full-scale input cannot clip.
 */
function surroundToStereo(planes: Float32Array[]): Float32Array[] {
  const n = planes[0]?.length ?? 0;
  const [fl, fr, fc, , bl, br, sl, sr] = planes;
  const left = new Float32Array(n);
  const right = new Float32Array(n);
  const sides = planes.length >= 8 ? 2 : 1;
  const scale = 1 / (1 + SURROUND_GAIN * (1 + sides));
  for (let i = 0; i < n; i++) {
    const centre = (fc?.[i] ?? 0) * SURROUND_GAIN;
    const ls = ((bl?.[i] ?? 0) + (sides === 2 ? (sl?.[i] ?? 0) : 0)) * SURROUND_GAIN;
    const rs = ((br?.[i] ?? 0) + (sides === 2 ? (sr?.[i] ?? 0) : 0)) * SURROUND_GAIN;
    left[i] = ((fl?.[i] ?? 0) + centre + ls) * scale;
    right[i] = ((fr?.[i] ?? 0) + centre + rs) * scale;
  }
  return [left, right];
}

/**
 * Maps input planes to `count` output planes: 5.1/7.1 to stereo with a standard downmix, down to
 * mono averages, up from mono copies, else wraps.
 */
export function remix(planes: Float32Array[], count: number): Float32Array[] {
  const n = planes[0]?.length ?? 0;
  if (planes.length === count) return planes;
  if (count === 2 && (planes.length === 6 || planes.length === 8)) return surroundToStereo(planes);
  if (count === 1) {
    const mono = new Float32Array(n);
    for (const plane of planes) for (let i = 0; i < n; i++) mono[i] = (mono[i] ?? 0) + (plane[i] ?? 0) / planes.length;
    return [mono];
  }
  return Array.from({ length: count }, (_, c) => planes[c % planes.length] ?? new Float32Array(n));
}

/** `audio::channels`: up- or down-mixes to a channel count. */
export const channels = defineNode({
  kind: 'audio::channels',
  version: 1,
  description:
    'Up- or down-mixes audio to a channel count: to mono averages all channels, from mono copies it to each.',
  categories: ['audio', 'filters'],
  params,
  inputs: [{ name: 'in', accepts: [{ kind: 'raw_audio' }], cardinality: 'one' }],
  outputs: [{ name: 'out', produces: { kind: 'raw_audio' }, cardinality: 'broadcast' }],
  negotiate: ({ params: p, inputs }) => {
    const upstream = inputs.get('in');
    const rate = upstream?.kind === 'raw_audio' ? upstream.sample_rate : undefined;
    return new Map([['out', { kind: 'raw_audio', channels: p.channels, ...(rate ? { sample_rate: rate } : {}) }]]);
  },
  create: (ctx) => ({
    async run(io) {
      const out = io.output('out');
      for await (const packet of io.input('in')) {
        requireKind(ctx, packet, 'raw_audio');
        if (packet.data.numberOfChannels === ctx.params.channels) {
          await out.send(packet);
          continue;
        }
        let data: AudioData;
        try {
          const audio = readPlanar(packet.data);
          data = makeAudioData({ ...audio, channels: remix(audio.channels, ctx.params.channels) });
        } finally {
          closePacket(packet);
        }
        await out.send({ kind: 'raw_audio', data, meta: packet.meta });
      }
    },
  }),
});
