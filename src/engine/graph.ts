/**
 * Compiling a pipeline into a graph: resolve kinds, parse params, wire pins, order, negotiate
 * types, and report every problem at once — each naming the node, pin or param, with a hint.
 * Each pass lives in its own module; every pass is linear in nodes plus edges.
 */
import { PipelineError } from './errors';
import type { Issue } from './errors';
import type { Pipeline } from './format';
import { NO_SOURCE } from './format';
import { parsePipeline } from './parse';
import { checkEdges, checkMissingInputs } from './graph-edges';
import { resolveNodes } from './graph-nodes';
import { negotiateTypes } from './graph-negotiate';
import { orderNodes } from './graph-order';
import type { CompileContext, CompileOptions, CompileResult, Graph, GraphNode } from './graph-types';
import type { NodeRegistry } from './registry';

export type { CompileOptions, CompileResult, Graph, GraphNode, HostProfile } from './graph-types';
export { findPin } from './graph-pins';
export { parseParams } from './graph-nodes';
export { topologicalOrder } from './graph-order';

/**
 * Compiles a pipeline: every problem is collected into `issues` (errors and warnings).
 * `graph` is set only when there is no error.
 */
export function compileGraph(pipeline: Pipeline, registry: NodeRegistry, options: CompileOptions = {}): CompileResult {
  const source = options.source ?? NO_SOURCE;
  const ctx: CompileContext = {
    pipeline,
    registry,
    source,
    host: options.host,
    mode: pipeline.mode,
    issues: [],
    nodes: new Map<string, GraphNode>(),
    broken: new Set<string>(),
    suggestions: 0,
    at(nodeId, ...rest) {
      const position = source.positionOf([...source.nodePath(nodeId), ...rest]);
      return position ? { position } : {};
    },
  };
  if (Object.keys(pipeline.nodes).length === 0 && !(options.allowEmpty && ctx.mode === 'dynamic')) {
    ctx.issues.push({
      code: 'empty',
      severity: 'error',
      message: 'the pipeline has no nodes',
      hint: 'add at least one node',
    });
  }
  resolveNodes(ctx);
  const edges = checkEdges(ctx);
  checkMissingInputs(ctx);
  const order = orderNodes(ctx, edges);
  negotiateTypes(ctx, edges, order);
  const hasErrors = ctx.issues.some((i) => i.severity === 'error');
  return {
    graph: hasErrors
      ? undefined
      : ({ mode: ctx.mode, nodes: ctx.nodes, connections: edges.valid, order } satisfies Graph),
    issues: ctx.issues,
  };
}

/** Compiles a pipeline or throws a `PipelineError` with every error found. */
export function buildGraph(pipeline: Pipeline, registry: NodeRegistry, options: CompileOptions = {}): Graph {
  const { graph, issues } = compileGraph(pipeline, registry, options);
  if (!graph) throw new PipelineError(issues);
  return graph;
}

/** What checking pipeline text found: the pipeline when it parsed, every problem, and the verdict. */
export interface TextCheck {
  pipeline: Pipeline | undefined;
  issues: Issue[];
  /** No problem of severity `error`. */
  valid: boolean;
}

/** Parses and compiles pipeline text (YAML or JSON), collecting every problem with its position. */
export function checkPipelineText(
  text: string,
  registry: NodeRegistry,
  options: Omit<CompileOptions, 'source'> = {},
): TextCheck {
  try {
    const { pipeline, source } = parsePipeline(text);
    const { issues } = compileGraph(pipeline, registry, { ...options, source });
    return { pipeline, issues, valid: !issues.some((i) => i.severity === 'error') };
  } catch (error) {
    if (!(error instanceof PipelineError)) throw error;
    return { pipeline: undefined, issues: [...error.issues], valid: false };
  }
}
