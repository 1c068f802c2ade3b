/**
 * Undo/redo over immutable snapshots of the graph model. A drag or a typed param is one step:
 * callers commit once when the gesture ends (`commit`), or group live changes under a key.
 */
import { createSignal } from 'solid-js';
import type { GraphModel } from './model';

/** Steps kept for undo. */
export const HISTORY_LIMIT = 200;

export function createHistory(initial: GraphModel) {
  const [model, setModel] = createSignal(initial);
  const [past, setPast] = createSignal<GraphModel[]>([]);
  const [future, setFuture] = createSignal<GraphModel[]>([]);
  let groupKey: string | undefined;

  return {
    model,
    canUndo: () => past().length > 0,
    canRedo: () => future().length > 0,
    /** Replaces the model as one undoable step; consecutive changes with the same `group` merge. */
    commit(next: GraphModel, group?: string): void {
      if (next === model()) return;
      if (!(group && group === groupKey)) setPast((p) => [...p.slice(-(HISTORY_LIMIT - 1)), model()]);
      groupKey = group;
      setFuture([]);
      setModel(next);
    },
    /** Changes the model without an undo step (live drag); `commit` at the end records it. */
    preview(next: GraphModel): void {
      setModel(next);
    },
    /** Records the step from `before` to the current model (end of a drag). */
    record(before: GraphModel): void {
      if (before === model()) return;
      groupKey = undefined;
      setPast((p) => [...p.slice(-(HISTORY_LIMIT - 1)), before]);
      setFuture([]);
    },
    undo(): void {
      const p = past();
      const last = p.at(-1);
      if (!last) return;
      groupKey = undefined;
      setPast(p.slice(0, -1));
      setFuture((f) => [model(), ...f]);
      setModel(last);
    },
    redo(): void {
      const [next, ...rest] = future();
      if (!next) return;
      groupKey = undefined;
      setFuture(rest);
      setPast((p) => [...p, model()]);
      setModel(next);
    },
  };
}

export type History = ReturnType<typeof createHistory>;
