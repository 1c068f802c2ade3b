/**
 * One running node: its instance, ports, state and statistics, and the task that takes it
 * through `start → run → flush → close`, turning anything thrown into a `NodeError`.
 */
import type { Phase } from './errors';
import { NodeError, isAbortReason } from './errors';
import type { GraphNode } from './graph';
import { findPin } from './graph';
import type { InputPinSpec, NodeContext, NodeHost, NodeInstance, NodeIO, NodeTelemetry, Received } from './node';
import type { Packet, PacketType } from './packets';
import { describeType, isCompatible, narrowType } from './packets';
import type { PortCounters } from './ports';
import { RuntimeInput, RuntimeOutput } from './ports';
import type { FrameTracker } from './resources';
import type { SessionServices } from './services';
import type { Clock, Micros } from './time';
import { fromMillis, toSeconds } from './time';

/** A node's lifecycle state. */
export type NodeState = 'initializing' | 'running' | 'flushing' | 'done' | 'failed';

/** A snapshot of a node's statistics. */
export interface NodeStats extends PortCounters {
  /** Packets dropped on this node's best-effort inputs. */
  dropped: number;
  errors: number;
  /** Packets waiting in this node's input queues. */
  queue_depth: number;
  /** Output packets per second over the last stats interval. */
  rate: number;
}

/** What a runtime node reports to its session. */
export interface NodeObserver {
  state(node: RuntimeNode, state: NodeState, error?: NodeError): void;
  telemetry(node: RuntimeNode, event: NodeTelemetry): void;
  /** Tunes another node of the session on a node's behalf (dynamic sessions); throws like `tuneNode`. */
  tuneSibling?(node: RuntimeNode, target: string, update: Record<string, unknown>): void;
  /** Called for each packet a node sends, when the session has taps (the packet is only lent). */
  packet?(node: RuntimeNode, pin: string, packet: Packet): void;
}

/** Everything a runtime node needs from its session. */
export interface RuntimeNodeOptions {
  graphNode: GraphNode;
  mode: 'oneshot' | 'dynamic';
  clock: Clock;
  host: NodeHost;
  tracker: FrameTracker;
  services: SessionServices;
  observer: NodeObserver;
  sessionSignal: AbortSignal;
}

/** How long an aborted node may take to stop before the session stops waiting for it. */
export const ABORT_GRACE_MS = 1_000;

/** Thrown into a node's signal when the node is removed from a dynamic session. */
export class NodeRemovedError extends Error {
  override readonly name = 'NodeRemovedError';
}

/** A node instance with its ports, running as its own async task. */
export class RuntimeNode {
  readonly id: string;
  readonly kind: string;
  readonly graphNode: GraphNode;
  params: unknown;
  state: NodeState = 'initializing';
  error: NodeError | undefined;
  readonly inputs = new Map<string, RuntimeInput>();
  readonly outputs = new Map<string, RuntimeOutput>();
  readonly counters: PortCounters = { packets_in: 0, packets_out: 0, bytes_in: 0, bytes_out: 0, media_time_in: 0 };
  errors = 0;
  readonly #abort = new AbortController();
  /** Rejects with the abort reason once the node was aborted and had `ABORT_GRACE_MS` to wind down. */
  readonly #aborted: Promise<never>;
  readonly #options: RuntimeNodeOptions;
  /** Keys of shared resources this node holds (released at close). */
  readonly #held: string[] = [];
  #instance: NodeInstance | undefined;
  #task: Promise<void> | undefined;
  #inputsChanged: (() => void) | undefined;
  #rateMark = { at: 0 as Micros, packets: 0 };
  #rate = 0;

  constructor(options: RuntimeNodeOptions) {
    const signal = this.#abort.signal;
    this.#aborted = new Promise<never>((_, reject) => {
      signal.addEventListener(
        'abort',
        () => options.clock.after(fromMillis(ABORT_GRACE_MS), () => reject(signal.reason as Error)),
        { once: true },
      );
    });
    this.#aborted.catch(() => undefined); // observed by #phase; unobserved when the node ends normally
    const g = options.graphNode;
    this.#options = options;
    this.graphNode = g;
    this.id = g.id;
    this.kind = g.kind;
    this.params = g.params;
    const origin = `${g.kind}#${g.id}`;
    for (const spec of g.inputSpecs) {
      if (typeof spec.cardinality === 'string') this.inputs.set(spec.name, this.#newInput(spec.name, spec));
    }
    for (const spec of g.outputSpecs) {
      if (!spec.runtime) this.outputs.set(spec.name, this.#newOutput(spec.name, origin));
    }
    this.#rateMark = { at: options.clock.now(), packets: 0 };
    options.sessionSignal.addEventListener('abort', () => this.abort(options.sessionSignal.reason), { once: true });
  }

  /** The node's own signal: aborted when the session stops or the node is removed. */
  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  /** Settles when the node's task is over (never rejects). */
  get finished(): Promise<void> {
    return this.#task ?? Promise.resolve();
  }

  /** The input pin `name`, created on first use for dynamic families. */
  input(name: string): RuntimeInput | undefined {
    let input = this.inputs.get(name);
    const spec = input ? undefined : findPin(this.graphNode.inputSpecs, name);
    if (spec) {
      input = this.#newInput(name, spec);
      this.inputs.set(name, input);
      this.#inputsChanged?.();
    }
    return input;
  }

  /**
   * The output pin `name`, made on first use for dynamic families. A member of a runtime family
   * exists (so edges can wait on it) but is not created until the node calls `createOutput`.
   */
  output(name: string): RuntimeOutput | undefined {
    let output = this.outputs.get(name);
    const spec = output ? undefined : findPin(this.graphNode.outputSpecs, name);
    if (spec) {
      output = this.#newOutput(name, `${this.kind}#${this.id}`);
      if (spec.runtime) output.created = false;
      this.outputs.set(name, output);
    }
    return output;
  }

  /** The node creates a pin of a runtime family with its real type (see `NodeIO.createOutput`). */
  createOutput(name: string, type: PacketType): RuntimeOutput {
    const spec = findPin(this.graphNode.outputSpecs, name);
    if (!spec?.runtime) {
      throw this.#error(
        `'${name}' is not a pin this node may create while running (declare an output with a runtime pattern)`,
        name,
      );
    }
    const output = this.output(name) as RuntimeOutput;
    if (output.created) throw this.#error(`output '${name}' was already created`, name);
    output.created = true;
    output.type = type;
    this.graphNode.outputTypes.set(name, type);
    for (const input of [...output.edges]) checkEdgeType(output, input, `${this.kind}#${this.id}`);
    return output;
  }

  #newInput(name: string, spec: InputPinSpec): RuntimeInput {
    const input = new RuntimeInput(name, this.counters, spec, `${this.kind}#${this.id}`, this.#options.mode);
    input.onType = (type) => this.graphNode.inputTypes.set(name, type);
    return input;
  }

  #error(message: string, pin?: string): NodeError {
    return new NodeError({ nodeId: this.id, kind: this.kind, phase: 'run', ...(pin ? { pin } : {}) }, message);
  }

  #newOutput(name: string, origin: string): RuntimeOutput {
    const output = new RuntimeOutput(name, this.counters, this.#options.tracker, origin);
    const observer = this.#options.observer;
    if (observer.packet) output.onSend = (pin, packet) => observer.packet?.(this, pin, packet);
    return output;
  }

  /** Tells a waiting `recvAny` that the set of inputs changed (dynamic connect). */
  inputsChanged(): void {
    this.#inputsChanged?.();
  }

  /** Ends inputs that can never be connected: every unconnected one in oneshot mode. */
  sealUnconnectedInputs(): void {
    for (const input of this.inputs.values()) if (!input.everConnected) input.queue.end();
  }

  /** Starts the node's task. */
  start(): void {
    this.#task ??= this.#lifecycle();
  }

  /** Stops the node (removal or session stop). */
  abort(reason: unknown): void {
    if (!this.#abort.signal.aborted) this.#abort.abort(reason);
    for (const input of this.inputs.values()) input.shutdown(reason);
  }

  /** Applies validated params to the running instance. */
  tune(params: unknown): void {
    if (!this.#instance && this.state === 'initializing') {
      this.params = params; // not created yet: the instance will start with these params
      return;
    }
    if (!this.#instance?.tune) {
      throw new Error(`${this.kind}#${this.id} cannot apply live params while ${this.state}`);
    }
    this.#instance.tune(params);
    this.params = params;
  }

  /** A statistics snapshot; `now` updates the output rate. */
  stats(now: Micros): NodeStats {
    const elapsed = toSeconds((now - this.#rateMark.at) as Micros);
    if (elapsed > 0) {
      this.#rate = (this.counters.packets_out - this.#rateMark.packets) / elapsed;
      this.#rateMark = { at: now, packets: this.counters.packets_out };
    }
    let depth = 0;
    let dropped = 0;
    for (const input of this.inputs.values()) {
      depth += input.queue.size;
      dropped += input.queue.dropped;
    }
    return { ...this.counters, dropped, errors: this.errors, queue_depth: depth, rate: this.#rate };
  }

  #setState(state: NodeState, error?: NodeError): void {
    this.state = state;
    this.error = error;
    this.#options.observer.state(this, state, error);
  }

  #context(): NodeContext<unknown> {
    const g = this.graphNode;
    const observer = this.#options.observer;
    return {
      nodeId: g.id,
      kind: g.kind,
      params: this.params,
      outputTypes: g.outputTypes,
      inputTypes: g.inputTypes,
      mode: this.#options.mode,
      clock: this.#options.clock,
      host: this.#options.host,
      telemetry: (event) => observer.telemetry(this, event),
      ...(observer.tuneSibling && this.#options.mode === 'dynamic'
        ? {
            tuneSibling: (target: string, update: Record<string, unknown>) =>
              observer.tuneSibling?.(this, target, update),
          }
        : {}),
      gpu: () => this.#options.services.gpu(),
      shared: <T>(key: string, load: () => Promise<T>, dispose?: (value: T) => void): Promise<T> => {
        this.#held.push(key);
        return this.#options.services.acquire(key, load, dispose);
      },
      handOff: (frame) => this.#options.tracker.forget(frame),
      error: (message, options = {}) =>
        new NodeError(
          {
            nodeId: g.id,
            kind: g.kind,
            phase: options.phase ?? 'run',
            cause: options.cause,
            ...(options.pin ? { pin: options.pin } : {}),
          },
          message,
        ),
    };
  }

  #io(): NodeIO {
    const signal = this.#abort.signal;
    const missing = (direction: string, pin: string): Error =>
      new NodeError(
        { nodeId: this.id, kind: this.kind, pin, phase: 'run' },
        `no ${direction} pin '${pin}' (the node asked for a pin it does not declare)`,
      );
    return {
      signal,
      input: (pin) => {
        const input = this.input(pin);
        if (!input) throw missing('input', pin);
        return input;
      },
      output: (pin) => {
        const output = this.output(pin);
        if (!output) throw missing('output', pin);
        return output;
      },
      createOutput: (pin, type) => this.createOutput(pin, type),
      connectedInputs: () => [...this.inputs.values()].filter((i) => i.everConnected).map((i) => i.name),
      recvAny: () => this.#recvAny(),
      stopInputs: () => {
        for (const input of this.inputs.values()) input.stop();
      },
    };
  }

  async #recvAny(): Promise<Received | undefined> {
    for (;;) {
      this.#abort.signal.throwIfAborted();
      const live = [...this.inputs.values()].filter(
        (i) => !i.finished && (i.everConnected || this.#options.mode === 'dynamic'),
      );
      const connected = live.filter((i) => i.everConnected);
      if (live.length === 0) return undefined;
      const changed = new Promise<'changed'>((resolve) => {
        this.#inputsChanged = () => resolve('changed');
      });
      const winner = await Promise.race([changed, ...connected.map((input) => input.peek().then(() => input))]);
      this.#inputsChanged = undefined;
      if (winner === 'changed') continue;
      const packet = await winner.take();
      if (packet) return { pin: winner.name, packet };
    }
  }

  async #phase<T>(phase: Phase, action: () => Promise<T> | T): Promise<T> {
    try {
      this.#abort.signal.throwIfAborted();
      // A node that ignores its signal must not hold the session: on abort, stop waiting for it.
      const work = Promise.resolve(action());
      work.catch(() => undefined); // settles after abort; its outcome no longer matters
      return await Promise.race([work, this.#aborted]);
    } catch (error) {
      if (isAbortReason(error, this.#abort.signal)) throw error;
      if (error instanceof NodeError && error.nodeId === this.id) throw error;
      throw new NodeError({ nodeId: this.id, kind: this.kind, phase, cause: error });
    }
  }

  async #lifecycle(): Promise<void> {
    const io = this.#io();
    let failure: NodeError | undefined;
    try {
      this.#setState('initializing');
      const instance = await this.#phase('start', () => this.graphNode.definition.create(this.#context()));
      this.#instance = instance;
      await this.#phase('start', () => instance.start?.());
      this.#setState('running');
      await this.#phase('run', () => instance.run(io));
      this.#setState('flushing');
      await this.#phase('flush', () => instance.flush?.(io));
    } catch (error) {
      if (!isAbortReason(error, this.#abort.signal)) {
        failure =
          error instanceof NodeError
            ? error
            : new NodeError({ nodeId: this.id, kind: this.kind, phase: 'run', cause: error });
        this.errors++;
      }
    }
    for (const output of this.outputs.values()) output.end();
    for (const input of this.inputs.values()) input.shutdown(new Error(`${this.kind}#${this.id} has finished`));
    try {
      await this.#instance?.close?.();
    } catch (error) {
      failure ??= new NodeError({ nodeId: this.id, kind: this.kind, phase: 'close', cause: error });
    }
    for (const key of this.#held.splice(0)) this.#options.services.release(key);
    if (failure) this.#setState('failed', failure);
    else this.#setState('done');
  }
}

/**
 * Checks an edge from a pin whose type became known while running: a consumer that does not
 * accept it is cut off, its input failing with an error that names both ends.
 */
export function checkEdgeType(output: RuntimeOutput, input: RuntimeInput, producer: string): void {
  const type = output.type;
  const spec = input.spec;
  if (!type || !spec) return;
  const accepted = spec.accepts.find((a) => isCompatible(type, a));
  if (accepted) {
    input.onType?.(narrowType(type, accepted));
    return;
  }
  output.detach(input);
  input.shutdown(
    new Error(
      `'${producer}.${output.name}' turned out to produce ${describeType(type)}, but '${input.owner}.${input.name}' accepts ${spec.accepts.map(describeType).join(' | ')}; the edge was cut`,
    ),
  );
}
