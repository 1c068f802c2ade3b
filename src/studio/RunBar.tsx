/** The run bar: job input files, run/stop in the tab and on the server, progress and outputs. */
import { For, Show } from 'solid-js';
import type { StudioDocument } from './document';
import type { RunControl } from './run-control';
import { fileReaders } from './run-control';

export function RunBar(props: { doc: StudioDocument; run: RunControl }) {
  const run = props.run;
  const blocked = () => run.running() || props.doc.errorCount() > 0;
  return (
    <div class="runbar">
      <For each={props.doc.validation()?.io.inputs ?? []}>
        {(input) => (
          <label class="button file">
            {run.inputFiles()[input.name]?.name ?? `Input ${input.name}…`}
            <input
              type="file"
              aria-label={`Input ${input.name}`}
              hidden
              onChange={(e) => {
                const f = e.currentTarget.files?.[0];
                if (f) run.chooseInput(input.name, f);
              }}
            />
          </label>
        )}
      </For>
      <For each={fileReaders(props.doc.model())}>
        {(reader) => (
          <label class="button file" title={`The tab reads only files you pick: this one stands for ${reader.path}`}>
            {run.readFiles()[reader.path]?.name ?? `File for ${reader.node}…`}
            <input
              type="file"
              aria-label={`File for ${reader.node}`}
              hidden
              onChange={(e) => {
                const f = e.currentTarget.files?.[0];
                if (f) run.chooseReadFile(reader.path, f);
              }}
            />
          </label>
        )}
      </For>
      <button class="primary" disabled={blocked()} onClick={() => void run.runInTab()}>
        {run.running() ? 'Running…' : 'Run in tab'}
      </button>
      <Show when={run.running()}>
        <button onClick={() => run.stop()}>Stop</button>
      </Show>
      <button disabled={blocked()} onClick={() => void run.runOnServer()}>
        Run on server
      </button>
      <Show when={run.remoteId()}>
        {(id) => (
          <span class="server-session" data-session={id()}>
            live on the server: session {id().slice(0, 8)}
          </span>
        )}
      </Show>
      <For each={Object.values(run.downloads()).filter((d) => !d.done)}>
        {(d) => (
          <span class="download" data-file={`${d.folder}/${d.file}`}>
            ⇣ {d.folder}/{d.file}{' '}
            <progress max={d.total ?? undefined} value={d.total === null ? undefined : d.loaded} />{' '}
            {(d.loaded / 1e6).toFixed(1)}
            {d.total === null ? '' : ` / ${(d.total / 1e6).toFixed(1)}`} MB
          </span>
        )}
      </For>
      <Show when={Object.values(run.downloads()).some((d) => d.done)}>
        <span class="muted downloaded">
          {Object.values(run.downloads()).filter((d) => d.done).length} model file(s) downloaded and kept
        </span>
      </Show>
      <Show when={run.progress() !== null && run.running()}>
        <span class="muted">{((run.progress() ?? 0) * 100).toFixed(0)}%</span>
      </Show>
      <For each={run.outputs()}>
        {(o) => (
          <a class="output" href={o.url} download={o.file}>
            ⤓ {o.file} ({(o.bytes / 1e6).toFixed(2)} MB)
          </a>
        )}
      </For>
      <Show when={run.serverJob()}>
        {(job) => (
          <span class="server-job" data-state={job().state}>
            server job {job().id.slice(0, 8)}: {job().state}
            {job().fraction !== null && job().state === 'running'
              ? ` ${((job().fraction ?? 0) * 100).toFixed(0)}%`
              : ''}
            <Show when={job().error}>: {job().error}</Show>
            <For each={job().outputs}>
              {(o) => (
                <a class="output" href={o.url}>
                  ⤓ {o.name}
                </a>
              )}
            </For>
          </span>
        )}
      </Show>
    </div>
  );
}
