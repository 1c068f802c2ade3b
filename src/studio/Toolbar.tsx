/** The header: view tabs, and the document commands of the editor view. */
import { For, Show } from 'solid-js';
import { SAMPLES, sampleName } from './files';

/** The studio's views. */
export type StudioView = 'editor' | 'convert' | 'stream';

/** What the toolbar's buttons do. */
export interface ToolbarActions {
  loadSample(path: string): void;
  openFile(file: File): void;
  newDocument(): void;
  save(): void;
  copyLink(): void;
  undo(): void;
  redo(): void;
  layout(): void;
  fit(): void;
  toggleHelp(): void;
  toggleModels(): void;
}

export function Toolbar(props: {
  view: StudioView;
  onView: (view: StudioView) => void;
  canUndo: boolean;
  canRedo: boolean;
  actions: ToolbarActions;
}) {
  const a = props.actions;
  return (
    <header>
      <h1>Weft</h1>
      <nav class="tabs" aria-label="Views">
        <button classList={{ active: props.view === 'editor' }} onClick={() => props.onView('editor')}>
          Editor
        </button>
        <button classList={{ active: props.view === 'convert' }} onClick={() => props.onView('convert')}>
          Convert
        </button>
        <button classList={{ active: props.view === 'stream' }} onClick={() => props.onView('stream')}>
          Stream
        </button>
      </nav>
      <span class="spacer" />
      <Show when={props.view === 'editor'}>
        <select aria-label="Samples" value="" onChange={(e) => a.loadSample(e.currentTarget.value)}>
          <option value="">Samples…</option>
          <For each={Object.keys(SAMPLES)}>{(path) => <option value={path}>{sampleName(path)}</option>}</For>
        </select>
        <label class="button">
          Open…
          <input
            type="file"
            aria-label="Open pipeline or media file"
            hidden
            onChange={(e) => e.currentTarget.files?.[0] && a.openFile(e.currentTarget.files[0])}
          />
        </label>
        <button onClick={() => a.newDocument()} title="Start an empty pipeline">
          New
        </button>
        <button onClick={() => a.save()}>Save</button>
        <button onClick={() => a.copyLink()}>Copy link</button>
        <button onClick={() => a.undo()} disabled={!props.canUndo} title="Undo (Ctrl+Z)">
          Undo
        </button>
        <button onClick={() => a.redo()} disabled={!props.canRedo} title="Redo (Ctrl+Shift+Z)">
          Redo
        </button>
        <button onClick={() => a.layout()} title="Auto-layout">
          Layout
        </button>
        <button onClick={() => a.fit()} title="Fit to view (F)">
          Fit
        </button>
      </Show>
      <button onClick={() => a.toggleModels()} title="Model folders kept in this browser">
        Models
      </button>
      <button onClick={() => a.toggleHelp()} title="Keyboard shortcuts (?)">
        ?
      </button>
    </header>
  );
}
