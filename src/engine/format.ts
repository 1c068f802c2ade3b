/**
 * The pipeline format: StreamKit's YAML/JSON shape (`steps:` or `nodes:` with `needs`), parsed with
 * line/column positions and compiled into the flat `Pipeline` form (nodes + connections) that the
 * engine, the API and the studio share. The zod schemas here are the single source of the format.
 */
import { z } from 'zod';
import type { Issue, SourcePosition } from './errors';
import { PipelineError } from './errors';

/** Largest pipeline document, in bytes (UTF-8). */
export const MAX_PIPELINE_BYTES = 1024 * 1024;
/** Most nodes one pipeline may have. */
export const MAX_NODES = 10_000;
/** Most connections one pipeline may have. */
export const MAX_CONNECTIONS = 50_000;
/** Longest node id, kind or pin name. */
export const MAX_NAME_CHARS = 128;
/** Longest `needs` reference (`node.pin`). */
const MAX_REF_CHARS = 2 * MAX_NAME_CHARS + 1;
/** Most YAML alias expansions a document may make (a guard against alias bombs). */
export const MAX_YAML_ALIASES = 100;

/** `reliable` (backpressure) or `best_effort` (drop when full). */
export const EdgeModeSchema = z.enum(['reliable', 'best_effort']);

/** `oneshot` (file in, file out) or `dynamic` (long-running, reconfigurable). */
export const ModeSchema = z.enum(['oneshot', 'dynamic']);

/** A node id: no dots (`needs: a.pin` splits at the first dot). */
export const NodeIdSchema = z
  .string()
  .min(1)
  .max(MAX_NAME_CHARS)
  // eslint-disable-next-line no-control-regex -- control characters are what is refused
  .regex(/^[^.\s\u0000-\u001f\u007f]+$/, 'node ids may not contain dots, spaces or control characters');

const Ref = z.string().min(1).max(MAX_REF_CHARS);
const Name = z.string().min(1).max(MAX_NAME_CHARS);

const NeedsRef = z.union([Ref, z.strictObject({ node: Ref, mode: EdgeModeSchema.optional() })]);

/** `needs`: a node id, `node.pin`, `{node, mode}`, a list of those, or a map input-pin → source. */
export const NeedsSchema = z.union([
  Ref,
  z.strictObject({ node: Ref, mode: EdgeModeSchema.optional() }),
  z.array(NeedsRef).min(1),
  z.record(Name, NeedsRef).refine((map) => !('node' in map), "'node' cannot be used as a pin name in a needs map"),
]);

/** One entry of `nodes:`. */
export const NodeEntrySchema = z.strictObject({
  kind: Name,
  params: z.unknown().optional(),
  needs: NeedsSchema.optional(),
});

/** One entry of `steps:`. */
export const StepSchema = z.strictObject({
  kind: Name,
  params: z.unknown().optional(),
});

/** One edge of a compiled pipeline, in StreamKit's API names. */
export const ConnectionSchema = z.strictObject({
  from_node: Name,
  from_pin: Name,
  to_node: Name,
  to_pin: Name,
  mode: EdgeModeSchema.optional(),
});

const common = {
  name: z.string().max(256).optional(),
  description: z.string().max(4096).optional(),
  mode: ModeSchema.optional(),
};

const StepsDocumentSchema = z.looseObject({ ...common, steps: z.array(StepSchema).min(1).max(MAX_NODES) });
const DagDocumentSchema = z.looseObject({
  ...common,
  nodes: z.record(NodeIdSchema, NodeEntrySchema),
});
const FlatDocumentSchema = z.looseObject({
  ...common,
  nodes: z.record(NodeIdSchema, z.strictObject({ kind: Name, params: z.unknown().optional() })),
  connections: z.array(ConnectionSchema).max(MAX_CONNECTIONS),
});

/**
 * The pipeline document as written (YAML or JSON): `steps:`, `nodes:` with `needs`, or the flat
 * API form `nodes:` + `connections:`. Unknown top-level keys are kept (UI metadata).
 */
export const PipelineDocumentSchema = z.union([StepsDocumentSchema, DagDocumentSchema, FlatDocumentSchema]);

/** The pipeline document as written. */
export type PipelineDocument = z.infer<typeof PipelineDocumentSchema>;
/** One edge. */
export type Connection = z.infer<typeof ConnectionSchema>;
/** Pipeline mode. */
export type PipelineMode = z.infer<typeof ModeSchema>;

/** The compiled, flat form of a pipeline (StreamKit's API `Pipeline`). */
export interface Pipeline {
  name?: string;
  description?: string;
  mode: PipelineMode;
  /** Node id → kind and raw params, in document order. */
  nodes: Record<string, { kind: string; params?: unknown }>;
  connections: Connection[];
  /** Top-level keys the engine does not use (`client`, `tags`, …), kept for round trips. */
  extra?: Record<string, unknown>;
}

/** Where things are in the source text, for error reporting. */
export interface SourceMap {
  /** Position of a document path, e.g. `['nodes', 'gain', 'params', 'gain']`. */
  positionOf(path: readonly (string | number)[]): SourcePosition | undefined;
  /** The document path of a node's entry (`['steps', 2]` or `['nodes', 'gain']`). */
  nodePath(nodeId: string): (string | number)[];
}

/** A source map for pipelines that did not come from text. */
export const NO_SOURCE: SourceMap = { positionOf: () => undefined, nodePath: (id) => ['nodes', id] };

/** A parsed pipeline and where its parts came from. */
export interface ParsedPipeline {
  pipeline: Pipeline;
  source: SourceMap;
}

/** StreamKit's default when `mode` is absent. */
export const DEFAULT_MODE: PipelineMode = 'dynamic';
const DEFAULT_OUTPUT_PIN = 'out';
const DEFAULT_INPUT_PIN = 'in';
const MIXER_KIND = 'audio::mixer';
const HTTP_INPUT_KIND = 'streamkit::http_input';

const KNOWN_KEYS = new Set(['name', 'description', 'mode', 'steps', 'nodes', 'connections']);

function zodPath(path: readonly PropertyKey[]): (string | number)[] {
  return path.filter((p): p is string | number => typeof p !== 'symbol');
}

/** Splits `a.pin` at the first dot: source node `a`, pin `pin`; without a dot the pin is `out`. */
export function splitSource(ref: string): { node: string; pin: string } {
  const dot = ref.indexOf('.');
  return dot < 0 ? { node: ref, pin: DEFAULT_OUTPUT_PIN } : { node: ref.slice(0, dot), pin: ref.slice(dot + 1) };
}

type NeedsRefValue = z.infer<typeof NeedsRef>;

function refToConnection(ref: NeedsRefValue, toNode: string, toPin: string): Connection {
  const source = typeof ref === 'string' ? ref : ref.node;
  const mode = typeof ref === 'string' ? undefined : ref.mode;
  const { node, pin } = splitSource(source);
  return {
    from_node: node,
    from_pin: pin,
    to_node: toNode,
    to_pin: toPin,
    ...(mode === 'best_effort' ? { mode } : {}),
  };
}

/** Expands one node's `needs` into connections, following StreamKit's pin rules. */
export function needsToConnections(nodeId: string, needs: z.infer<typeof NeedsSchema>): Connection[] {
  if (typeof needs === 'string' || (typeof needs === 'object' && !Array.isArray(needs) && 'node' in needs)) {
    return [refToConnection(needs as NeedsRefValue, nodeId, DEFAULT_INPUT_PIN)];
  }
  if (Array.isArray(needs)) {
    if (needs.length === 1) return [refToConnection(needs[0] as NeedsRefValue, nodeId, DEFAULT_INPUT_PIN)];
    return needs.map((ref, i) => refToConnection(ref, nodeId, `${DEFAULT_INPUT_PIN}_${i}`));
  }
  return Object.entries(needs).map(([pin, ref]) => refToConnection(ref, nodeId, pin));
}

/** The three written forms, told apart by their keys. */
type DocumentForm = 'steps' | 'flat' | 'dag';

function formOf(value: unknown): DocumentForm {
  const isObject = typeof value === 'object' && value !== null && !Array.isArray(value);
  return isObject && 'steps' in value ? 'steps' : isObject && 'connections' in value ? 'flat' : 'dag';
}

const FORM_SCHEMAS = { steps: StepsDocumentSchema, flat: FlatDocumentSchema, dag: DagDocumentSchema } as const;

/** Turns a validated document into the flat form. */
export function compileDocument(doc: PipelineDocument): Pipeline {
  const extra: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(doc)) if (!KNOWN_KEYS.has(key)) extra[key] = value;
  const mode = doc.mode ?? DEFAULT_MODE;
  const nodes: Pipeline['nodes'] = {};
  let connections: Connection[] = [];

  const form = formOf(doc);
  if (form === 'steps') {
    (doc as z.infer<typeof StepsDocumentSchema>).steps.forEach((step, i) => {
      nodes[`step_${i}`] = { kind: step.kind, ...(step.params !== undefined ? { params: step.params } : {}) };
      if (i > 0) connections.push(refToConnection(`step_${i - 1}`, `step_${i}`, DEFAULT_INPUT_PIN));
    });
  } else if (form === 'flat') {
    const flat = doc as z.infer<typeof FlatDocumentSchema>;
    for (const [id, entry] of Object.entries(flat.nodes)) nodes[id] = { ...entry };
    connections = flat.connections.map((c) => ({ ...c }));
  } else {
    for (const [id, entry] of Object.entries((doc as z.infer<typeof DagDocumentSchema>).nodes)) {
      nodes[id] = { kind: entry.kind, ...(entry.params !== undefined ? { params: entry.params } : {}) };
      if (entry.needs !== undefined) connections.push(...needsToConnections(id, entry.needs));
    }
  }

  // StreamKit: a mixer in a non-dynamic pipeline learns num_inputs from its edge count.
  if (mode !== 'dynamic') {
    const edgesInto = new Map<string, number>();
    for (const c of connections) edgesInto.set(c.to_node, (edgesInto.get(c.to_node) ?? 0) + 1);
    for (const [id, node] of Object.entries(nodes)) {
      if (node.kind !== MIXER_KIND) continue;
      const edges = edgesInto.get(id) ?? 0;
      const params = (node.params ?? {}) as Record<string, unknown>;
      if (edges > 1 && typeof params === 'object' && (params.num_inputs === undefined || params.num_inputs === null)) {
        node.params = { ...params, num_inputs: edges };
      }
    }
  }

  // StreamKit: with several http_inputs, each one's upload field defaults to its node id.
  const httpInputs = Object.entries(nodes).filter(([, n]) => n.kind === HTTP_INPUT_KIND);
  if (httpInputs.length > 1) {
    for (const [id, node] of httpInputs) {
      const params = (node.params ?? {}) as Record<string, unknown>;
      if (typeof params === 'object' && params.field === undefined && params.fields === undefined) {
        node.params = { ...params, field: id };
      }
    }
  }

  return {
    ...(doc.name !== undefined ? { name: doc.name } : {}),
    ...(doc.description !== undefined ? { description: doc.description } : {}),
    mode,
    nodes,
    connections,
    ...(Object.keys(extra).length > 0 ? { extra } : {}),
  };
}

function schemaIssues(error: z.ZodError, source: SourceMap): Issue[] {
  // A union failure lists each branch; report the branch that got furthest, once per path.
  const flat: z.core.$ZodIssue[] = [];
  const collect = (issues: readonly z.core.$ZodIssue[], prefix: PropertyKey[]): void => {
    for (const issue of issues) {
      if (issue.code === 'invalid_union' && issue.errors.length > 0) {
        const best = [...issue.errors].sort((a, b) => branchScore(b) - branchScore(a))[0] ?? [];
        collect(best, [...prefix, ...issue.path]);
      } else if (issue.code === 'invalid_key' && issue.issues[0]) {
        flat.push({
          ...issue,
          message: `'${String(issue.path.at(-1))}': ${issue.issues[0].message}`,
          path: [...prefix, ...issue.path],
        });
      } else {
        flat.push({ ...issue, path: [...prefix, ...issue.path] });
      }
    }
  };
  collect(error.issues, []);
  const seen = new Set<string>();
  const issues: Issue[] = [];
  for (const issue of flat) {
    const path = zodPath(issue.path);
    const id = `${path.join('.')}|${issue.message}`;
    if (seen.has(id)) continue;
    seen.add(id);
    const node = path[0] === 'nodes' && typeof path[1] === 'string' ? path[1] : undefined;
    const key = issue.code === 'unrecognized_keys' ? issue.keys.slice(0, 1) : [];
    const position = source.positionOf([...path, ...key]);
    issues.push({
      code: 'schema',
      severity: 'error',
      message: issue.message,
      ...(node ? { node } : {}),
      ...(path.length > 0 ? { param: path.join('.') } : {}),
      hint: hintForSchemaIssue(issue, path),
      ...(position ? { position } : {}),
    });
  }
  return issues;
}

/** How far a union branch got: a wrong type at its root means it was not the branch the author meant. */
function branchScore(issues: readonly z.core.$ZodIssue[]): number {
  const score = (i: z.core.$ZodIssue): number => {
    if (i.code === 'invalid_type' && i.path.length === 0) return 0;
    if (i.code === 'unrecognized_keys') return i.path.length + 0.5;
    if (i.code === 'custom') return i.path.length + 2;
    return i.path.length + 1;
  };
  return Math.max(0, ...issues.map(score));
}

function hintForSchemaIssue(issue: z.core.$ZodIssue, path: (string | number)[]): string {
  if (issue.code === 'unrecognized_keys') {
    const where = path.length === 0 ? 'the top level' : path.join('.');
    return `remove ${issue.keys.map((k) => `'${k}'`).join(', ')} from ${where}; a node entry takes kind, params and needs`;
  }
  if (path.length === 0)
    return "a pipeline has either 'steps:' (a list) or 'nodes:' (a map of id → {kind, params, needs})";
  if (path.includes('needs'))
    return "needs is a node id, 'node.pin', {node, mode}, a list of those, or a map pin → source";
  if (path.at(-1) === 'mode') return "mode is 'oneshot' or 'dynamic' (edges: 'reliable' or 'best_effort')";
  return 'see the pipeline format in README.md';
}

/** Problems of size and shape that are refused before the schema looks at the document. */
function preflight(value: unknown, source: SourceMap): Issue[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [];
  const doc = value as Record<string, unknown>;
  const issues: Issue[] = [];
  const forms = ['steps', 'nodes'].filter((k) => k in doc);
  if (forms.length > 1) {
    const position = source.positionOf(['nodes']);
    issues.push({
      code: 'schema',
      severity: 'error',
      message: "the document has both 'steps:' and 'nodes:'; it is not clear which pipeline is meant",
      param: 'nodes',
      hint: "keep one: 'steps:' for a linear chain, or 'nodes:' for a graph",
      ...(position ? { position } : {}),
    });
  }
  if ('steps' in doc && 'connections' in doc) {
    issues.push({
      code: 'schema',
      severity: 'error',
      message: "'connections:' goes with 'nodes:', not with 'steps:' (steps are chained in order)",
      param: 'connections',
      hint: "remove 'connections:', or write the pipeline as 'nodes:' + 'connections:'",
    });
  }
  const nodes = doc.nodes;
  const count =
    typeof nodes === 'object' && nodes !== null
      ? Object.keys(nodes).length
      : Array.isArray(doc.steps)
        ? doc.steps.length
        : 0;
  if (count > MAX_NODES) {
    issues.push({
      code: 'too_large',
      severity: 'error',
      message: `the pipeline has ${count} nodes; the limit is ${MAX_NODES}`,
      hint: 'split the work into several pipelines',
    });
  }
  return issues;
}

/** Checks an already-parsed value (e.g. JSON from an API) against the format and compiles it. */
export function validateDocument(value: unknown, source: SourceMap = NO_SOURCE): Pipeline {
  const refused = preflight(value, source);
  if (refused.length > 0) throw new PipelineError(refused);
  // Choose the form by its key, so errors speak about the form the author meant.
  const result = FORM_SCHEMAS[formOf(value)].safeParse(value);
  if (!result.success) throw new PipelineError(schemaIssues(result.error, source));
  return compileDocument(result.data);
}

/** JSON Schema of the pipeline document, generated from the zod schema (for editors). */
export function pipelineJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(PipelineDocumentSchema, { unrepresentable: 'any', io: 'input' });
}

/**
 * Returns `pipeline` with per-node param overrides merged in (`weft run --set node.param=value`).
 * Throws a `RangeError` naming an override's node when the pipeline has no such node.
 */
export function overrideParams(pipeline: Pipeline, overrides: Record<string, Record<string, unknown>>): Pipeline {
  const nodes = { ...pipeline.nodes };
  for (const [id, params] of Object.entries(overrides)) {
    const node = nodes[id];
    if (!node) throw new RangeError(`--set names node '${id}', which the pipeline does not have`);
    const current =
      typeof node.params === 'object' && node.params !== null ? (node.params as Record<string, unknown>) : {};
    nodes[id] = { ...node, params: { ...current, ...params } };
  }
  return { ...pipeline, nodes };
}
