/**
 * The editor's keyboard shortcuts: the table the help dialog shows, and one document listener
 * that maps keys to the app's commands (ignored while typing in a field).
 */
import { onCleanup, onMount } from 'solid-js';

/** Keys and what they do, as the help dialog lists them. */
export const SHORTCUTS: readonly [string, string][] = [
  ['Drag background', 'pan'],
  ['Wheel', 'zoom'],
  ['Shift + drag', 'box-select'],
  ['Drag from an output pin to an input pin', 'connect'],
  ['Delete / Backspace', 'delete selection'],
  ['Ctrl+Z / Ctrl+Shift+Z (Ctrl+Y)', 'undo / redo'],
  ['Ctrl+C / Ctrl+V', 'copy / paste nodes (as YAML, also between tabs)'],
  ['Ctrl+Enter', 'run in this tab'],
  ['F', 'fit to view'],
  ['?', 'this help'],
];

/** What the shortcuts call. */
export interface ShortcutActions {
  undo(): void;
  redo(): void;
  copy(): void;
  paste(): void;
  run(): void;
  remove(): void;
  fit(): void;
  toggleHelp(): void;
  closeHelp(): void;
}

/** The action a key press asks for, if any. */
export function actionFor(
  e: Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'shiftKey'>,
): keyof ShortcutActions | undefined {
  const mod = e.ctrlKey || e.metaKey;
  const key = e.key.toLowerCase();
  if (mod && key === 'z') return e.shiftKey ? 'redo' : 'undo';
  if (mod && key === 'y') return 'redo';
  if (mod && key === 'c') return 'copy';
  if (mod && key === 'v') return 'paste';
  if (mod && e.key === 'Enter') return 'run';
  if (e.key === 'Delete' || e.key === 'Backspace') return 'remove';
  if (e.key === 'f' && !mod) return 'fit';
  if (e.key === '?') return 'toggleHelp';
  if (e.key === 'Escape') return 'closeHelp';
  return undefined;
}

/** Listens on the document while the calling component lives. */
export function bindShortcuts(actions: ShortcutActions): void {
  const onKey = (e: KeyboardEvent) => {
    const target = e.target as HTMLElement | null;
    if (target && (target.tagName === 'INPUT' || target.tagName === 'TEXTAREA' || target.tagName === 'SELECT')) return;
    const action = actionFor(e);
    if (!action) return;
    if (action === 'undo' || action === 'redo') e.preventDefault();
    actions[action]();
  };
  onMount(() => document.addEventListener('keydown', onKey));
  onCleanup(() => document.removeEventListener('keydown', onKey));
}
