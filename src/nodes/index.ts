/**
 * Every node kind Weft ships, listed explicitly. A kind that does not work is not listed.
 */
import type { AnyNodeDefinition } from '../engine';
import { NodeRegistry } from '../engine';
import { jsonSerialize } from './core/json-serialize';
import { pacer } from './core/pacer';
import { passthrough } from './core/passthrough';
import { sink } from './core/sink';
import { textChunker } from './core/text-chunker';

/** All node kinds, in palette order. */
export const ALL_NODES: readonly AnyNodeDefinition[] = [passthrough, pacer, jsonSerialize, textChunker, sink];

/** A registry holding every shipped node kind. */
export function createRegistry(): NodeRegistry {
  return new NodeRegistry(ALL_NODES);
}

export { jsonSerialize, pacer, passthrough, sink, textChunker };
