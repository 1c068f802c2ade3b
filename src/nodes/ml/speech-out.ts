/**
 * Sending synthesized speech: mono samples as audio packets of a fixed size, timestamps following
 * on; and the text-to-speech nodes' loop, sentence by sentence.
 */
import type { Micros, NodeContext, NodeIO } from '../../engine';
import { closePacket, micros } from '../../engine';
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

/**
 * A text-to-speech node's run: each Text or Transcription on `in` that is not blank (joined with
 * the next while shorter than `minLength`, StreamKit's sentence batching) is spoken by `speak` and sent on `out`,
 * at its packet's time or after the speech before it.
 */
export async function speakSentences(
  ctx: NodeContext<unknown>,
  io: NodeIO,
  minLength: number,
  speak: (text: string) => Promise<{ samples: Float32Array; rate: number }>,
): Promise<void> {
  const out = io.output('out');
  let next: Micros = micros(0);
  let pending = '';
  const say = async (text: string, at: number): Promise<void> => {
    const { samples, rate } = await speak(text);
    next = await sendSpeech(out, samples, rate, micros(Math.max(next, at)));
  };
  for await (const packet of io.input('in')) {
    if (packet.kind !== 'text' && packet.kind !== 'transcription') {
      closePacket(packet);
      throw ctx.error(`expects text, got a ${packet.kind} packet`, { pin: 'in' });
    }
    pending = `${pending} ${packet.text}`.trim();
    if (pending === '' || pending.length < minLength) continue;
    const text = pending;
    pending = '';
    await say(text, packet.meta.timestamp ?? 0);
  }
  if (pending !== '') await say(pending, 0);
}
