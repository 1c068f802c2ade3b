/** Sending synthesized speech: mono samples as audio packets of a fixed size, timestamps following on. */
import type { Micros, NodeIO } from '../../engine';
import { micros } from '../../engine';
import { framesToMicros, makeAudioData } from '../media/audio-data';

/** Samples per output packet (about 46 ms at 22.05 kHz, 64 ms at 16 kHz). */
const CHUNK_FRAMES = 1024;

/** Sends `samples` (mono, `rate` Hz) on `out` from `at`; resolves with the time after the last one. */
export async function sendSpeech(
  out: ReturnType<NodeIO['output']>,
  samples: Float32Array,
  rate: number,
  at: Micros,
): Promise<Micros> {
  let next = at;
  for (let i = 0; i < samples.length; i += CHUNK_FRAMES) {
    const plane = samples.slice(i, i + CHUNK_FRAMES);
    const duration = framesToMicros(plane.length, rate);
    await out.send({
      kind: 'raw_audio',
      data: makeAudioData({ sampleRate: rate, channels: [plane], timestamp: next }),
      meta: { timestamp: next, duration },
    });
    next = micros(next + duration);
  }
  return next;
}
