/**
 * The Models dialog: the model folders the studio keeps in the browser (model-store.ts). A folder
 * the user picks is copied in; a URL is linked, its files downloaded the first time a pipeline
 * needs them. Each folder may answer to other names, so a pipeline's StreamKit model names find it.
 */
import { createResource, createSignal, For, Show } from 'solid-js';
import type { ModelTransfer } from './model-store';
import { folderNameProblem, linkModelUrl, listModels, removeModel, setAliases, storeFolder } from './model-store';

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

export function ModelsDialog(props: { onClose: () => void; say: (text: string, kind?: 'info' | 'error') => void }) {
  const [models, { refetch }] = createResource(listModels);
  const [copy, setCopy] = createSignal<{ loaded: number; total: number; file: string }>();
  const [name, setName] = createSignal('');
  const [url, setUrl] = createSignal('');

  const fail = (e: unknown) => props.say(e instanceof Error ? e.message : String(e), 'error');

  const pickFolder = async (list: FileList) => {
    const files = [...list];
    const first = files[0]?.webkitRelativePath.split('/')[0] ?? '';
    const folder = name().trim() || first;
    const total = files.reduce((n, f) => n + f.size, 0);
    let loaded = 0;
    try {
      const problem = folderNameProblem(folder);
      if (problem) throw new Error(problem);
      await storeFolder(
        folder,
        files.map((f) => ({ path: f.webkitRelativePath.split('/').slice(1).join('/'), blob: f })),
        (t: ModelTransfer) => {
          loaded += t.loaded;
          setCopy({ loaded, total, file: t.file });
        },
      );
      props.say(`Kept the model folder '${folder}' (${files.length} files, ${mb(total)})`);
      setName('');
    } catch (e) {
      fail(e);
    } finally {
      setCopy(undefined);
      void refetch();
    }
  };

  const link = async () => {
    try {
      await linkModelUrl(name().trim(), url().trim());
      props.say(`Linked '${name().trim()}' to ${url().trim()}: its files download when a pipeline first needs them`);
      setName('');
      setUrl('');
    } catch (e) {
      fail(e);
    }
    void refetch();
  };

  return (
    <div class="help models" role="dialog" aria-label="Models">
      <h2>Models</h2>
      <p class="muted">
        Model folders (Hugging Face layout, ONNX files) kept in this browser. A pipeline finds one by its folder name:
        StreamKit's <code>models/ggml-base.en-q5_1.bin</code> asks for <code>whisper-base.en</code>. Folders the studio
        keeps come first, then the server's <code>--models</code> folder.
      </p>
      <table>
        <thead>
          <tr>
            <th>Folder</th>
            <th>From</th>
            <th>Files</th>
            <th>Also answers to</th>
            <th />
          </tr>
        </thead>
        <tbody>
          <For
            each={models() ?? []}
            fallback={
              <tr>
                <td colSpan={5} class="muted">
                  No model folders yet.
                </td>
              </tr>
            }
          >
            {(m) => (
              <tr data-model={m.folder}>
                <td>{m.folder}</td>
                <td>{m.source.type === 'url' ? m.source.url : 'a folder you picked'}</td>
                <td>
                  {m.files.length} ({mb(m.files.reduce((n, f) => n + f.bytes, 0))})
                </td>
                <td>
                  <input
                    aria-label={`Other names of ${m.folder}`}
                    placeholder="whisper-base.en, …"
                    value={m.aliases.join(', ')}
                    onChange={(e) => {
                      const names = e.currentTarget.value
                        .split(',')
                        .map((a) => a.trim())
                        .filter(Boolean);
                      void setAliases(m.folder, names)
                        .then(() =>
                          props.say(`'${m.folder}' now also answers to ${names.join(', ') || 'nothing else'}`),
                        )
                        .catch(fail)
                        .finally(() => void refetch());
                    }}
                  />
                </td>
                <td>
                  <button onClick={() => void removeModel(m.folder).then(() => refetch())}>Remove</button>
                </td>
              </tr>
            )}
          </For>
        </tbody>
      </table>
      <div class="model-add">
        <input
          aria-label="Model folder name"
          placeholder="folder name"
          value={name()}
          onInput={(e) => setName(e.currentTarget.value)}
        />
        <label class="button">
          Add a folder…
          <input
            type="file"
            aria-label="Pick a model folder"
            hidden
            multiple
            ref={(el) => (el.webkitdirectory = true)}
            onChange={(e) => e.currentTarget.files && void pickFolder(e.currentTarget.files)}
          />
        </label>
        <input
          aria-label="Model folder URL"
          placeholder="https://…/whisper-base.en/"
          value={url()}
          onInput={(e) => setUrl(e.currentTarget.value)}
        />
        <button onClick={() => void link()} disabled={name().trim() === '' || url().trim() === ''}>
          Link URL
        </button>
      </div>
      <Show when={copy()}>
        {(c) => (
          <div class="download">
            Copying {c().file} <progress max={c().total} value={c().loaded} /> {mb(c().loaded)} / {mb(c().total)}
          </div>
        )}
      </Show>
      <button onClick={() => props.onClose()}>Close</button>
    </div>
  );
}
