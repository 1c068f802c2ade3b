/**
 * The studio's one adapter to the engine: a comlink proxy to the engine Worker.
 */
import type { Remote } from 'comlink';
import { wrap } from 'comlink';
import type { EngineApi } from './engine.worker';

/** Starts the engine Worker and returns its proxy. */
export function connectEngine(): Remote<EngineApi> {
  const worker = new Worker(new URL('./engine.worker.ts', import.meta.url), { type: 'module', name: 'weft-engine' });
  return wrap<EngineApi>(worker);
}
