/**
 * The compiled graph's types, and the state the compile passes share.
 */
import type { Issue } from './errors';
import type { Connection, Pipeline, PipelineMode, SourceMap } from './format';
import type { AnyNodeDefinition, HostService, InputPinSpec, OutputPinSpec } from './node';
import type { PacketType } from './packets';
import type { NodeRegistry } from './registry';

/** A node of a compiled graph. */
export interface GraphNode {
  id: string;
  kind: string;
  definition: AnyNodeDefinition;
  /** Params after validation, defaults applied. */
  params: unknown;
  /** Declared pins for these params (dynamic families as templates). */
  inputSpecs: readonly InputPinSpec[];
  outputSpecs: readonly OutputPinSpec[];
  /** Resolved upstream type per connected input pin. */
  inputTypes: Map<string, PacketType>;
  /** Resolved type per output pin. */
  outputTypes: Map<string, PacketType>;
}

/** A validated pipeline, ready to run. */
export interface Graph {
  mode: PipelineMode;
  nodes: Map<string, GraphNode>;
  connections: Connection[];
  /** Node ids, upstream before downstream (cycle members in declaration order). */
  order: string[];
}

/** The host a pipeline is checked for: what it offers nodes, and how to name it in messages. */
export interface HostProfile {
  /** e.g. "the server's headless pages". */
  name: string;
  services: readonly HostService[];
  /** What to do instead, per missing service. */
  hints?: Partial<Record<HostService, string>>;
}

/** Options for `compileGraph`. */
export interface CompileOptions {
  source?: SourceMap;
  /** Check that the nodes can run on this host (default: no host check). */
  host?: HostProfile;
  /** Accept a dynamic pipeline without nodes (a live session built up by control messages). */
  allowEmpty?: boolean;
}

/** The result of compiling: the graph (when there are no errors) and every issue found. */
export interface CompileResult {
  graph: Graph | undefined;
  issues: Issue[];
}

/** State shared by the compile passes. */
export interface CompileContext {
  readonly pipeline: Pipeline;
  readonly registry: NodeRegistry;
  readonly source: SourceMap;
  readonly host: HostProfile | undefined;
  readonly mode: PipelineMode;
  readonly issues: Issue[];
  readonly nodes: Map<string, GraphNode>;
  /** Nodes that failed a pass (their edges and types are not checked further). */
  readonly broken: Set<string>;
  /** "Did you mean" lookups made so far (they are bounded per compile). */
  suggestions: number;
  /** The source position of a node's entry (or a key within it), as an issue field. */
  at(nodeId: string, ...rest: (string | number)[]): { position?: { line: number; col: number } };
}

/** Edges of a graph indexed by node, built once so that every pass is linear. */
export interface EdgeIndex {
  /** Edges that passed the endpoint and pin checks, in declaration order. */
  valid: Connection[];
  into: Map<string, Connection[]>;
  outOf: Map<string, Connection[]>;
}
