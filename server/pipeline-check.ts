/**
 * Validating a submitted pipeline and binding its job inputs: the checks `/validate`, `/jobs`,
 * `/process` and `weft run` share, so each reports problems the same way.
 */
import type { ObjectStore } from './object-store';
import type { ScriptFetch } from './script-fetch';
import type { HostProfile, Issue, NodeRegistry, Pipeline } from '../src/engine';
import { checkPipelineText, formatIssue, parsePipeline } from '../src/engine';
import { HEADLESS_HOST, SESSION_HOST } from '../src/headless/protocol';
import { jobIo } from '../src/nodes';
import type { FileAccess } from '../src/headless/file-access';

/** A pipeline that parsed and compiled, or every problem found. */
export type CheckResult = { ok: true; pipeline: Pipeline; issues: Issue[] } | { ok: false; issues: Issue[] };

/** Where a pipeline runs on the server: a dynamic one as a live session, a oneshot one as a job. */
function hostFor(text: string): HostProfile {
  try {
    return parsePipeline(text).pipeline.mode === 'dynamic' ? SESSION_HOST : HEADLESS_HOST;
  } catch {
    return HEADLESS_HOST; // unparsable: checkPipelineText reports why
  }
}

/** Parses and compiles `text` for the headless pages that will run it (job or live session). */
export function checkPipeline(text: string, registry: NodeRegistry): CheckResult {
  const { pipeline, issues, valid } = checkPipelineText(text, registry, { host: hostFor(text) });
  return pipeline && valid ? { ok: true, pipeline, issues } : { ok: false, issues };
}

/**
 * Checks `text` as a job: a oneshot pipeline (it ends when its inputs end). A dynamic pipeline runs
 * until it is stopped, so it is a live session, not a job.
 */
export function checkJobPipeline(text: string, registry: NodeRegistry): CheckResult {
  const check = checkPipeline(text, registry);
  if (!check.ok || check.pipeline.mode === 'oneshot') return check;
  const issue: Issue = {
    code: 'mode',
    severity: 'error',
    param: 'mode',
    message:
      "this pipeline is dynamic ('mode: dynamic', or no mode, which is StreamKit's default): it runs until it is stopped, so it runs as a live session, not as a job",
    hint: "set 'mode: oneshot' for a job that ends when its inputs end",
  };
  return { ok: false, issues: [issue, ...check.issues] };
}

/** The API error for a failed check: the first problem's node/pin/param, every problem listed. */
export function issuesError(issues: Issue[]): {
  code: string;
  message: string;
  node?: string;
  pin?: string;
  param?: string;
  issues: Issue[];
} {
  const errors = issues.filter((i) => i.severity === 'error');
  const first = errors[0];
  return {
    code: 'invalid_pipeline',
    message: `invalid pipeline: ${errors.map(formatIssue).join('; ')}`,
    ...(first?.node ? { node: first.node } : {}),
    ...(first?.pin ? { pin: first.pin } : {}),
    ...(first?.param ? { param: first.param } : {}),
    issues,
  };
}

/** Checks the given input names against what the pipeline reads; returns a message when they do not fit. */
export function bindInputs(pipeline: Pipeline, given: readonly string[]): string | undefined {
  const { inputs } = jobIo(pipeline);
  const expected = inputs.map((i) => i.name);
  const unexpected = given.filter((name) => !expected.includes(name));
  if (unexpected.length > 0) {
    return `unexpected input${unexpected.length > 1 ? 's' : ''} ${unexpected.map((n) => `'${n}'`).join(', ')}; the pipeline reads ${expected.length ? expected.map((n) => `'${n}'`).join(', ') : 'no inputs'}`;
  }
  const missing = inputs.filter((i) => i.required && !given.includes(i.name));
  if (missing.length > 0) {
    return `missing required input${missing.length > 1 ? 's' : ''} ${missing.map((i) => `'${i.name}' (node ${i.node})`).join(', ')}`;
  }
  return undefined;
}

/** Parses `NODE.PARAM=VALUE` overrides; VALUE is read as JSON when it parses, else as a string. */
export function parseOverrides(list: readonly string[]): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const item of list) {
    const match = /^([^.=\s]+)\.([^=\s]+)=(.*)$/s.exec(item);
    if (!match) throw new Error(`--set '${item}' is not NODE.PARAM=VALUE`);
    const [, node = '', param = '', raw = ''] = match;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      value = raw; // plain strings need no quotes
    }
    (out[node] ??= {})[param] = value;
  }
  return out;
}

/** The params that name server files, and whether each is read or written. */
const FILE_PARAMS: Record<string, { param: string; how: 'read' | 'write' }> = {
  'core::file_reader': { param: 'path', how: 'read' },
  'core::file_writer': { param: 'path', how: 'write' },
  'core::script': { param: 'script_path', how: 'read' },
};

/** The first file path of `pipeline` that `files` does not allow, as an issue naming node and param. */
export function filePathIssue(pipeline: Pipeline, files: FileAccess): Issue | undefined {
  return fileRefIssue(
    Object.entries(pipeline.nodes).map(([id, node]) => ({ id, ...node })),
    files,
  );
}

/** The first file path of `nodes` that `files` does not allow (any file path, without `files`). */
export function fileRefIssue(
  nodes: readonly { id: string; kind: string; params?: unknown }[],
  files: FileAccess | undefined,
): Issue | undefined {
  for (const { id, ...node } of nodes) {
    const spec = FILE_PARAMS[node.kind];
    const value = spec && (node.params as Record<string, unknown> | undefined)?.[spec.param];
    if (!spec || typeof value !== 'string') continue;
    const problem = !files
      ? 'this server lets live sessions use no files'
      : spec.how === 'read'
        ? files.readProblem(value)
        : files.writeProblem(value);
    if (problem) return { code: 'forbidden_path', severity: 'error', node: id, param: spec.param, message: problem };
  }
  return undefined;
}

/**
 * The first `core::object_store_writer` of `nodes` that may not run here: a secret the server does
 * not share, an endpoint it may not reach, or no object storage at all (`store` absent).
 */
export function objectStoreIssue(
  nodes: readonly { id: string; kind: string; params?: unknown }[],
  store: ObjectStore | undefined,
): Issue | undefined {
  for (const { id, kind, params } of nodes) {
    if (kind !== 'core::object_store_writer') continue;
    const problem = store
      ? store.problem((params ?? {}) as Record<string, unknown>)
      : 'this host writes to no object storage';
    if (problem) {
      const param = /secret/.test(problem) ? 'access_key_id_env' : 'endpoint';
      return { code: 'forbidden_object_store', severity: 'error', node: id, param, message: problem };
    }
  }
  return undefined;
}

/** A pipeline's nodes as a list. */
export function nodeRefs(pipeline: Pipeline): { id: string; kind: string; params?: unknown }[] {
  return Object.entries(pipeline.nodes).map(([id, node]) => ({ id, ...node }));
}

/** The first `core::script` whose `headers` name a secret this host does not share (none shared without `fetch`). */
export function scriptSecretIssue(
  nodes: readonly { id: string; kind: string; params?: unknown }[],
  fetch: ScriptFetch | undefined,
): Issue | undefined {
  for (const { id, kind, params } of nodes) {
    if (kind !== 'core::script') continue;
    const headers = (params as { headers?: unknown } | undefined)?.headers;
    if (!Array.isArray(headers) || headers.length === 0) continue;
    const problem = fetch
      ? fetch.problem(headers as { secret?: unknown }[])
      : 'this host gives scripts no network access, so no secrets for fetch() headers';
    if (problem) return { code: 'forbidden_secret', severity: 'error', node: id, param: 'headers', message: problem };
  }
  return undefined;
}
