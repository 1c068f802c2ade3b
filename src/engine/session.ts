/**
 * A session runs a compiled graph: every node as its own task, edges as bounded queues.
 * Oneshot sessions complete when every node has finished; dynamic sessions run until stopped
 * and accept live changes (add/remove nodes, connect/disconnect, tune, atomic batches).
 */
import type { BatchOperation, ControlResponse } from './control';
import type { Issue, NodeError } from './errors';
import { CanceledError, PipelineError } from './errors';
import type { Pipeline, SourceMap } from './format';
import type { Graph, GraphNode, HostProfile } from './graph';
import { compileGraph, parseParams } from './graph';
import type { NodeHost, NodeTelemetry } from './node';
import type { Packet } from './packets';
import type { NodeRegistry } from './registry';
import { FrameTracker } from './resources';
import type { NodeObserver, NodeState, NodeStats } from './runtime-node';
import { NodeRemovedError, RuntimeNode, checkEdgeType } from './runtime-node';
import { SessionServices } from './services';
import { candidatePipeline } from './session-batch';
import { handleControl } from './session-control';
import type { Clock } from './time';
import { systemClock } from './time';
import { startWatchdog } from './watchdog';

export { StalledError } from './watchdog';

/** A session's state, as in mediabunny's Conversion. */
export type SessionState = 'idle' | 'running' | 'canceled' | 'done' | 'failed';

/** How often node statistics are published while running. */
export const DEFAULT_STATS_INTERVAL_MS = 1_000;
/** A oneshot run in which no packet moves for this long is reported as stalled. */
export const DEFAULT_STALL_TIMEOUT_MS = 30_000;

/** Events a session publishes; names follow StreamKit's WebSocket events. */
export type SessionEvent =
  | { event: 'sessionstatechanged'; state: SessionState; error?: NodeError | Error }
  | { event: 'nodestatechanged'; node_id: string; state: NodeState; error?: NodeError }
  | { event: 'nodestatsupdated'; node_id: string; stats: NodeStats }
  | { event: 'nodetelemetry'; node_id: string; type_id: string; data: unknown }
  | { event: 'nodeadded'; node_id: string; kind: string; params: unknown }
  | { event: 'noderemoved'; node_id: string }
  | {
      event: 'connectionadded' | 'connectionremoved';
      from_node: string;
      from_pin: string;
      to_node: string;
      to_pin: string;
    }
  | { event: 'nodeparamschanged'; node_id: string; params: unknown };

/** Options for a session. */
export interface SessionOptions {
  registry: NodeRegistry;
  host?: NodeHost;
  clock?: Clock;
  /** Aborting it cancels the session. */
  signal?: AbortSignal;
  /** Stops the whole session on the first node failure. Default: true for oneshot, false for dynamic. */
  failFast?: boolean;
  statsIntervalMs?: number;
  /** Watchdog: fail a oneshot run when no packet moves for this long (0 disables). Default 30 s. */
  stallTimeoutMs?: number;
  /** Called for frames garbage-collected while still open (development aid). */
  onLeak?: (origin: string) => void;
  source?: SourceMap;
  /** Checks every node (at start and in live changes) against what this host offers. */
  hostProfile?: HostProfile;
}

/** How a finished session ended. */
export interface SessionResult {
  state: 'done' | 'failed' | 'canceled';
  error?: NodeError | Error;
  stats: Record<string, NodeStats>;
  /** Frames handed between nodes and never closed; 0 unless a node leaks. */
  openFrames: number;
}

type Listener = (event: SessionEvent) => void;

/** Sees packets as nodes send them (for previews and meters). The packet is lent: clone to keep it. */
export type PacketTap = (node: string, pin: string, packet: Packet) => void;

/** A running pipeline. */
export class Session {
  readonly mode: 'oneshot' | 'dynamic';
  #state: SessionState = 'idle';
  #model: Pipeline;
  readonly #registry: NodeRegistry;
  readonly #options: SessionOptions;
  readonly #clock: Clock;
  readonly #tracker: FrameTracker;
  readonly #abort = new AbortController();
  readonly #nodes = new Map<string, RuntimeNode>();
  readonly #listeners = new Set<Listener>();
  readonly #taps = new Set<PacketTap>();
  readonly #observer: NodeObserver;
  #failure: NodeError | Error | undefined;
  #finishAs: 'done' | 'canceled' | 'failed' | undefined;
  #statsTimer: ReturnType<typeof setInterval> | undefined;
  #stopWatchdog: (() => void) | undefined;
  readonly #services: SessionServices;
  #settled: Promise<SessionResult> | undefined;
  #resolveDone: (() => void) | undefined;

  /** Compiles `pipeline`; throws a `PipelineError` listing every problem. */
  constructor(pipeline: Pipeline, options: SessionOptions) {
    const { graph, issues } = compileGraph(pipeline, options.registry, {
      allowEmpty: true,
      ...(options.source ? { source: options.source } : {}),
      ...(options.hostProfile ? { host: options.hostProfile } : {}),
    });
    if (!graph) throw new PipelineError(issues);
    this.mode = graph.mode;
    this.#model = structuredClone(pipeline);
    this.#registry = options.registry;
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#tracker = new FrameTracker(options.onLeak ? { warnOnLeak: options.onLeak } : {});
    this.#services = new SessionServices(options.host ?? {});
    this.#observer = {
      state: (node, state, error) => this.#onNodeState(node, state, error),
      telemetry: (node, event: NodeTelemetry) =>
        this.#emit({ event: 'nodetelemetry', node_id: node.id, type_id: event.type_id, data: event.data }),
      tuneSibling: (_node, target, update) => this.tuneNode(target, update),
      packet: (node, pin, packet) => {
        for (const tap of this.#taps) {
          try {
            tap(node.id, pin, packet);
          } catch (error) {
            console.error(`weft: a packet tap on ${node.id}.${pin} failed`, error);
          }
        }
      },
    };
    for (const id of graph.order) {
      const g = graph.nodes.get(id);
      if (g) this.#nodes.set(id, this.#makeNode(g));
    }
    for (const c of graph.connections) this.#attach(c.from_node, c.from_pin, c.to_node, c.to_pin, c.mode);
    if (options.signal) {
      const signal = options.signal;
      if (signal.aborted) this.cancel(signal.reason);
      else signal.addEventListener('abort', () => this.cancel(signal.reason), { once: true });
    }
  }

  /** Current state. */
  get state(): SessionState {
    return this.#state;
  }

  /** Frames handed between nodes and not yet closed. */
  get openFrames(): number {
    return this.#tracker.openCount;
  }

  /** Adds a packet tap; returns the function that removes it. */
  tap(listener: PacketTap): () => void {
    this.#taps.add(listener);
    return () => this.#taps.delete(listener);
  }

  /** Subscribes to events; returns the unsubscribe function. */
  on(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Starts every node. Returns at once; `result()` settles when the session ends. */
  start(): void {
    if (this.#state !== 'idle') return;
    this.#setState('running');
    if (this.mode === 'oneshot') for (const node of this.#nodes.values()) node.sealUnconnectedInputs();
    for (const node of this.#nodes.values()) node.start();
    const interval = this.#options.statsIntervalMs ?? DEFAULT_STATS_INTERVAL_MS;
    if (interval > 0) this.#statsTimer = setInterval(() => this.#publishStats(), interval);
    const stall = this.#options.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS;
    if (stall > 0 && this.mode === 'oneshot') {
      this.#stopWatchdog = startWatchdog(
        this.#clock,
        stall,
        () => this.#nodes.values(),
        (error) => {
          this.#failure ??= error;
          this.#finishAs ??= 'failed';
          this.#abort.abort(error);
        },
      );
    }
    this.#settled = this.#watch();
  }

  /** Starts (if needed) and resolves with the outcome; never rejects. */
  result(): Promise<SessionResult> {
    this.start();
    return this.#settled as Promise<SessionResult>;
  }

  /** Runs to completion: resolves when done, rejects with the `NodeError` (or cancel reason) otherwise. */
  async run(): Promise<SessionResult> {
    const result = await this.result();
    if (result.state !== 'done') throw result.error ?? new CanceledError('session canceled');
    return result;
  }

  /** Cancels the session: every node is stopped and every queued frame closed. */
  cancel(reason: unknown = new CanceledError('session canceled')): void {
    if (this.#state === 'done' || this.#state === 'failed' || this.#state === 'canceled') return;
    this.#failure ??= reason instanceof Error ? reason : new CanceledError(String(reason));
    this.#finishAs = 'canceled';
    this.#abort.abort(reason);
    if (this.#state === 'idle') this.start();
  }

  /** Ends a dynamic session normally (StreamKit: destroy session). */
  stop(): void {
    if (this.#state !== 'running') return;
    this.#finishAs = 'done';
    this.#abort.abort(new CanceledError('session stopped'));
  }

  /** Statistics of every node. */
  stats(): Record<string, NodeStats> {
    const now = this.#clock.now();
    return Object.fromEntries([...this.#nodes].map(([id, n]) => [id, n.stats(now)]));
  }

  /** States of every node. */
  nodeStates(): Record<string, NodeState> {
    return Object.fromEntries([...this.#nodes].map(([id, n]) => [id, n.state]));
  }

  /** The errors of failed nodes, by node id. */
  nodeErrors(): Record<string, NodeError> {
    const out: Record<string, NodeError> = {};
    for (const [id, n] of this.#nodes) if (n.error) out[id] = n.error;
    return out;
  }

  /** The current pipeline (after live changes), with params as the nodes run them. */
  pipeline(): Pipeline & { nodes: Record<string, { kind: string; params?: unknown; state?: NodeState }> } {
    const model = structuredClone(this.#model);
    for (const [id, entry] of Object.entries(model.nodes)) {
      const node = this.#nodes.get(id);
      if (node) Object.assign(entry, { params: node.params, state: node.state });
    }
    return model;
  }

  // ---- dynamic control -------------------------------------------------------------------

  /** Checks a batch against the current pipeline without applying it. */
  validateBatch(operations: readonly BatchOperation[]): Issue[] {
    const candidate = candidatePipeline(this.#model, operations);
    if (candidate instanceof PipelineError) return [...candidate.issues];
    return this.#compile(candidate).issues;
  }

  /** Applies a batch atomically: all operations or none. Throws a `PipelineError` when refused. */
  applyBatch(operations: readonly BatchOperation[]): void {
    this.#requireDynamic();
    const candidate = candidatePipeline(this.#model, operations);
    if (candidate instanceof PipelineError) throw candidate;
    const { graph, issues } = this.#compile(candidate);
    if (!graph) throw new PipelineError(issues);
    for (const op of operations) this.#applyOne(op, graph);
    // Types resolved for new edges reach the running nodes (their `ctx.inputTypes`).
    for (const [id, node] of this.#nodes) {
      const compiled = graph.nodes.get(id);
      if (!compiled) continue;
      for (const [pin, type] of compiled.inputTypes) node.graphNode.inputTypes.set(pin, type);
      for (const [pin, type] of compiled.outputTypes) {
        if (!node.graphNode.outputTypes.has(pin)) node.graphNode.outputTypes.set(pin, type);
      }
    }
    this.#model = candidate;
  }

  /** Adds and starts a node. */
  addNode(node_id: string, kind: string, params?: unknown): void {
    this.applyBatch([{ action: 'addnode', node_id, kind, ...(params !== undefined ? { params } : {}) }]);
  }

  /** Stops and removes a node and its edges; downstream nodes keep running. */
  removeNode(node_id: string): void {
    this.applyBatch([{ action: 'removenode', node_id }]);
  }

  /** Connects two pins. */
  connect(
    from_node: string,
    from_pin: string,
    to_node: string,
    to_pin: string,
    mode?: 'reliable' | 'best_effort',
  ): void {
    this.applyBatch([{ action: 'connect', from_node, from_pin, to_node, to_pin, ...(mode ? { mode } : {}) }]);
  }

  /** Disconnects two pins; the downstream input stays open for a new edge. */
  disconnect(from_node: string, from_pin: string, to_node: string, to_pin: string): void {
    this.applyBatch([{ action: 'disconnect', from_node, from_pin, to_node, to_pin }]);
  }

  /** Changes live-tunable params of a running node; others are refused with the reason. */
  tuneNode(node_id: string, update: Record<string, unknown>): void {
    const node = this.#nodes.get(node_id);
    if (!node)
      throw new PipelineError([
        {
          code: 'unknown_node',
          severity: 'error',
          node: node_id,
          message: `no node '${node_id}' in this session`,
          hint: 'see getpipeline for node ids',
        },
      ]);
    const definition = node.graphNode.definition;
    const live = definition.liveParams ?? [];
    const refused = Object.keys(update).filter((k) => !live.includes(k));
    if (refused.length > 0) {
      throw new PipelineError(
        refused.map((param) => ({
          code: 'not_tunable',
          severity: 'error',
          node: node_id,
          param,
          message: `${node.kind} cannot change '${param}' while running`,
          hint:
            live.length > 0
              ? `live-tunable params: ${live.join(', ')}; change others by replacing the node`
              : `${node.kind} has no live-tunable params; replace the node instead`,
        })),
      );
    }
    const merged = { ...(node.params as Record<string, unknown>), ...update };
    const parsed = parseParams(node_id, definition, merged);
    if (!parsed.ok) throw new PipelineError(parsed.issues);
    node.tune(parsed.params);
    const entry = this.#model.nodes[node_id];
    if (entry) entry.params = { ...(entry.params ?? {}), ...update };
    this.#emit({ event: 'nodeparamschanged', node_id, params: parsed.params });
  }

  /** Handles one control request in StreamKit's message shape. */
  handle(request: unknown): ControlResponse {
    return handleControl(this, request);
  }

  /** True when the session has a node `node_id`. */
  hasNode(node_id: string): boolean {
    return this.#nodes.has(node_id);
  }

  /** Stops one node (StreamKit's `Shutdown` message); its edges stay, its outputs end. */
  shutdownNode(node_id: string): boolean {
    const node = this.#nodes.get(node_id);
    if (!node) return false;
    node.abort(new NodeRemovedError(`${node.kind}#${node.id} shut down by request`));
    return true;
  }

  // ---- internals ---------------------------------------------------------------------------

  #requireDynamic(): void {
    if (this.mode !== 'dynamic') {
      throw new PipelineError([
        {
          code: 'mode',
          severity: 'error',
          message: 'live changes are only accepted by dynamic sessions',
          hint: "set 'mode: dynamic'",
        },
      ]);
    }
    if (this.#state === 'done' || this.#state === 'failed' || this.#state === 'canceled') {
      throw new PipelineError([
        {
          code: 'mode',
          severity: 'error',
          message: `the session has ended (${this.#state})`,
          hint: 'start a new session',
        },
      ]);
    }
  }

  #applyOne(op: BatchOperation, graph: Graph): void {
    switch (op.action) {
      case 'addnode': {
        const g = graph.nodes.get(op.node_id) as GraphNode;
        const node = this.#makeNode(g);
        this.#nodes.set(op.node_id, node);
        this.#emit({ event: 'nodeadded', node_id: op.node_id, kind: op.kind, params: g.params });
        if (this.#state === 'running') node.start();
        break;
      }
      case 'removenode': {
        const node = this.#nodes.get(op.node_id);
        if (!node) break;
        for (const output of node.outputs.values()) for (const input of [...output.edges]) output.detach(input);
        for (const input of node.inputs.values()) input.upstream?.detach(input);
        this.#nodes.delete(op.node_id);
        node.abort(new NodeRemovedError(`${node.kind}#${node.id} was removed`));
        this.#emit({ event: 'noderemoved', node_id: op.node_id });
        break;
      }
      case 'connect':
        this.#attach(op.from_node, op.from_pin, op.to_node, op.to_pin, op.mode);
        this.#emit({
          event: 'connectionadded',
          from_node: op.from_node,
          from_pin: op.from_pin,
          to_node: op.to_node,
          to_pin: op.to_pin,
        });
        break;
      case 'disconnect': {
        const input = this.#nodes.get(op.to_node)?.input(op.to_pin);
        const output = this.#nodes.get(op.from_node)?.output(op.from_pin);
        if (input && output) output.detach(input);
        this.#emit({
          event: 'connectionremoved',
          from_node: op.from_node,
          from_pin: op.from_pin,
          to_node: op.to_node,
          to_pin: op.to_pin,
        });
        break;
      }
    }
  }

  #compile(pipeline: Pipeline) {
    const host = this.#options.hostProfile;
    return compileGraph(pipeline, this.#registry, { allowEmpty: true, ...(host ? { host } : {}) });
  }

  #makeNode(graphNode: GraphNode): RuntimeNode {
    return new RuntimeNode({
      graphNode,
      mode: this.mode,
      clock: this.#clock,
      host: this.#options.host ?? {},
      tracker: this.#tracker,
      services: this.#services,
      observer: this.#observer,
      sessionSignal: this.#abort.signal,
    });
  }

  /** Attaches an edge; without a mode it takes the input pin's policy (reliable unless declared). */
  #attach(fromNode: string, fromPin: string, toNode: string, toPin: string, mode?: 'reliable' | 'best_effort'): void {
    const output = this.#nodes.get(fromNode)?.output(fromPin);
    const consumer = this.#nodes.get(toNode);
    const input = consumer?.input(toPin);
    if (!output || !input || !consumer)
      throw new Error(
        `Session: cannot attach ${fromNode}.${fromPin} -> ${toNode}.${toPin} (validated graph out of sync)`,
      );
    output.attach(input, mode ?? input.defaultMode);
    consumer.inputsChanged();
    // A pin created while running already knows its real type: check the new consumer against it.
    if (output.type) checkEdgeType(output, input, `${this.#nodes.get(fromNode)?.kind}#${fromNode}`);
  }

  #onNodeState(node: RuntimeNode, state: NodeState, error?: NodeError): void {
    this.#emit({ event: 'nodestatechanged', node_id: node.id, state, ...(error ? { error } : {}) });
    if (state === 'done' || state === 'failed') {
      this.#emit({ event: 'nodestatsupdated', node_id: node.id, stats: node.stats(this.#clock.now()) });
    }
    if (state === 'failed' && error && (this.#options.failFast ?? this.mode === 'oneshot')) {
      this.#failure ??= error;
      this.#finishAs ??= 'failed';
      this.#abort.abort(error);
    }
    if (state === 'done' || state === 'failed') this.#resolveDone?.();
  }

  async #watch(): Promise<SessionResult> {
    // Oneshot: done when every node finished. Dynamic: until stopped, canceled or failed.
    const signal = this.#abort.signal;
    const aborted = new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      else signal.addEventListener('abort', () => resolve(), { once: true });
    });
    for (;;) {
      const pending = [...this.#nodes.values()].filter((n) => n.state !== 'done' && n.state !== 'failed');
      if (pending.length === 0 && this.mode === 'oneshot') break;
      const nodeFinished = new Promise<void>((resolve) => {
        this.#resolveDone = resolve;
      });
      await Promise.race([nodeFinished, aborted]);
      this.#resolveDone = undefined;
      if (signal.aborted) {
        await Promise.all([...this.#nodes.values()].map((n) => n.finished));
        break;
      }
    }
    if (this.#statsTimer !== undefined) clearInterval(this.#statsTimer);
    this.#stopWatchdog?.();
    const failed = [...this.#nodes.values()].find((n) => n.state === 'failed');
    let state: SessionResult['state'] = this.#finishAs ?? (failed ? 'failed' : 'done');
    if (state === 'done' && failed && this.mode === 'oneshot') state = 'failed';
    const error = state === 'done' ? undefined : (this.#failure ?? failed?.error);
    const result: SessionResult = {
      state,
      ...(error ? { error } : {}),
      stats: this.stats(),
      openFrames: this.#tracker.openCount,
    };
    this.#setState(state, error);
    return result;
  }

  #publishStats(): void {
    const now = this.#clock.now();
    for (const node of this.#nodes.values()) {
      if (node.state === 'running' || node.state === 'flushing') {
        this.#emit({ event: 'nodestatsupdated', node_id: node.id, stats: node.stats(now) });
      }
    }
  }

  #setState(state: SessionState, error?: NodeError | Error): void {
    this.#state = state;
    this.#emit({ event: 'sessionstatechanged', state, ...(error ? { error } : {}) });
  }

  #emit(event: SessionEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (error) {
        // A faulty listener must not break the run; report it where developers look.
        console.error('weft: session event listener threw', error);
      }
    }
  }
}

/** Runs a pipeline to completion (oneshot convenience). */
export function runPipeline(pipeline: Pipeline, options: SessionOptions): Promise<SessionResult> {
  return new Session(pipeline, options).run();
}
