/**
 * End to end: StreamKit's speech-to-text shape (Ogg → Opus → 16 kHz → plugin::native::whisper →
 * JSON lines) as a server job, with a models folder (`--models`) holding a tiny random-weight
 * Whisper under the name StreamKit's `models/ggml-tiny.en-q5_1.bin` maps to. The words are
 * random; the plumbing is checked: one transcription per spoken phrase, at its time. Without the
 * folder, the job fails naming the node, the model and where Weft looks.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTinyKokoro, makeTinyMarian, makeTinyNllb, makeTinyVits, makeTinyWhisper } from '../../scripts/tiny-models';
import { codecs, probeBytes, testServer } from './support';

const STT = `mode: oneshot
steps:
  - kind: streamkit::http_input
  - kind: containers::ogg::demuxer
  - kind: audio::opus::decoder
  - kind: audio::resampler
    params: { chunk_frames: 960, output_frame_size: 960, target_sample_rate: 16000 }
  - kind: plugin::native::whisper
    params:
      model_path: models/ggml-tiny.en-q5_1.bin
      language: en
      vad_model_path: models/silero_vad.onnx
      vad_threshold: 0.5
      min_silence_duration_ms: 700
      max_segment_duration_secs: 30.0
      max_new_tokens: 8
  - kind: core::json_serialize
    params: { pretty: false, newline_delimited: true }
  - kind: streamkit::http_output
    params: { content_type: application/json }
`;

let server: Awaited<ReturnType<typeof testServer>>;
let bare: Awaited<ReturnType<typeof testServer>>;
let speech: Uint8Array<ArrayBuffer>;
let modelsDir: string;

beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'weft-stt-'));
  const models = join(dir, 'models');
  modelsDir = models;
  makeTinyWhisper(models, 'whisper-tiny.en');
  makeTinyMarian(models, 'opus-mt-en-es');
  makeTinyNllb(models, 'nllb-200-distilled-600M');
  makeTinyVits(models, 'mms-tts-spa');
  makeTinyKokoro(models, 'Kokoro-82M-v1.0-ONNX');
  // Two phrases with 1.5 s of silence before, between and after, as Ogg/Opus.
  const a = join(dir, 'a.wav');
  const b = join(dir, 'b.wav');
  execFileSync('espeak-ng', ['-v', 'en-us', '-w', a, '--', 'Hello from the server.']);
  execFileSync('espeak-ng', ['-v', 'en-us', '-w', b, '--', 'This is the second phrase.']);
  const ogg = join(dir, 'speech.ogg');
  execFileSync('ffmpeg', [
    '-v',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-t',
    '1.5',
    '-i',
    'anullsrc=r=22050:cl=mono',
    '-i',
    a,
    '-f',
    'lavfi',
    '-t',
    '1.5',
    '-i',
    'anullsrc=r=22050:cl=mono',
    '-i',
    b,
    '-f',
    'lavfi',
    '-t',
    '1.5',
    '-i',
    'anullsrc=r=22050:cl=mono',
    '-filter_complex',
    '[0][1][2][3][4]concat=n=5:v=0:a=1',
    '-c:a',
    'libopus',
    '-ar',
    '48000',
    ogg,
  ]);
  speech = Uint8Array.from(await readFile(ogg));
  server = await testServer({ modelsDir: models });
  bare = await testServer();
}, 60_000);
afterAll(async () => {
  await bare?.close();
  await server?.close();
});

async function transcribe(base: string, config = STT): Promise<{ status: number; body: string }> {
  const form = new FormData();
  form.append('config', config);
  form.append('media', new Blob([speech]), 'speech.ogg');
  const response = await fetch(`${base}/api/v1/process`, { method: 'POST', body: form });
  return { status: response.status, body: await response.text() };
}

describe('plugin::native::whisper on the server', () => {
  it('transcribes each spoken phrase with the models folder’s Whisper, at its time', async () => {
    const { status, body } = await transcribe(server.url);
    expect(status, body).toBe(200);
    const lines = body
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { text: string; segments: { start_time_ms: number; end_time_ms: number }[] });
    expect(lines).toHaveLength(2);
    // Speech starts after 1.5 s of silence, and the second phrase after another 1.5 s.
    expect(lines[0]?.segments[0]?.start_time_ms).toBeGreaterThan(1300);
    expect(lines[0]?.segments[0]?.start_time_ms).toBeLessThan(1800);
    expect(lines[1]?.segments[0]?.start_time_ms).toBeGreaterThan((lines[0]?.segments[0]?.end_time_ms ?? 0) + 1000);
    for (const line of lines) expect(typeof line.text).toBe('string');
  }, 120_000);

  it('models.json in the models folder maps StreamKit’s default Whisper name onto the folder there', async () => {
    const config = STT.replace('models/ggml-tiny.en-q5_1.bin', 'models/ggml-base.en-q5_1.bin');
    const missing = await transcribe(server.url, config);
    expect(missing.body).toMatch(/the Whisper model 'models\/whisper-base\.en'/);
    await writeFile(
      join(modelsDir, 'models.json'),
      JSON.stringify({ aliases: { 'whisper-base.en': 'whisper-tiny.en' } }),
    );
    try {
      const { status, body } = await transcribe(server.url, config);
      expect(status, body).toBe(200);
      expect(body.trim().split('\n')).toHaveLength(2);
    } finally {
      await rm(join(modelsDir, 'models.json'));
    }
  }, 120_000);

  it('translates each sentence with StreamKit’s helsinki node (models/opus-mt-en-es from the folder)', async () => {
    const form = new FormData();
    form.append(
      'config',
      `mode: oneshot
steps:
  - kind: streamkit::http_input
  - kind: core::text_chunker
    params: { split_mode: sentences }
  - kind: plugin::native::helsinki
    params: { model_dir: models/opus-mt-en-es, source_language: en, target_language: es, max_length: 8 }
  - kind: core::json_serialize
    params: { newline_delimited: true }
  - kind: streamkit::http_output
`,
    );
    form.append('media', new Blob(['The first sentence. The second one. And a third.']), 'text.txt');
    const response = await fetch(`${server.url}/api/v1/process`, { method: 'POST', body: form });
    const body = await response.text();
    expect(response.status, body).toBe(200);
    const lines = body.trim().split('\n');
    expect(lines).toHaveLength(3); // one translation per sentence
    for (const line of lines) expect(typeof (JSON.parse(line) as { text: unknown }).text).toBe('string');
  }, 120_000);

  it('speech to Spanish speech (StreamKit’s speech_to_text_translate shape): Whisper → NLLB → Piper → Opus in WebM', async () => {
    // StreamKit's Piper folder is a sherpa-onnx export; models.json points it at a transformers.js VITS.
    await writeFile(
      join(modelsDir, 'models.json'),
      JSON.stringify({ aliases: { 'vits-piper-es_MX-claude-high': 'mms-tts-spa' } }),
    );
    try {
      const config = STT.replace(
        / {2}- kind: core::json_serialize[\s\S]*$/,
        `  - kind: plugin::native::nllb
    params: { model_path: models/nllb-200-distilled-600M-ct2-int8, source_language: eng_Latn, target_language: spa_Latn, compute_type: int8, beam_size: 1, max_length: 12 }
  - kind: plugin::native::piper
    params: { model_dir: models/vits-piper-es_MX-claude-high, speed: 1.0, num_threads: 4 }
  - kind: audio::resampler
    params: { chunk_frames: 960, output_frame_size: 960, target_sample_rate: 48000 }
  - kind: audio::opus::encoder
    params: { bitrate: 64000, frame_size: 960 }
  - kind: containers::webm::muxer
    params: { channels: 1, chunk_size: 65536, sample_rate: 48000 }
  - kind: streamkit::http_output
`,
      );
      const form = new FormData();
      form.append('config', config);
      form.append('media', new Blob([speech]), 'speech.ogg');
      const response = await fetch(`${server.url}/api/v1/process`, { method: 'POST', body: form });
      const bytes = new Uint8Array(await response.arrayBuffer());
      expect(response.status, new TextDecoder().decode(bytes.slice(0, 500))).toBe(200);
      const info = await probeBytes(bytes, 'webm');
      expect(codecs(info)).toEqual(['opus']);
      expect(info.format.format_name).toContain('webm');
      // Two phrases, each translated and spoken by the (random) voice: audio, not a header alone.
      const dir = await mkdtemp(join(tmpdir(), 'weft-s2s-'));
      await writeFile(join(dir, 'out.webm'), bytes);
      const pcm = execFileSync('ffmpeg', ['-v', 'error', '-i', join(dir, 'out.webm'), '-f', 'f32le', '-ac', '1', '-']);
      expect(pcm.length / 4 / 48_000).toBeGreaterThan(0.1);
    } finally {
      await rm(join(modelsDir, 'models.json'));
    }
  }, 120_000);

  it('text to speech with StreamKit’s kokoro-tts shape (its sherpa-onnx folder mapped onto a Kokoro export)', async () => {
    await writeFile(
      join(modelsDir, 'models.json'),
      JSON.stringify({ aliases: { 'kokoro-multi-lang-v1_1': 'Kokoro-82M-v1.0-ONNX' } }),
    );
    try {
      const form = new FormData();
      form.append(
        'config',
        `mode: oneshot
steps:
  - kind: streamkit::http_input
  - kind: core::text_chunker
    params: { min_length: 10 }
  - kind: plugin::native::kokoro
    params: { model_dir: "models/kokoro-multi-lang-v1_1", speaker_id: 0, speed: 1.0, num_threads: 4 }
  - kind: audio::resampler
    params: { chunk_frames: 960, output_frame_size: 960, target_sample_rate: 48000 }
  - kind: audio::opus::encoder
  - kind: containers::webm::muxer
    params: { channels: 1, chunk_size: 65536, sample_rate: 48000, streaming_mode: live }
  - kind: streamkit::http_output
`,
      );
      form.append('media', new Blob(['The first sentence here. The second one follows.']), 'text.txt');
      const response = await fetch(`${server.url}/api/v1/process`, { method: 'POST', body: form });
      const bytes = new Uint8Array(await response.arrayBuffer());
      expect(response.status, new TextDecoder().decode(bytes.slice(0, 500))).toBe(200);
      expect(codecs(await probeBytes(bytes, 'webm'))).toEqual(['opus']);
      const dir = await mkdtemp(join(tmpdir(), 'weft-kokoro-'));
      await writeFile(join(dir, 'out.webm'), bytes);
      const pcm = execFileSync('ffmpeg', ['-v', 'error', '-i', join(dir, 'out.webm'), '-f', 'f32le', '-ac', '1', '-']);
      expect(pcm.length / 4 / 48_000).toBeGreaterThan(0.3); // 10 ms per phoneme token, two sentences
    } finally {
      await rm(join(modelsDir, 'models.json'));
    }
  }, 120_000);

  it('Weft’s voice samples run (speech to text, Kokoro TTS, speech to Spanish speech)', async () => {
    await writeFile(
      join(modelsDir, 'models.json'),
      JSON.stringify({ aliases: { 'whisper-base.en': 'whisper-tiny.en' } }),
    );
    try {
      const post = async (sample: string, media: Blob) => {
        const form = new FormData();
        form.append('config', await readFile(`samples/oneshot/${sample}`, 'utf8'));
        form.append('media', media, 'input');
        const response = await fetch(`${server.url}/api/v1/process`, { method: 'POST', body: form });
        const bytes = new Uint8Array(await response.arrayBuffer());
        expect(response.status, `${sample}: ${new TextDecoder().decode(bytes.slice(0, 300))}`).toBe(200);
        return bytes;
      };
      const lines = new TextDecoder()
        .decode(await post('speech-to-text.yaml', new Blob([speech])))
        .trim()
        .split('\n');
      expect(lines).toHaveLength(2);
      const ogg = await post('tts-kokoro.yaml', new Blob(['Hello there. This is Kokoro speaking.']));
      expect(codecs(await probeBytes(ogg, 'ogg'))).toEqual(['opus']);
      const webm = await post('speech-translate-es.yaml', new Blob([speech]));
      expect(codecs(await probeBytes(webm, 'webm'))).toEqual(['opus']);
    } finally {
      await rm(join(modelsDir, 'models.json'));
    }
  }, 120_000);

  it('without the model, fails naming the node, the model folder and where Weft looks', async () => {
    const { status, body } = await transcribe(bare.url);
    expect(status).toBeGreaterThanOrEqual(400);
    expect(body).toMatch(/plugin::native::whisper.*models\/whisper-tiny\.en.*ggml-tiny\.en-q5_1\.bin.*--models/);
  }, 120_000);
});

/** A real Whisper in the folder WEFT_MODELS names (transformers.js layout), if one is configured. */
const REAL_MODELS = process.env.WEFT_MODELS;
const REAL_WHISPER = ['whisper-base.en', 'whisper-tiny.en', 'whisper-base', 'whisper-tiny'].find(
  (name) => REAL_MODELS !== undefined && existsSync(join(REAL_MODELS, name, 'config.json')),
);

/** Word error rate: word-level edit distance over the reference's length. */
function wordErrorRate(reference: string, hypothesis: string): number {
  const words = (s: string) =>
    s
      .toLowerCase()
      .replace(/[^a-z0-9' ]+/g, ' ')
      .split(/\s+/)
      .filter(Boolean);
  const r = words(reference);
  const h = words(hypothesis);
  const d = Array.from({ length: r.length + 1 }, (_, i) => [i, ...Array<number>(h.length).fill(0)]);
  for (let j = 1; j <= h.length; j++) (d[0] as number[])[j] = j;
  for (let i = 1; i <= r.length; i++)
    for (let j = 1; j <= h.length; j++) {
      const row = d[i] as number[];
      const up = d[i - 1] as number[];
      row[j] = Math.min((up[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (up[j - 1] ?? 0) + (r[i - 1] === h[j - 1] ? 0 : 1));
    }
  return ((d[r.length] as number[])[h.length] ?? 0) / Math.max(1, r.length);
}

describe.skipIf(!REAL_WHISPER)(`a real Whisper (WEFT_MODELS=${REAL_MODELS ?? ''})`, () => {
  it('transcribes espeak-ng speech with a word error rate under 30 %', async () => {
    const real = await testServer({ modelsDir: REAL_MODELS ?? '' });
    try {
      const sentences = ['The quick brown fox jumps over the lazy dog.', 'Please call me back in the afternoon.'];
      const dir = await mkdtemp(join(tmpdir(), 'weft-wer-'));
      const wavs = sentences.map((text, i) => {
        const wav = join(dir, `${i}.wav`);
        execFileSync('espeak-ng', ['-v', 'en-us', '-s', '150', '-w', wav, '--', text]);
        return wav;
      });
      const ogg = join(dir, 'speech.ogg');
      execFileSync('ffmpeg', [
        '-v',
        'error',
        '-y',
        ...wavs.flatMap((w) => ['-i', w]),
        '-filter_complex',
        `${wavs.map((_, i) => `[${i}]apad=pad_dur=1.5[a${i}]`).join(';')};${wavs.map((_, i) => `[a${i}]`).join('')}concat=n=${wavs.length}:v=0:a=1`,
        '-c:a',
        'libopus',
        '-ar',
        '48000',
        ogg,
      ]);
      const form = new FormData();
      form.append(
        'config',
        STT.replace('models/ggml-tiny.en-q5_1.bin', `models/${REAL_WHISPER ?? ''}`).replace(
          '      max_new_tokens: 8\n',
          '',
        ),
      );
      form.append('media', new Blob([Uint8Array.from(await readFile(ogg))]), 'speech.ogg');
      const response = await fetch(`${real.url}/api/v1/process`, { method: 'POST', body: form });
      const body = await response.text();
      expect(response.status, body).toBe(200);
      const text = body
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { text: string }).text)
        .join(' ');
      const wer = wordErrorRate(sentences.join(' '), text);
      console.log(`real ${REAL_WHISPER ?? ''}: "${text}" — WER ${(wer * 100).toFixed(1)} %`);
      expect(wer).toBeLessThan(0.3);
    } finally {
      await real.close();
    }
  }, 300_000);
});
