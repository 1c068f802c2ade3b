/**
 * The engine, running in a dedicated Worker. The studio reaches it only through comlink
 * (see `engine-client.ts`), so heavy work never blocks the page.
 */
import { expose } from 'comlink';
import type { Issue, NodeDescription } from '../engine';
import { compileGraph, parsePipeline, PipelineError } from '../engine';
import { createRegistry } from '../nodes';

const registry = createRegistry();

/** What the worker offers the page. */
export interface EngineApi {
  /** Every node kind, for the palette. */
  describeNodes(): NodeDescription[];
  /** Parses and validates pipeline text; every problem with its position. */
  validate(text: string): { valid: boolean; issues: Issue[]; nodes: string[] };
}

const api: EngineApi = {
  describeNodes: () => registry.describeAll(),
  validate(text) {
    try {
      const { pipeline, source } = parsePipeline(text);
      const { issues } = compileGraph(pipeline, registry, { source });
      return { valid: !issues.some((i) => i.severity === 'error'), issues, nodes: Object.keys(pipeline.nodes) };
    } catch (error) {
      if (error instanceof PipelineError) return { valid: false, issues: [...error.issues], nodes: [] };
      throw error;
    }
  },
};

expose(api);
