/**
 * Translation with transformers.js in a Worker shared by the session (the model loads once):
 * StreamKit's `plugin::native::helsinki` (OPUS-MT / Marian: a model per language pair) and
 * `plugin::native::nllb` (one model, NLLB language codes). `Text` or `Transcription` in, `Text`
 * out, one packet per packet, at its time. Models come from the host's `models/` folder.
 */
import { z } from 'zod';
import type { AnyNodeDefinition, NodeContext } from '../../engine';
import { closePacket, defineNode } from '../../engine';
import type { ModelDeviceChoice } from './model-files';
import type { ModelWorker } from './model-worker';
import { deviceChoice, sharedModelWorker } from './model-worker';
import type { TranslateApi } from './translate.worker';

/** The model folder a StreamKit `model_dir`/`model_path` names, under the host's `models/`. */
export function modelFolder(path: string): string {
  return path.replace(/^(?:\.\/)?models\//, '').replace(/\/+$/, '');
}

function sharedTranslator(
  ctx: NodeContext<unknown>,
  modelPath: string,
  device: ModelDeviceChoice,
): Promise<ModelWorker<TranslateApi, object>> {
  const folder = modelFolder(modelPath);
  return sharedModelWorker<TranslateApi, object>(ctx, {
    device,
    key: 'translate',
    folder,
    spawn: () =>
      new Worker(new URL('./translate.worker.ts', import.meta.url), { type: 'module', name: 'weft-translate' }),
    what: `the translation model 'models/${folder}'`,
  });
}

/** A translation node kind: `model` names the folder; `languages` the codes it passes (NLLB). */
function translationNode<P extends { max_length: number; device?: string | undefined }>(spec: {
  kind: string;
  description: string;
  params: z.ZodType<P>;
  model: (p: P) => string;
  languages: (p: P) => { srcLang?: string; tgtLang?: string };
}): AnyNodeDefinition {
  return defineNode({
    kind: spec.kind,
    version: 1,
    description: spec.description,
    categories: ['ml', 'text'],
    params: spec.params,
    inputs: [{ name: 'in', accepts: [{ kind: 'text' }, { kind: 'transcription' }], cardinality: 'one' }],
    outputs: [{ name: 'out', produces: { kind: 'text' }, cardinality: 'broadcast' }],
    // The model loads while the node is initializing, which the stall watchdog waits for.
    create: async (ctx) => {
      const { api } = await sharedTranslator(ctx, spec.model(ctx.params), deviceChoice(ctx.params.device));
      return {
        async run(io) {
          const out = io.output('out');
          for await (const packet of io.input('in')) {
            if (packet.kind !== 'text' && packet.kind !== 'transcription') {
              closePacket(packet);
              throw ctx.error(`expects text or a transcription, got a ${packet.kind} packet`, { pin: 'in' });
            }
            const source = packet.text.trim();
            if (source === '') continue;
            const text = await api.translate(source, {
              maxNewTokens: ctx.params.max_length,
              ...spec.languages(ctx.params),
            });
            await out.send({ kind: 'text', text, meta: packet.meta });
          }
        },
      };
    },
  });
}

/** StreamKit's device param: `cpu` is WebAssembly, `cuda` WebGPU; unset or `auto`, WebGPU where there is a hardware adapter. */
const DEVICE = z.enum(['cpu', 'cuda', 'auto']).optional();

/** StreamKit's `plugin::native::helsinki`: an OPUS-MT model for one language pair. */
export const helsinki = translationNode({
  kind: 'plugin::native::helsinki',
  description:
    'Translates text or transcriptions with an OPUS-MT (Marian) model for one language pair, on transformers.js (WebGPU or WebAssembly).',
  params: z.strictObject({
    /** The model folder under the host's models (a transformers.js OPUS-MT export, e.g. `models/opus-mt-en-es`). */
    model_dir: z.string().min(1).default('models/opus-mt-en-es'),
    /** The pair is the model's; these say which it is (StreamKit's en ↔ es). */
    source_language: z
      .string()
      .regex(/^[a-z]{2,3}$/, "a language code such as 'en'")
      .default('en'),
    target_language: z
      .string()
      .regex(/^[a-z]{2,3}$/, "a language code such as 'es'")
      .default('es'),
    device: DEVICE,
    device_index: z.number().int().min(0).max(7).default(0),
    /** Most tokens a translation may have. */
    max_length: z.number().int().min(1).max(2048).default(512),
    warmup: z.boolean().default(false),
  }),
  model: (p) => p.model_dir,
  languages: () => ({}),
});

/** StreamKit's NLLB folder names (CTranslate2 exports) map onto transformers.js folders without the suffix. */
export function nllbFolder(path: string): string {
  return modelFolder(path).replace(/-ct2(?:-(?:int8|float16|int8_float16))?$/, '');
}

/** StreamKit's `plugin::native::nllb`: one NLLB model, languages by NLLB code (`eng_Latn`). */
export const nllb = translationNode({
  kind: 'plugin::native::nllb',
  description:
    'Translates text or transcriptions with an NLLB model (NLLB language codes such as eng_Latn, spa_Latn), on transformers.js (WebGPU or WebAssembly).',
  params: z.strictObject({
    /** The model folder under the host's models; StreamKit's `-ct2-int8` name maps to the folder without it. */
    model_path: z.string().default('models/nllb-200-distilled-600M-ct2-int8'),
    source_language: z
      .string()
      .regex(/^[a-z]{3}_[A-Z][a-z]{3}$/, "an NLLB code such as 'eng_Latn'")
      .default('eng_Latn'),
    target_language: z
      .string()
      .regex(/^[a-z]{3}_[A-Z][a-z]{3}$/, "an NLLB code such as 'spa_Latn'")
      .default('spa_Latn'),
    /** Accepted for StreamKit; the model runs greedy decoding here. */
    beam_size: z.number().int().min(1).max(10).default(1),
    /** Accepted for StreamKit (CTranslate2's precision); the model folder's ONNX files run as exported (fp32). */
    compute_type: z.enum(['auto', 'int8', 'int16', 'float16', 'float32']).default('int8'),
    num_threads: z.number().int().min(0).max(32).default(0),
    device: DEVICE,
    device_index: z.number().int().min(0).max(7).default(0),
    /** Most tokens a translation may have (Weft's). */
    max_length: z.number().int().min(1).max(1024).default(256),
  }),
  model: (p) => nllbFolder(p.model_path),
  languages: (p) => ({ srcLang: p.source_language, tgtLang: p.target_language }),
});
