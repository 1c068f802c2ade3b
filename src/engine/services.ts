/**
 * What a session shares between its nodes: one GPU device, resources loaded once per key and
 * released when the last node holding them closes (models, fonts), and the frame accounting.
 */
import type { GpuAccess, NodeHost } from './node';

/** Why a node gets no GPU when the host offers none. */
const NO_GPU_HOST = 'this host offers no GPU; use the CPU path';

interface SharedEntry {
  value: Promise<unknown>;
  holders: number;
  dispose: ((value: never) => void) | undefined;
}

/** Services of one session, shared by all its nodes. */
export class SessionServices {
  readonly #host: NodeHost;
  #gpu: Promise<GpuAccess> | undefined;
  readonly #shared = new Map<string, SharedEntry>();

  constructor(host: NodeHost) {
    this.#host = host;
  }

  /** The session's GPU, asked of the host once; a host failure reads as "no GPU" with its reason. */
  gpu(): Promise<GpuAccess> {
    const ask = this.#host.gpu;
    this.#gpu ??= ask
      ? ask().catch((error: unknown) => ({
          device: null,
          reason: `the GPU could not be opened (${error instanceof Error ? error.message : String(error)})`,
        }))
      : Promise.resolve({ device: null, reason: NO_GPU_HOST });
    return this.#gpu;
  }

  /** Takes a hold on the resource `key`, loading it on the first hold. Release with `release(key)`. */
  acquire<T>(key: string, load: () => Promise<T>, dispose?: (value: T) => void): Promise<T> {
    let entry = this.#shared.get(key);
    if (!entry) {
      const value = Promise.resolve().then(load);
      entry = { value, holders: 0, dispose: dispose as SharedEntry['dispose'] };
      this.#shared.set(key, entry);
      // A failed load is not kept: the next node to ask tries again.
      value.catch(() => {
        if (this.#shared.get(key)?.value === value) this.#shared.delete(key);
      });
    }
    entry.holders++;
    return entry.value as Promise<T>;
  }

  /** Ends one hold on `key`; the last one disposes of the resource. */
  release(key: string): void {
    const entry = this.#shared.get(key);
    if (!entry) return;
    entry.holders--;
    if (entry.holders > 0) return;
    this.#shared.delete(key);
    const dispose = entry.dispose;
    if (dispose) {
      entry.value.then(
        (value) => dispose(value as never),
        () => undefined, // a failed load has nothing to dispose of
      );
    }
  }

  /** Keys currently held (for tests and diagnostics). */
  get heldKeys(): string[] {
    return [...this.#shared.keys()];
  }
}
