/**
 * `plugin::native::piper` (StreamKit's kind and params): text to speech with a VITS model (Piper's
 * architecture; MMS-TTS and other transformers.js VITS exports) in a Worker shared by the session
 * (the model loads once). Each text packet (a sentence from `core::text_chunker`) becomes mono audio
 * at the model's rate, timestamps following on. The model folder comes from the host's `models/`.
 */
import { z } from 'zod';
import type { NodeContext } from '../../engine';
import { defineNode } from '../../engine';
import { speakSentences } from './speech-out';
import { modelFolder } from './translate';
import type { ModelWorker } from './model-worker';
import { deviceChoice, sharedModelWorker } from './model-worker';
import type { VitsApi } from './vits.worker';

const params = z.strictObject({
  /** A transformers.js VITS export under the host's models (StreamKit names a sherpa-onnx Piper folder here). */
  model_dir: z.string().min(1),
  /** Accepted for StreamKit; the single-speaker exports transformers.js runs have one voice. */
  speaker_id: z.number().int().min(0).max(903).default(0),
  speed: z.number().min(0.5).max(2).default(1),
  noise_scale: z.number().min(0).max(2).default(0.667),
  noise_scale_w: z.number().min(0).max(2).default(0.8),
  length_scale: z.number().min(0.1).max(5).default(1),
  num_threads: z.number().int().min(1).max(16).default(4),
  /** Where the model runs (sherpa-onnx's providers; `cuda`/`tensorrt` mean WebGPU); unset, WebGPU where there is a hardware adapter. */
  execution_provider: z.enum(['auto', 'cpu', 'cuda', 'tensorrt']).optional(),
  /** Shorter texts wait to be joined with the next (StreamKit's sentence batching). */
  min_sentence_length: z.number().int().min(0).max(1000).default(10),
});
type Params = z.infer<typeof params>;

function sharedVits(ctx: NodeContext<Params>): Promise<ModelWorker<VitsApi, object>> {
  const folder = modelFolder(ctx.params.model_dir);
  return sharedModelWorker<VitsApi, object>(ctx, {
    device: deviceChoice(ctx.params.execution_provider),
    key: 'vits',
    folder,
    spawn: () => new Worker(new URL('./vits.worker.ts', import.meta.url), { type: 'module', name: 'weft-vits' }),
    what: `the TTS model 'models/${folder}'`,
  });
}

export const piper = defineNode({
  kind: 'plugin::native::piper',
  version: 1,
  description:
    'Text to speech with a VITS model (transformers.js, WebGPU or WebAssembly): each sentence becomes mono audio at the model’s rate.',
  categories: ['ml', 'audio'],
  params,
  inputs: [{ name: 'in', accepts: [{ kind: 'text' }, { kind: 'transcription' }], cardinality: 'one' }],
  outputs: [{ name: 'out', produces: { kind: 'raw_audio' }, cardinality: 'broadcast' }],
  // The model loads while the node is initializing, which the stall watchdog waits for.
  create: async (ctx) => {
    const { api } = await sharedVits(ctx);
    return { run: (io) => speakSentences(ctx, io, ctx.params.min_sentence_length, (text) => api.speak(text)) };
  },
});
