/**
 * Live (dynamic) sessions inside the headless engine Worker: each is an engine `Session` driven by
 * StreamKit's control messages, its events mapped to StreamKit's WebSocket shapes and relayed to
 * the server. Runs in the browser (the engine Worker).
 */
import type { NodeHost, NodeRegistry, NodeState, NodeStats, SessionEvent } from '../engine';
import { PipelineError, Session, formatIssue, parsePipeline } from '../engine';
import type { PageEvent, SessionOpenResult, SessionWireEvent, WireNodeState } from './protocol';
import { SESSION_HOST } from './protocol';

/** How often a live session publishes node statistics. */
export const SESSION_STATS_INTERVAL_MS = 2_000;

/** StreamKit's name for an engine node state. */
export function wireState(state: NodeState, error?: { message: string }, removed = false): WireNodeState {
  switch (state) {
    case 'initializing':
      return 'Initializing';
    case 'running':
    case 'flushing':
      return 'Running';
    case 'done':
      return { Stopped: { reason: removed ? 'shutdown' : 'completed' } };
    case 'failed':
      return { Failed: { reason: error?.message ?? 'the node failed' } };
  }
}

/** StreamKit's statistics from the engine's, `since` the node started (ms on `performance.now`). */
export function wireStats(
  stats: NodeStats,
  seconds: number,
): Extract<SessionWireEvent, { event: 'nodestatsupdated' }>['stats'] {
  return {
    received: stats.packets_in,
    sent: stats.packets_out,
    discarded: stats.dropped,
    errored: stats.errors,
    duration_secs: Math.max(0, seconds),
  };
}

interface Live {
  session: Session;
  started: Map<string, number>;
  stopped: Set<string>;
}

/** The live sessions of one engine Worker. */
export class LiveSessions {
  readonly #sessions = new Map<string, Live>();
  readonly #registry: NodeRegistry;
  readonly #host: NodeHost;

  constructor(registry: NodeRegistry, host: NodeHost) {
    this.#registry = registry;
    this.#host = host;
  }

  /** Starts session `id`; its events go to `report`; `extra` adds to (and wins over) the Worker's host services. */
  open(id: string, text: string, report: (event: PageEvent) => void, extra: NodeHost = {}): SessionOpenResult {
    if (this.#sessions.has(id)) return { ok: false, error: { code: 'conflict', message: `session ${id} is open` } };
    let session: Session;
    try {
      const { pipeline, source } = parsePipeline(text);
      session = new Session(
        { ...pipeline, mode: 'dynamic' },
        {
          registry: this.#registry,
          host: { ...this.#host, ...extra },
          hostProfile: SESSION_HOST,
          source,
          statsIntervalMs: SESSION_STATS_INTERVAL_MS,
        },
      );
    } catch (error) {
      const message =
        error instanceof PipelineError ? error.issues.map(formatIssue).join('; ') : (error as Error).message;
      return { ok: false, error: { code: 'invalid_pipeline', message } };
    }
    const live: Live = { session, started: new Map(), stopped: new Set() };
    this.#sessions.set(id, live);
    const send = (event: SessionWireEvent): void => report({ type: 'session', id, event });
    session.on((event) => {
      const wire = toWire(event, live);
      if (wire) send(wire);
    });
    session.start();
    void session.result().then((result) => {
      if (!this.#sessions.has(id)) return; // closed on request: the server already knows
      this.#sessions.delete(id);
      const reason =
        result.state === 'failed'
          ? `the session failed: ${result.error?.message ?? 'unknown error'}`
          : `the session ended (${result.state})`;
      send({ event: 'sessionended', reason });
    });
    return { ok: true };
  }

  /** One control request; answers in StreamKit's response shape. */
  control(id: string, request: unknown): unknown {
    const live = this.#sessions.get(id);
    if (!live) return { action: 'error', message: `Session '${id}' not found` };
    const answer = live.session.handle(request);
    if (answer.action === 'pipeline') return { action: 'pipeline', pipeline: wirePipeline(live) };
    // Nodes stopped on request end as `Stopped: shutdown`, not `completed` (their state changes later).
    const applied = answer.action === 'success' || (answer.action === 'batchapplied' && answer.success);
    if (applied && isShutdown(request)) live.stopped.add(request.node_id);
    if (applied && isRemoval(request)) for (const nodeId of removedNodes(request)) live.stopped.add(nodeId);
    return answer;
  }

  /** Stops session `id` and waits until its nodes have closed. */
  async close(id: string): Promise<void> {
    const live = this.#sessions.get(id);
    if (!live) return;
    this.#sessions.delete(id);
    live.session.stop();
    await live.session.result();
  }
}

/** The running pipeline with StreamKit's node states. */
function wirePipeline(live: Live): unknown {
  const pipeline = live.session.pipeline();
  const errors = new Map(Object.entries(live.session.nodeErrors()));
  const nodes = Object.fromEntries(
    Object.entries(pipeline.nodes).map(([id, node]) => [
      id,
      {
        ...node,
        params: node.params ?? null,
        state: wireState(node.state ?? 'initializing', errors.get(id), live.stopped.has(id)),
      },
    ]),
  );
  return { ...pipeline, nodes };
}

function toWire(event: SessionEvent, live: Live): SessionWireEvent | undefined {
  switch (event.event) {
    case 'nodestatechanged': {
      if (event.state === 'initializing') live.started.set(event.node_id, performance.now());
      const removed = live.stopped.has(event.node_id);
      return { event: 'nodestatechanged', node_id: event.node_id, state: wireState(event.state, event.error, removed) };
    }
    case 'nodestatsupdated': {
      const since = live.started.get(event.node_id) ?? performance.now();
      return {
        event: 'nodestatsupdated',
        node_id: event.node_id,
        stats: wireStats(event.stats, (performance.now() - since) / 1000),
      };
    }
    case 'nodetelemetry':
      return { event: 'nodetelemetry', node_id: event.node_id, type_id: event.type_id, data: event.data };
    case 'nodeadded':
      return { event: 'nodeadded', node_id: event.node_id, kind: event.kind, params: event.params ?? null };
    case 'noderemoved':
      return { event: 'noderemoved', node_id: event.node_id };
    case 'nodeparamschanged':
      return { event: 'nodeparamschanged', node_id: event.node_id, params: event.params };
    case 'connectionadded':
    case 'connectionremoved':
      return {
        event: event.event,
        from_node: event.from_node,
        from_pin: event.from_pin,
        to_node: event.to_node,
        to_pin: event.to_pin,
      };
    case 'sessionstatechanged':
      return undefined; // the session's end is reported once, as `sessionended`
  }
}

function isShutdown(request: unknown): request is { node_id: string } {
  const r = request as { action?: unknown; node_id?: unknown; message?: unknown } | null;
  return r?.action === 'tunenode' && r.message === 'Shutdown' && typeof r.node_id === 'string';
}

function isRemoval(request: unknown): boolean {
  const action = (request as { action?: unknown } | null)?.action;
  return action === 'removenode' || action === 'applybatch';
}

function removedNodes(request: unknown): string[] {
  const r = request as { action?: unknown; node_id?: unknown; operations?: unknown };
  const ops = r.action === 'applybatch' && Array.isArray(r.operations) ? (r.operations as unknown[]) : [r];
  return ops
    .map((op) => op as { action?: unknown; node_id?: unknown })
    .filter((op) => op.action === 'removenode' && typeof op.node_id === 'string')
    .map((op) => op.node_id as string);
}
