/**
 * `tts::espeak`: text to speech with eSpeak NG compiled to WebAssembly, a voice that needs no
 * model and always works. Each text packet (a sentence from `core::text_chunker`, say) is spoken
 * in a Worker shared by the session's eSpeak nodes, and comes out as 22.05 kHz mono audio in
 * chunks, its timestamps following on from the previous sentence (or from the text's own time,
 * when that is later: a live caption spoken as it arrives).
 */
import { wrap } from 'comlink';
import type { Remote } from 'comlink';
import { z } from 'zod';
import type { NodeContext } from '../../engine';
import { defineNode } from '../../engine';
import type { EspeakApi } from './espeak.worker';
import { speakSentences } from './speech-out';

/** eSpeak NG's output rate. */
const RATE = 22_050;

const params = z.strictObject({
  /** An eSpeak NG voice: a language code with an optional variant (`en-us`, `de`, `fr+f3`). */
  voice: z
    .string()
    .regex(/^[a-z]{2,3}(?:-[a-z0-9]{1,8})*(?:\+[a-z0-9]{1,8})?$/i, "an eSpeak voice such as 'en-us' or 'fr+f3'")
    .default('en-us'),
  /** Words a minute. */
  speed: z.number().int().min(80).max(450).default(175),
  pitch: z.number().int().min(0).max(99).default(50),
});
type Params = z.infer<typeof params>;

function sharedEspeak(ctx: NodeContext<Params>): Promise<{ api: Remote<EspeakApi>; worker: Worker }> {
  return ctx.shared(
    'espeak-ng',
    () => {
      const worker = new Worker(new URL('./espeak.worker.ts', import.meta.url), {
        type: 'module',
        name: 'weft-espeak',
      });
      return Promise.resolve({ api: wrap<EspeakApi>(worker), worker });
    },
    (espeak) => espeak.worker.terminate(),
  );
}

export const espeak = defineNode({
  kind: 'tts::espeak',
  version: 1,
  description:
    'Speaks text with eSpeak NG (WebAssembly, no model needed): each text packet becomes 22.05 kHz mono audio, sentence after sentence.',
  categories: ['ml', 'audio', 'sources'],
  params,
  inputs: [{ name: 'in', accepts: [{ kind: 'text' }, { kind: 'transcription' }], cardinality: 'one' }],
  outputs: [{ name: 'out', produces: { kind: 'raw_audio' }, cardinality: 'broadcast' }],
  create: (ctx) => ({
    async run(io) {
      const { api } = await sharedEspeak(ctx);
      const p = ctx.params;
      await speakSentences(ctx, io, 0, async (text) => {
        try {
          return { samples: await api.speak(text, { voice: p.voice, wpm: p.speed, pitch: p.pitch }), rate: RATE };
        } catch (error) {
          throw ctx.error(`could not speak '${text.slice(0, 40)}': ${(error as Error).message}`, { cause: error });
        }
      });
    },
  }),
});
