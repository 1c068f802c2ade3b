/**
 * Compile pass 1: each node's kind, mode, host services and params. A node that passes becomes a
 * `GraphNode` with its pins resolved for its params; one that fails is reported and marked broken.
 */
import type { z } from 'zod';
import type { Issue } from './errors';
import { clip } from './errors';
import type { SourceMap } from './format';
import { NO_SOURCE } from './format';
import type { CompileContext, GraphNode } from './graph-types';
import type { AnyNodeDefinition } from './node';
import { HOST_SERVICE_NAMES, resolvePins } from './node';
import { nearestNames } from './registry';

/** Unknown kinds and node ids get "did you mean" hints up to this many times per compile. */
export const MAX_SUGGESTIONS = 20;

/** Formats a zod issue's expectation for a hint. */
function expectation(issue: z.core.$ZodIssue, known: readonly string[]): string {
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${issue.expected}`;
    case 'too_small':
      return `expected ${issue.inclusive === false ? '>' : '≥'} ${String(issue.minimum)}`;
    case 'too_big':
      return `expected ${issue.inclusive === false ? '<' : '≤'} ${String(issue.maximum)}`;
    case 'invalid_value':
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'unrecognized_keys':
      return known.length > 0 ? `known params: ${known.join(', ')}` : 'this node takes no params';
    default:
      return issue.message;
  }
}

function knownParams(definition: AnyNodeDefinition): string[] {
  // An object schema, or a pipe whose input is one (params normalised by a transform).
  const schema = definition.params as unknown as { shape?: object; in?: { shape?: object } };
  const shape = schema.shape ?? schema.in?.shape;
  return shape ? Object.keys(shape) : [];
}

/** Parses a node's params with its schema, turning failures into issues. */
export function parseParams(
  nodeId: string,
  definition: AnyNodeDefinition,
  raw: unknown,
  source: SourceMap = NO_SOURCE,
): { ok: true; params: unknown } | { ok: false; issues: Issue[] } {
  const result = definition.params.safeParse(raw ?? {});
  if (result.success) return { ok: true, params: result.data };
  const known = knownParams(definition);
  const issues = result.error.issues.map((issue): Issue => {
    const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
    const keys = issue.code === 'unrecognized_keys' ? issue.keys.map((k) => clip(k)) : [];
    const param = [...path.map((p) => clip(String(p))), ...keys.slice(0, 1)].join('.');
    const position = source.positionOf([...source.nodePath(nodeId), 'params', ...path, ...keys.slice(0, 1)]);
    let hint = expectation(issue, known);
    if (keys.length > 0) {
      const near = nearestNames(keys[0] ?? '', known, 1)[0];
      if (near) hint = `did you mean '${near}'? ${hint}`;
    }
    return {
      code: 'invalid_param',
      severity: 'error',
      node: nodeId,
      ...(param ? { param } : {}),
      message:
        issue.code === 'unrecognized_keys'
          ? `unknown param${keys.length > 1 ? 's' : ''} ${keys.map((k) => `'${k}'`).join(', ')} for ${definition.kind}`
          : `param '${param || '(params)'}' of ${definition.kind}: ${clip(issue.message, 200)}`,
      hint,
      ...(position ? { position } : {}),
    };
  });
  return { ok: false, issues };
}

/** Pass 1: kinds, modes, host services and params of every node. */
export function resolveNodes(ctx: CompileContext): void {
  const { pipeline, registry, issues } = ctx;
  for (const [id, entry] of Object.entries(pipeline.nodes)) {
    const definition = registry.get(entry.kind);
    if (!definition) {
      const near = ctx.suggestions++ < MAX_SUGGESTIONS ? registry.suggest(entry.kind) : [];
      issues.push({
        code: 'unknown_kind',
        severity: 'error',
        node: id,
        message: `unknown node kind '${clip(entry.kind)}'`,
        hint: near.length > 0 ? `did you mean ${near.map((n) => `'${n}'`).join(', ')}?` : 'see `weft nodes`',
        ...ctx.at(id, 'kind'),
      });
      ctx.broken.add(id);
      continue;
    }
    const modes = definition.modes ?? 'both';
    if (modes !== 'both' && modes !== ctx.mode) {
      issues.push({
        code: 'mode',
        severity: 'error',
        node: id,
        message: `${definition.kind} runs only in ${modes} pipelines, and this pipeline is ${ctx.mode}`,
        hint: modes === 'oneshot' ? "set 'mode: oneshot'" : "set 'mode: dynamic' (or leave mode out)",
        ...ctx.at(id, 'kind'),
      });
    }
    const missing = ctx.host ? (definition.requires ?? []).filter((s) => !ctx.host?.services.includes(s)) : [];
    if (ctx.host && missing.length > 0) {
      issues.push({
        code: 'unsupported_host',
        severity: 'error',
        node: id,
        message: `${definition.kind} needs ${missing.map((s) => HOST_SERVICE_NAMES[s]).join(' and ')}, which ${ctx.host.name} cannot offer`,
        hint:
          ctx.host.hints?.[missing[0] ?? 'openInput'] ?? 'run this pipeline where the node can work (the studio tab)',
        ...ctx.at(id, 'kind'),
      });
    }
    const parsed = parseParams(id, definition, entry.params, ctx.source);
    if (!parsed.ok) {
      issues.push(...parsed.issues);
      ctx.broken.add(id);
      continue;
    }
    const node: GraphNode = {
      id,
      kind: definition.kind,
      definition,
      params: parsed.params,
      inputSpecs: resolvePins(definition.inputs, parsed.params),
      outputSpecs: resolvePins(definition.outputs, parsed.params),
      inputTypes: new Map(),
      outputTypes: new Map(),
    };
    ctx.nodes.set(id, node);
  }
}
