/**
 * The Convert view: drop a file, pick a preset and knobs, watch progress with an ETA, download the
 * result — all in this tab.
 */
import type { Remote } from 'comlink';
import { proxy } from 'comlink';
import { createSignal, For, Show } from 'solid-js';
import type { EngineApi, RunEvent } from './engine.worker';
import { HEIGHTS, presetPipeline, PRESETS } from './presets';

export function ConvertView(props: { engine: Remote<EngineApi> }) {
  const [file, setFile] = createSignal<File>();
  const [presetId, setPresetId] = createSignal(PRESETS[0]?.id ?? 'mp4');
  const [height, setHeight] = createSignal(0);
  const [bitrate, setBitrate] = createSignal(2000);
  const [progress, setProgress] = createSignal<{ fraction: number; eta: number | null }>();
  const [running, setRunning] = createSignal(false);
  const [result, setResult] = createSignal<{ url: string; name: string; bytes: number }>();
  const [error, setError] = createSignal<string>();
  const preset = () => PRESETS.find((p) => p.id === presetId()) ?? PRESETS[0];

  const pick = (files: FileList | null | undefined) => {
    const f = files?.[0];
    if (f) {
      setFile(f);
      setResult(undefined);
      setError(undefined);
    }
  };

  const convert = async () => {
    const f = file();
    const p = preset();
    if (!f || !p) return;
    setRunning(true);
    setError(undefined);
    setResult(undefined);
    setProgress({ fraction: 0, eta: null });
    const started = performance.now();
    try {
      const text = presetPipeline(p, height(), p.video ? bitrate() : undefined);
      const outcome = await props.engine.run(
        text,
        { media: f },
        [],
        proxy((event: RunEvent) => {
          if (event.type === 'stats' && event.fraction !== null) {
            const elapsed = (performance.now() - started) / 1000;
            const eta = event.fraction > 0.02 ? (elapsed * (1 - event.fraction)) / event.fraction : null;
            setProgress({ fraction: event.fraction, eta });
          }
        }),
      );
      if (outcome.state !== 'succeeded') throw new Error(outcome.error ?? `the conversion was ${outcome.state}`);
      const out = outcome.outputs[0];
      if (!out) throw new Error('the pipeline wrote no output');
      const base = f.name.replace(/\.[^.]+$/, '') || 'output';
      setProgress({ fraction: 1, eta: 0 });
      setResult({ url: URL.createObjectURL(out.blob), name: `${base}.${p.ext}`, bytes: out.blob.size });
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setRunning(false);
    }
  };

  return (
    <section class="convert" aria-label="Convert">
      <label
        class="drop"
        classList={{ has: !!file() }}
        onDragOver={(e) => e.preventDefault()}
        onDrop={(e) => {
          e.preventDefault();
          pick(e.dataTransfer?.files);
        }}
      >
        <input type="file" aria-label="File to convert" onChange={(e) => pick(e.currentTarget.files)} />
        <Show when={file()} fallback={<span>Drop a video or audio file here, or click to choose one</span>}>
          {(f) => (
            <span>
              <strong>{f().name}</strong> · {(f().size / 1e6).toFixed(1)} MB
            </span>
          )}
        </Show>
      </label>
      <div class="knobs">
        <label>
          Preset
          <select aria-label="Preset" value={presetId()} onChange={(e) => setPresetId(e.currentTarget.value)}>
            <For each={PRESETS}>{(p) => <option value={p.id}>{p.label}</option>}</For>
          </select>
        </label>
        <Show when={preset()?.video}>
          <label>
            Size
            <select aria-label="Size" value={height()} onChange={(e) => setHeight(Number(e.currentTarget.value))}>
              <For each={HEIGHTS}>{(h) => <option value={h}>{h === 0 ? 'as input' : `${h}p`}</option>}</For>
            </select>
          </label>
          <label>
            Video bitrate (kbit/s)
            <input
              aria-label="Video bitrate"
              type="number"
              min="100"
              max="50000"
              step="100"
              value={bitrate()}
              onChange={(e) => setBitrate(Number(e.currentTarget.value))}
            />
          </label>
        </Show>
        <button class="primary" disabled={!file() || running()} onClick={() => void convert()}>
          {running() ? 'Converting…' : 'Convert'}
        </button>
        <Show when={running()}>
          <button onClick={() => void props.engine.cancel()}>Cancel</button>
        </Show>
      </div>
      <Show when={progress()}>
        {(p) => (
          <div
            class="progress"
            role="progressbar"
            aria-valuemin={0}
            aria-valuemax={100}
            aria-valuenow={Math.round(p().fraction * 100)}
          >
            <div class="fill" style={{ width: `${(p().fraction * 100).toFixed(1)}%` }} />
            <span>
              {(p().fraction * 100).toFixed(0)}%
              {p().eta !== null && running() ? ` · about ${Math.ceil(p().eta ?? 0)} s left` : ''}
            </span>
          </div>
        )}
      </Show>
      <Show when={error()}>
        <p class="error" role="alert">
          {error()}
        </p>
      </Show>
      <Show when={result()}>
        {(r) => (
          <p class="done">
            Done:{' '}
            <a href={r().url} download={r().name}>
              {r().name}
            </a>{' '}
            ({(r().bytes / 1e6).toFixed(2)} MB)
          </p>
        )}
      </Show>
    </section>
  );
}
