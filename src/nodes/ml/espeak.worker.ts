/**
 * eSpeak NG compiled to WebAssembly (the `espeak-ng` package: its CLI with the voice data built
 * in), in a Worker of its own: the 18 MB module is compiled once, and each utterance runs the CLI
 * on a fresh instance (`-f` a text file, `-w` a WAV file in its in-memory file system). The WAV is
 * read with mediabunny. Side effect (entry file): exposes the API with comlink.
 */
import { expose, transfer } from 'comlink';
import ESpeakNg from 'espeak-ng';
import wasmUrl from 'espeak-ng/dist/espeak-ng.wasm?url';
import { AudioSampleSink, BufferSource, Input, WAVE } from 'mediabunny';

/** eSpeak NG's output rate. */
export const ESPEAK_RATE = 22_050;

let compiled: Promise<WebAssembly.Module> | undefined;

/** What the TTS node may ask. */
export interface EspeakApi {
  /** Mono samples at ESPEAK_RATE of `text` spoken with `voice` at `wpm` words a minute and `pitch` (0–99). */
  speak(text: string, options: { voice: string; wpm: number; pitch: number }): Promise<Float32Array>;
}

interface EspeakModule {
  FS: { readFile(path: string): Uint8Array; writeFile(path: string, data: string): void };
}

const api: EspeakApi = {
  async speak(text, options) {
    compiled ??= WebAssembly.compileStreaming(fetch(new URL(wasmUrl, self.location.href)));
    const module = await compiled;
    const errors: string[] = [];
    const instance = (await ESpeakNg({
      arguments: [
        '-v',
        options.voice,
        '-s',
        String(options.wpm),
        '-p',
        String(options.pitch),
        '-w',
        '/out.wav',
        '-f',
        '/in.txt',
      ],
      preRun: [(m: EspeakModule) => m.FS.writeFile('/in.txt', text)],
      instantiateWasm: (imports: WebAssembly.Imports, done: (instance: WebAssembly.Instance) => void) => {
        void WebAssembly.instantiate(module, imports).then(done);
        return {};
      },
      print: () => undefined,
      printErr: (line: string) => errors.push(line),
    })) as EspeakModule;
    let wav: Uint8Array;
    try {
      wav = instance.FS.readFile('/out.wav');
    } catch {
      throw new Error(
        `espeak-ng made no audio${errors.length ? `: ${errors.join('; ')}` : ''} (voice '${options.voice}')`,
      );
    }
    const input = new Input({ source: new BufferSource(wav), formats: [WAVE] });
    const track = await input.getPrimaryAudioTrack();
    if (!track) throw new Error('espeak-ng wrote a WAV without audio');
    const parts: Float32Array[] = [];
    for await (const sample of new AudioSampleSink(track).samples()) {
      const plane = new Float32Array(sample.numberOfFrames);
      sample.copyTo(plane, { planeIndex: 0, format: 'f32-planar' });
      sample.close();
      parts.push(plane);
    }
    const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return transfer(out, [out.buffer]);
  },
};

expose(api);
