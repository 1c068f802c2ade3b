/**
 * Makes the tiny test models the ML tests run real transformers.js inference on: the right
 * architecture and files (Hugging Face layout, ONNX graphs with the inputs and outputs
 * transformers.js feeds), random weights from a fixed seed. They test the plumbing (packets,
 * segment times, batching, cancellation, errors), not what a model says. Built here, never
 * downloaded: `tsx scripts/tiny-models.ts DIR`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { onnx as OnnxTypes } from 'onnx-proto';
import onnxProto from 'onnx-proto';

// onnx-proto is CommonJS: its namespace comes as the default export's property.
const { onnx } = onnxProto;
type Tensor = OnnxTypes.ITensorProto;
type ValueInfo = OnnxTypes.IValueInfoProto;
type Attribute = OnnxTypes.IAttributeProto;
type Graph = OnnxTypes.IGraphProto;
type DataType = OnnxTypes.TensorProto.DataType;

/** Model width. */
const D = 16;
/** Whisper's mel bins, input frames (30 s at 10 ms) and encoder frames (20 ms each). */
const MELS = 80;
const FRAMES = 3000;
const ENC_FRAMES = 1500;

/** A fixed-seed generator (mulberry32), so every build of a model is the same. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function floats(name: string, dims: number[], next: () => number, scale: number): Tensor {
  const n = dims.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = (next() * 2 - 1) * scale;
  return { name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: new Uint8Array(data.buffer) };
}

function int64s(name: string, values: number[]): Tensor {
  return {
    name,
    dims: [values.length],
    dataType: onnx.TensorProto.DataType.INT64,
    rawData: new Uint8Array(BigInt64Array.from(values.map(BigInt)).buffer),
  };
}

function value(name: string, type: DataType, dims: (number | string)[]): ValueInfo {
  return {
    name,
    type: {
      tensorType: {
        elemType: type,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

const ints = (name: string, values: number[]): Attribute => ({
  name,
  type: onnx.AttributeProto.AttributeType.INTS,
  ints: values,
});
const int = (name: string, v: number): Attribute => ({ name, type: onnx.AttributeProto.AttributeType.INT, i: v });

function model(graph: Graph): Uint8Array {
  return onnx.ModelProto.encode({
    irVersion: 7,
    producerName: 'weft tiny-models',
    opsetImport: [{ domain: '', version: 13 }],
    graph,
  }).finish();
}

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT64 = onnx.TensorProto.DataType.INT64;

/** The Whisper-style encoder: mel frames → a linear map → 2× average pooling → [batch, 1500, D]. */
function whisperEncoder(next: () => number): Uint8Array {
  return model({
    name: 'encoder',
    input: [value('input_features', FLOAT, ['batch_size', MELS, FRAMES])],
    output: [value('last_hidden_state', FLOAT, ['batch_size', ENC_FRAMES, D])],
    initializer: [floats('w_in', [MELS, D], next, 0.2), int64s('pool_shape', [0, ENC_FRAMES, 2, D])],
    node: [
      { opType: 'Transpose', input: ['input_features'], output: ['t'], attribute: [ints('perm', [0, 2, 1])] },
      { opType: 'MatMul', input: ['t', 'w_in'], output: ['m'] },
      { opType: 'Reshape', input: ['m', 'pool_shape'], output: ['r'] },
      {
        opType: 'ReduceMean',
        input: ['r'],
        output: ['last_hidden_state'],
        attribute: [ints('axes', [2]), int('keepdims', 0)],
      },
    ],
  });
}

/**
 * The decoder: token embedding plus the mean of the encoder states, then the output projection;
 * no key/value cache (transformers.js feeds one new token a step either way).
 */
/** Where the tests keep the tiny models; the number changes whenever the models do, so a stale copy is not used. */
export const TINY_MODELS_DIR = '.weft/test-models-3';

/**
 * What every tiny decoder says: greedy decoding follows this text one byte token at a time (each
 * byte appears once, so the last token tells where it is), then the end token. Short, so the
 * tests stay quick on a loaded machine, and never empty, so voice chains run through to audio.
 */
export const TINY_DECODER_TEXT = 'quick brown';
/** How far the next byte of `TINY_DECODER_TEXT` is raised over the random logits (about ±4). */
const CHAIN_BIAS = 12;

/**
 * A decoder whose next-token logits are (embedding of the token + mean of the encoder states) ·
 * w_out, plus `CHAIN_BIAS` on the token that follows the last one in `TINY_DECODER_TEXT` (any
 * other token starts it; its last byte is followed by `eos`).
 */
function whisperDecoder(next: () => number, vocab: number, eos: number): Uint8Array {
  const chain = [...TINY_DECODER_TEXT].map((c) => c.charCodeAt(0));
  const states = chain.length + 1;
  const stateOf = new Float32Array(vocab * states);
  for (let t = 0; t < vocab; t++) stateOf[t * states + chain.indexOf(t) + 1] = 1;
  const follow = new Float32Array(states * vocab);
  for (let state = 0; state < states; state++) follow[state * vocab + (chain[state] ?? eos)] = CHAIN_BIAS;
  const tensor = (name: string, data: Float32Array, dims: number[]): Tensor => ({
    name,
    dims,
    dataType: onnx.TensorProto.DataType.FLOAT,
    rawData: new Uint8Array(data.buffer),
  });
  return model({
    name: 'decoder',
    input: [
      value('input_ids', INT64, ['batch_size', 'decoder_sequence_length']),
      value('encoder_hidden_states', FLOAT, ['batch_size', 'encoder_sequence_length', D]),
    ],
    output: [value('logits', FLOAT, ['batch_size', 'decoder_sequence_length', vocab])],
    initializer: [
      floats('embed', [vocab, D], next, 1),
      floats('w_out', [D, vocab], next, 1),
      tensor('state_of', stateOf, [vocab, states]),
      tensor('follow', follow, [states, vocab]),
    ],
    node: [
      { opType: 'Gather', input: ['embed', 'input_ids'], output: ['x'], attribute: [int('axis', 0)] },
      {
        opType: 'ReduceMean',
        input: ['encoder_hidden_states'],
        output: ['ctx'],
        attribute: [ints('axes', [1]), int('keepdims', 1)],
      },
      { opType: 'Add', input: ['x', 'ctx'], output: ['h'] },
      { opType: 'MatMul', input: ['h', 'w_out'], output: ['raw'] },
      // Where each token stands in the text, and the bias that says what follows it.
      { opType: 'Gather', input: ['state_of', 'input_ids'], output: ['state'], attribute: [int('axis', 0)] },
      { opType: 'MatMul', input: ['state', 'follow'], output: ['chain'] },
      { opType: 'Add', input: ['raw', 'chain'], output: ['logits'] },
    ],
  });
}

/** GPT-2's byte → printable character map, the alphabet of a byte-level BPE vocabulary. */
function byteChars(): string[] {
  const printable = [
    ...Array.from({ length: 94 }, (_, i) => 33 + i),
    ...Array.from({ length: 12 }, (_, i) => 161 + i),
    ...Array.from({ length: 82 }, (_, i) => 174 + i),
  ];
  const chars: string[] = [];
  let extra = 0;
  for (let b = 0; b < 256; b++) chars[b] = String.fromCharCode(printable.includes(b) ? b : 256 + extra++);
  return chars;
}

/**
 * A Hugging Face `tokenizer.json` over bytes: GPT-2's byte alphabet as a BPE vocabulary with no
 * merges (ids 0–255), then `special` as added tokens (ids from 256), and `postProcessor` if given.
 */
function byteLevelTokenizer(special: string[], postProcessor: unknown = null): unknown {
  const chars = byteChars();
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: special.map((content, i) => ({
      id: 256 + i,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: postProcessor,
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      byte_fallback: false,
      vocab: Object.fromEntries(chars.map((c, i) => [c, i])),
      merges: [],
    },
  };
}

/** Writes a tiny multilingual (en, es) Whisper in `dir`/`name`; returns its folder. */
export function makeTinyWhisper(dir: string, name = 'whisper-tiny-random'): string {
  const root = join(dir, name);
  mkdirSync(join(root, 'onnx'), { recursive: true });
  const special = [
    '<|endoftext|>',
    '<|startoftranscript|>',
    '<|en|>',
    '<|es|>',
    '<|translate|>',
    '<|transcribe|>',
    '<|startoflm|>',
    '<|startofprev|>',
    '<|nocaptions|>',
    '<|notimestamps|>',
    ...Array.from({ length: 1501 }, (_, i) => `<|${(i * 0.02).toFixed(2)}|>`),
  ];
  const id = (token: string) => 256 + special.indexOf(token);
  const vocab = 256 + special.length;
  const next = random(1234);
  writeFileSync(join(root, 'onnx', 'encoder_model.onnx'), whisperEncoder(next));
  writeFileSync(join(root, 'onnx', 'decoder_model_merged.onnx'), whisperDecoder(next, vocab, id('<|endoftext|>')));
  const json = (file: string, data: unknown) => writeFileSync(join(root, file), JSON.stringify(data, null, 1));
  json('tokenizer.json', byteLevelTokenizer(special));
  json('tokenizer_config.json', {
    tokenizer_class: 'WhisperTokenizer',
    bos_token: '<|endoftext|>',
    eos_token: '<|endoftext|>',
    unk_token: '<|endoftext|>',
    pad_token: '<|endoftext|>',
    model_max_length: 1024,
    clean_up_tokenization_spaces: true,
  });
  const tokens = {
    decoder_start_token_id: id('<|startoftranscript|>'),
    eos_token_id: id('<|endoftext|>'),
    pad_token_id: id('<|endoftext|>'),
    bos_token_id: id('<|endoftext|>'),
  };
  json('config.json', {
    model_type: 'whisper',
    is_encoder_decoder: true,
    architectures: ['WhisperForConditionalGeneration'],
    d_model: D,
    encoder_layers: 1,
    decoder_layers: 1,
    encoder_attention_heads: 1,
    decoder_attention_heads: 1,
    num_mel_bins: MELS,
    vocab_size: vocab,
    max_source_positions: ENC_FRAMES,
    max_target_positions: 448,
    ...tokens,
  });
  json('generation_config.json', {
    ...tokens,
    max_length: 448,
    no_timestamps_token_id: id('<|notimestamps|>'),
    is_multilingual: true,
    lang_to_id: { '<|en|>': id('<|en|>'), '<|es|>': id('<|es|>') },
    task_to_id: { translate: id('<|translate|>'), transcribe: id('<|transcribe|>') },
    suppress_tokens: [],
    begin_suppress_tokens: [id('<|endoftext|>')],
    max_initial_timestamp_index: 50,
    alignment_heads: [[0, 0]],
    forced_decoder_ids: null,
  });
  json('preprocessor_config.json', {
    feature_extractor_type: 'WhisperFeatureExtractor',
    feature_size: MELS,
    sampling_rate: 16000,
    hop_length: 160,
    chunk_length: 30,
    n_fft: 400,
    n_samples: 480000,
    nb_max_frames: FRAMES,
    padding_side: 'right',
    padding_value: 0.0,
    return_attention_mask: false,
    processor_class: 'WhisperProcessor',
  });
  return root;
}

/** The Marian-style encoder: token embeddings, masked by the attention mask. */
function marianEncoder(next: () => number, vocab: number): Uint8Array {
  return model({
    name: 'encoder',
    input: [
      value('input_ids', INT64, ['batch_size', 'encoder_sequence_length']),
      value('attention_mask', INT64, ['batch_size', 'encoder_sequence_length']),
    ],
    output: [value('last_hidden_state', FLOAT, ['batch_size', 'encoder_sequence_length', D])],
    initializer: [floats('embed', [vocab, D], next, 1), int64s('last_axis', [-1])],
    node: [
      { opType: 'Gather', input: ['embed', 'input_ids'], output: ['x'], attribute: [int('axis', 0)] },
      { opType: 'Unsqueeze', input: ['attention_mask', 'last_axis'], output: ['mask3'] },
      { opType: 'Cast', input: ['mask3'], output: ['maskf'], attribute: [int('to', FLOAT)] },
      { opType: 'Mul', input: ['x', 'maskf'], output: ['last_hidden_state'] },
    ],
  });
}

/** Writes a tiny OPUS-MT–style (Marian) translation model in `dir`/`name`; returns its folder. */
export function makeTinyMarian(dir: string, name = 'opus-mt-tiny-random'): string {
  const root = join(dir, name);
  mkdirSync(join(root, 'onnx'), { recursive: true });
  const special = ['</s>', '<unk>', '<pad>'];
  const vocab = 256 + special.length;
  const [eos, unk, pad] = [256, 257, 258];
  const next = random(4321);
  writeFileSync(join(root, 'onnx', 'encoder_model.onnx'), marianEncoder(next, vocab));
  writeFileSync(join(root, 'onnx', 'decoder_model_merged.onnx'), whisperDecoder(next, vocab, eos));
  const json = (file: string, data: unknown) => writeFileSync(join(root, file), JSON.stringify(data, null, 1));
  json(
    'tokenizer.json',
    byteLevelTokenizer(special, {
      type: 'TemplateProcessing',
      single: [{ Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '</s>', type_id: 0 } }],
      pair: [
        { Sequence: { id: 'A', type_id: 0 } },
        { Sequence: { id: 'B', type_id: 0 } },
        { SpecialToken: { id: '</s>', type_id: 0 } },
      ],
      special_tokens: { '</s>': { id: '</s>', ids: [eos], tokens: ['</s>'] } },
    }),
  );
  json('tokenizer_config.json', {
    tokenizer_class: 'MarianTokenizer',
    eos_token: '</s>',
    unk_token: '<unk>',
    pad_token: '<pad>',
    model_max_length: 512,
  });
  const tokens = { decoder_start_token_id: pad, eos_token_id: eos, pad_token_id: pad, forced_eos_token_id: eos };
  json('config.json', {
    model_type: 'marian',
    architectures: ['MarianMTModel'],
    is_encoder_decoder: true,
    d_model: D,
    encoder_layers: 1,
    decoder_layers: 1,
    encoder_attention_heads: 1,
    decoder_attention_heads: 1,
    vocab_size: vocab,
    max_position_embeddings: 512,
    unk_token_id: unk,
    ...tokens,
  });
  json('generation_config.json', { ...tokens, max_length: 64, num_beams: 1, bad_words_ids: [[pad]] });
  return root;
}

/** Writes a tiny NLLB-style (M2M100) translation model, languages eng_Latn and spa_Latn; returns its folder. */
export function makeTinyNllb(dir: string, name = 'nllb-tiny-random'): string {
  const root = join(dir, name);
  mkdirSync(join(root, 'onnx'), { recursive: true });
  const special = ['<s>', '<pad>', '</s>', '<unk>', 'eng_Latn', 'spa_Latn'];
  const vocab = 256 + special.length;
  const id = (token: string) => 256 + special.indexOf(token);
  const next = random(2468);
  writeFileSync(join(root, 'onnx', 'encoder_model.onnx'), marianEncoder(next, vocab));
  writeFileSync(join(root, 'onnx', 'decoder_model_merged.onnx'), whisperDecoder(next, vocab, id('</s>')));
  const json = (file: string, data: unknown) => writeFileSync(join(root, file), JSON.stringify(data, null, 1));
  json(
    'tokenizer.json',
    byteLevelTokenizer(special, {
      type: 'TemplateProcessing',
      single: [
        { SpecialToken: { id: 'eng_Latn', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '</s>', type_id: 0 } },
      ],
      pair: [
        { SpecialToken: { id: 'eng_Latn', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { Sequence: { id: 'B', type_id: 0 } },
        { SpecialToken: { id: '</s>', type_id: 0 } },
      ],
      special_tokens: {
        eng_Latn: { id: 'eng_Latn', ids: [id('eng_Latn')], tokens: ['eng_Latn'] },
        spa_Latn: { id: 'spa_Latn', ids: [id('spa_Latn')], tokens: ['spa_Latn'] },
        '</s>': { id: '</s>', ids: [id('</s>')], tokens: ['</s>'] },
      },
    }),
  );
  json('tokenizer_config.json', {
    tokenizer_class: 'NllbTokenizer',
    bos_token: '<s>',
    eos_token: '</s>',
    pad_token: '<pad>',
    unk_token: '<unk>',
    src_lang: 'eng_Latn',
    model_max_length: 1024,
  });
  const tokens = {
    decoder_start_token_id: id('</s>'),
    eos_token_id: id('</s>'),
    pad_token_id: id('<pad>'),
    bos_token_id: id('<s>'),
  };
  json('config.json', {
    model_type: 'm2m_100',
    architectures: ['M2M100ForConditionalGeneration'],
    is_encoder_decoder: true,
    d_model: D,
    encoder_layers: 1,
    decoder_layers: 1,
    encoder_attention_heads: 1,
    decoder_attention_heads: 1,
    vocab_size: vocab,
    max_position_embeddings: 1024,
    ...tokens,
  });
  json('generation_config.json', { ...tokens, max_length: 64, num_beams: 1 });
  return root;
}

/** Audio samples each input token becomes in the tiny VITS (25 ms at 16 kHz). */
export const TINY_VITS_SAMPLES_PER_TOKEN = 400;

/** The VITS-style text-to-waveform graph: each token's embedding is its stretch of waveform (tanh-bounded). */
function vitsModel(next: () => number, vocab: number): Uint8Array {
  return model({
    name: 'vits',
    input: [
      value('input_ids', INT64, ['batch_size', 'sequence_length']),
      value('attention_mask', INT64, ['batch_size', 'sequence_length']),
    ],
    output: [value('waveform', FLOAT, ['batch_size', 'num_samples'])],
    initializer: [
      floats('embed', [vocab, TINY_VITS_SAMPLES_PER_TOKEN], next, 1),
      int64s('flat', [0, -1]),
      int64s('last_axis', [-1]),
    ],
    node: [
      { opType: 'Gather', input: ['embed', 'input_ids'], output: ['x'], attribute: [int('axis', 0)] },
      { opType: 'Unsqueeze', input: ['attention_mask', 'last_axis'], output: ['mask3'] },
      { opType: 'Cast', input: ['mask3'], output: ['maskf'], attribute: [int('to', FLOAT)] },
      { opType: 'Mul', input: ['x', 'maskf'], output: ['masked'] },
      { opType: 'Reshape', input: ['masked', 'flat'], output: ['r'] },
      { opType: 'Tanh', input: ['r'], output: ['waveform'] },
    ],
  });
}

/** Writes a tiny VITS (MMS-TTS–style) text-to-speech model in `dir`/`name`; returns its folder. */
export function makeTinyVits(dir: string, name = 'vits-tiny-random'): string {
  const root = join(dir, name);
  mkdirSync(join(root, 'onnx'), { recursive: true });
  const vocab = 256 + 1;
  writeFileSync(join(root, 'onnx', 'model.onnx'), vitsModel(random(99), vocab));
  const json = (file: string, data: unknown) => writeFileSync(join(root, file), JSON.stringify(data, null, 1));
  json('tokenizer.json', byteLevelTokenizer(['<pad>']));
  json('tokenizer_config.json', { tokenizer_class: 'VitsTokenizer', pad_token: '<pad>', model_max_length: 4096 });
  json('config.json', { model_type: 'vits', architectures: ['VitsModel'], sampling_rate: 16000, vocab_size: vocab });
  return root;
}

/** Samples the tiny Kokoro makes per token (10 ms at 24 kHz). */
const TINY_KOKORO_SAMPLES_PER_TOKEN = 240;
/** Kokoro's style vector size, and the number of style rows a voice file holds (one per token count). */
const KOKORO_STYLE = 256;
const KOKORO_STYLE_ROWS = 510;

/** A StyleTTS 2–shaped graph: input_ids, style and speed in, a waveform out (the style shifts every sample, so voices differ). */
function kokoroModel(next: () => number, vocab: number): Uint8Array {
  return model({
    name: 'kokoro',
    input: [
      value('input_ids', INT64, [1, 'sequence_length']),
      value('style', FLOAT, [1, KOKORO_STYLE]),
      value('speed', FLOAT, [1]),
    ],
    output: [value('waveform', FLOAT, ['num_samples'])],
    initializer: [floats('embed', [vocab, TINY_KOKORO_SAMPLES_PER_TOKEN], next, 1), int64s('flat', [-1])],
    node: [
      { opType: 'Gather', input: ['embed', 'input_ids'], output: ['x'], attribute: [int('axis', 0)] },
      { opType: 'ReduceMean', input: ['style'], output: ['s'], attribute: [ints('axes', [1]), int('keepdims', 1)] },
      { opType: 'Add', input: ['x', 's'], output: ['styled'] },
      { opType: 'Mul', input: ['styled', 'speed'], output: ['paced'] },
      { opType: 'Reshape', input: ['paced', 'flat'], output: ['r'] },
      { opType: 'Tanh', input: ['r'], output: ['waveform'] },
    ],
  });
}

/** The voices the tiny Kokoro has (kokoro-js's names); each a file of style rows. */
export const TINY_KOKORO_VOICES = ['af_heart', 'am_adam'];

/** Writes a tiny Kokoro (onnx-community's Kokoro-82M-ONNX layout, with two voices) in `dir`/`name`; returns its folder. */
export function makeTinyKokoro(dir: string, name = 'kokoro-tiny-random'): string {
  const root = join(dir, name);
  mkdirSync(join(root, 'onnx'), { recursive: true });
  mkdirSync(join(root, 'voices'), { recursive: true });
  const vocab = 256 + 1;
  writeFileSync(join(root, 'onnx', 'model.onnx'), kokoroModel(random(77), vocab));
  TINY_KOKORO_VOICES.forEach((voice, i) => {
    const next = random(500 + i);
    const rows = new Float32Array(KOKORO_STYLE_ROWS * KOKORO_STYLE);
    // Each voice leans one way, so their audio differs (the style's mean shifts every sample).
    for (let j = 0; j < rows.length; j++) rows[j] = (next() * 2 - 1) * 0.1 + (i % 2 === 0 ? 0.3 : -0.3);
    writeFileSync(join(root, 'voices', `${voice}.bin`), new Uint8Array(rows.buffer));
  });
  const json = (file: string, data: unknown) => writeFileSync(join(root, file), JSON.stringify(data, null, 1));
  json('tokenizer.json', byteLevelTokenizer(['$']));
  json('tokenizer_config.json', { tokenizer_class: 'PreTrainedTokenizer', model_max_length: 512 });
  json('config.json', { model_type: 'style_text_to_speech_2', architectures: ['StyleTextToSpeech2Model'] });
  return root;
}

if (process.argv[1]?.endsWith('tiny-models.ts')) {
  const dir = process.argv[2] ?? TINY_MODELS_DIR;
  console.log(makeTinyWhisper(dir));
  console.log(makeTinyMarian(dir));
  console.log(makeTinyVits(dir));
  console.log(makeTinyNllb(dir));
  console.log(makeTinyKokoro(dir));
}
