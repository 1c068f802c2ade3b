import { z } from 'zod';
import { closePacket, defineNode, micros } from '../../engine';
import { requireKind } from '../media/require-kind';
import { makeAudioData, readPlanar } from '../media/audio-data';

const params = z.strictObject({
  /** Linear factor: 2 doubles the amplitude (+6 dB). Live-tunable. */
  gain: z.number().min(0).max(4).default(1),
});

/** `audio::gain`: multiplies every sample by a linear factor. */
export const gain = defineNode({
  kind: 'audio::gain',
  version: 1,
  description:
    'Multiplies every sample by a linear volume factor (0–4; 2 = +6 dB). The factor can be changed while running.',
  categories: ['audio', 'filters'],
  params,
  liveParams: ['gain'],
  inputs: [{ name: 'in', accepts: [{ kind: 'raw_audio' }], cardinality: 'one' }],
  outputs: [{ name: 'out', produces: { kind: 'passthrough' }, cardinality: 'broadcast' }],
  create(ctx) {
    let factor = ctx.params.gain;
    return {
      tune: (next) => {
        factor = next.gain;
      },
      async run(io) {
        const out = io.output('out');
        for await (const packet of io.input('in')) {
          requireKind(ctx, packet, 'raw_audio');
          if (factor === 1) {
            await out.send(packet);
            continue;
          }
          let data: AudioData;
          try {
            const audio = readPlanar(packet.data);
            for (const plane of audio.channels)
              for (let i = 0; i < plane.length; i++) plane[i] = (plane[i] ?? 0) * factor;
            data = makeAudioData(audio);
          } finally {
            closePacket(packet);
          }
          await out.send({ kind: 'raw_audio', data, meta: { ...packet.meta, timestamp: micros(data.timestamp) } });
        }
      },
    };
  },
});
