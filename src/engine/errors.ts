/**
 * Errors say where. A `NodeError` names the node, its kind, the pin and the phase; a
 * `PipelineError` carries every problem found in a pipeline at once, each with a hint.
 */

/** The phase of a node's life in which something went wrong. */
export type Phase = 'validate' | 'negotiate' | 'start' | 'run' | 'flush' | 'close';

/** What a `NodeError` knows about where it happened. */
export interface NodeErrorContext {
  nodeId: string;
  kind: string;
  pin?: string;
  phase: Phase;
  cause?: unknown;
}

function describeCause(cause: unknown): string {
  if (cause instanceof Error) return cause.message;
  if (typeof cause === 'string') return cause;
  try {
    return JSON.stringify(cause);
  } catch {
    return String(cause);
  }
}

/** Longest piece of untrusted input quoted back in a message. */
export const MAX_QUOTED_CHARS = 80;

/**
 * Untrusted text for a message: control characters escaped and cut to `max` characters, so an
 * error never echoes a megabyte of input (or a terminal escape) back.
 */
export function clip(text: string, max = MAX_QUOTED_CHARS): string {
  const head = text.length > max ? text.slice(0, max) : text;
  // eslint-disable-next-line no-control-regex
  const clean = head.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return text.length > max ? `${clean}… (${text.length} chars)` : clean;
}

/** `[kind#id:pin]` — the prefix every node-scoped message starts with. */
export function nodeLabel(kind: string, nodeId: string, pin?: string): string {
  return `[${kind}#${nodeId}${pin ? `:${pin}` : ''}]`;
}

/** An error raised by (or about) one node; its message starts with `[kind#id:pin]`. */
export class NodeError extends Error {
  override readonly name = 'NodeError';
  readonly nodeId: string;
  readonly kind: string;
  readonly pin: string | undefined;
  readonly phase: Phase;

  constructor(context: NodeErrorContext, message?: string) {
    const text = message ?? describeCause(context.cause);
    super(`${nodeLabel(context.kind, context.nodeId, context.pin)} ${context.phase}: ${text}`, {
      cause: context.cause,
    });
    this.nodeId = context.nodeId;
    this.kind = context.kind;
    this.pin = context.pin;
    this.phase = context.phase;
  }

  /** A JSON shape for APIs and the studio. */
  toJSON(): {
    message: string;
    node: string;
    kind: string;
    pin?: string;
    phase: Phase;
  } {
    return {
      message: this.message,
      node: this.nodeId,
      kind: this.kind,
      ...(this.pin ? { pin: this.pin } : {}),
      phase: this.phase,
    };
  }
}

/** Machine-readable problem codes found by parsing and validation. */
export type IssueCode =
  | 'syntax'
  | 'schema'
  | 'duplicate_id'
  | 'unknown_kind'
  | 'unknown_node'
  | 'unknown_pin'
  | 'type_mismatch'
  | 'missing_input'
  | 'cardinality'
  | 'invalid_param'
  | 'cycle'
  | 'mode'
  | 'not_tunable'
  | 'empty'
  | 'unsupported_host'
  | 'too_large'
  | 'forbidden_path'
  | 'forbidden_object_store'
  | 'forbidden_secret';

/** A position in a pipeline's source text, 1-based. */
export interface SourcePosition {
  line: number;
  col: number;
}

/** One problem in a pipeline, with where it is and what to do about it. */
export interface Issue {
  code: IssueCode;
  severity: 'error' | 'warning';
  message: string;
  /** Node id the problem concerns. */
  node?: string;
  /** Pin name the problem concerns. */
  pin?: string;
  /** Dotted path of a param within the node's params, or of a key in the document. */
  param?: string;
  /** What the user can do about it. */
  hint?: string;
  /** Where in the source text, when the pipeline came from text. */
  position?: SourcePosition;
}

/** Formats an issue as one line: `line:col [node:pin] message (hint)`. */
export function formatIssue(issue: Issue): string {
  const where = issue.position ? `${issue.position.line}:${issue.position.col} ` : '';
  const subject = issue.node
    ? `[${issue.node}${issue.pin ? `:${issue.pin}` : ''}${issue.param ? ` ${issue.param}` : ''}] `
    : issue.param
      ? `[${issue.param}] `
      : '';
  const hint = issue.hint ? ` (hint: ${issue.hint})` : '';
  return `${where}${subject}${issue.message}${hint}`;
}

/** A pipeline that could not be parsed or compiled; `issues` lists every problem found. */
export class PipelineError extends Error {
  override readonly name = 'PipelineError';
  readonly issues: readonly Issue[];

  constructor(issues: readonly Issue[]) {
    const errors = issues.filter((i) => i.severity === 'error');
    const shown = errors.length > 0 ? errors : issues;
    super(
      `invalid pipeline: ${shown.length} problem${shown.length === 1 ? '' : 's'}\n` +
        shown.map((i) => `  - ${formatIssue(i)}`).join('\n'),
    );
    this.issues = issues;
  }
}

/** The reason given to an `AbortController` when a run is canceled by its owner. */
export class CanceledError extends Error {
  override readonly name = 'CanceledError';
}

/** True for the rejections an aborted signal produces, which are not node failures. */
export function isAbortReason(error: unknown, signal: AbortSignal): boolean {
  return signal.aborted && (error === signal.reason || (error instanceof Error && error.name === 'AbortError'));
}
