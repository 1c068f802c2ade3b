/**
 * The node definition API: a node kind declares its pins, its params (a zod schema, with the
 * live-tunable ones named), how its output types follow from its inputs, and `create()`.
 */
import type { z } from 'zod';
import type { Phase } from './errors';
import type { Closeable, Packet, PacketType } from './packets';
import type { EdgeMode } from './queue';
import type { Clock } from './time';

/**
 * How many edges a pin takes. `one`: a single edge. `broadcast` (outputs): any number of
 * consumers, each handed its own reference. `dynamic`: a family of pins named `prefix`,
 * `prefix_0`, `prefix_1`, … created as edges are connected.
 */
export type Cardinality = 'one' | 'broadcast' | { dynamic: string };

/** An input pin declaration. */
export interface InputPinSpec {
  name: string;
  /** The packet types this pin accepts (any one of them). */
  accepts: readonly PacketType[];
  cardinality: 'one' | { dynamic: string };
  /** Whether a oneshot pipeline must connect it. Defaults to true for `one` pins. */
  required?: boolean;
  /**
   * How this pin's queue behaves: how many packets it holds, and the edge mode used when a
   * connection does not say (`best_effort` drops the oldest when full). A compositor input takes
   * `{ capacity: 2, mode: 'best_effort', liveOnly: true }` and reads with `latest()`.
   */
  queue?: InputQueuePolicy;
  description?: string;
}

/** A pin's queue policy (see `InputPinSpec.queue`). */
export interface InputQueuePolicy {
  capacity?: number;
  mode?: EdgeMode;
  /** The mode applies in dynamic sessions only; oneshot runs stay reliable, so their output does not depend on timing. */
  liveOnly?: boolean;
}

/** An output pin declaration. */
export interface OutputPinSpec {
  name: string;
  /** The packet type produced; `passthrough` takes the type of the node's first input. */
  produces: PacketType;
  cardinality: 'one' | 'broadcast' | { dynamic: string };
  /**
   * A family of pins the node creates while running (`io.createOutput(name, type)`), e.g. a MoQ
   * subscriber's tracks learnt from the remote catalog. A connection to any pin name matching the
   * pattern validates against `produces` (usually `any`); its real type is checked when the pin is
   * created, and a consumer that does not accept it is cut off with an error naming both.
   */
  runtime?: { pattern: RegExp };
  description?: string;
}

/** Pins may depend on params (e.g. `num_inputs`). */
export type PinList<P, S> = readonly S[] | ((params: P) => readonly S[]);

/** What negotiation hands a node: resolved types on its connected inputs, proposals from downstream. */
export interface NegotiationInput<P> {
  params: P;
  /** Resolved upstream type per connected input pin. */
  inputs: ReadonlyMap<string, PacketType>;
  /** Per output pin, the types accepted by its connected consumers (downstream proposes). */
  proposals: ReadonlyMap<string, readonly PacketType[]>;
}

/** Which pipeline modes a node may run in. */
export type ModeSupport = 'both' | 'oneshot' | 'dynamic';

/** A node kind. `P` is the parsed params type (defaults applied). */
export interface NodeDefinition<P = unknown> {
  /** StreamKit-style `domain::name`, e.g. `audio::gain`. */
  kind: string;
  version: number;
  description: string;
  /** Palette grouping, e.g. `['core']`, `['audio', 'filters']`. */
  categories: readonly string[];
  /** Params schema; its defaults fill in what a pipeline leaves out. */
  params: z.ZodType<P>;
  /** Params that may change while the node runs (`tunenode`); others are refused. */
  liveParams?: readonly string[];
  inputs: PinList<P, InputPinSpec>;
  outputs: PinList<P, OutputPinSpec>;
  /** Decides output types from input types (upstream decides). Default: declared types, passthrough resolved. */
  negotiate?(input: NegotiationInput<P>): Map<string, PacketType>;
  /** Defaults to `both`. */
  modes?: ModeSupport;
  /** True when this node may be part of a cycle (e.g. a bidirectional transport). */
  mayCloseCycle?: boolean;
  /**
   * Host services this node cannot run without. Validation for a given host (a server's headless
   * pages, the tab) refuses the node when the host lacks one, instead of failing at run time.
   */
  requires?: readonly HostService[];
  /**
   * Makes the running instance, once per run of the node. It may be async (a model or font loading): the node stays
   * `initializing` meanwhile, which the stall watchdog does not count as a stall.
   */
  create(ctx: NodeContext<P>): NodeInstance<P> | Promise<NodeInstance<P>>;
}

/** A definition with its params type erased, as the registry stores it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- erasure point: each definition is checked where it is written
export type AnyNodeDefinition = NodeDefinition<any>;

/** Identity helper that keeps `P` inferred from the params schema. */
export function defineNode<P>(definition: NodeDefinition<P>): NodeDefinition<P> {
  return definition;
}

/** Resolves a pin list that may depend on params. */
export function resolvePins<P, S>(pins: PinList<P, S>, params: P): readonly S[] {
  return typeof pins === 'function' ? pins(params) : pins;
}

/** Where a node writes bytes: appends, or writes at a byte position (containers that patch headers). */
export interface ByteSink {
  write(data: Uint8Array, position?: number): Promise<void>;
  /** Completes the output (all bytes written). */
  close(): Promise<void>;
  /** Discards the output after a failure. */
  abort(reason: unknown): Promise<void>;
}

/** Host services a node may use. Hosts (tab, headless page, server, tests) provide what they can. */
export interface NodeHost {
  /** The bytes of a named job input (`streamkit::http_input`), or `undefined` when it was not given. */
  openInput?: (name: string, signal: AbortSignal) => Promise<ReadableStream<Uint8Array> | undefined>;
  /** Opens a named job output (`streamkit::http_output`). */
  openOutput?: (name: string, contentType: string | undefined) => Promise<ByteSink>;
  /** Reads a file by path (`core::file_reader`); the host decides which paths are allowed. */
  readFile?: (path: string, signal: AbortSignal) => Promise<ReadableStream<Uint8Array>>;
  /** Creates a file by path (`core::file_writer`); the host decides which paths are allowed. */
  writeFile?: (path: string, contentType: string | undefined) => Promise<ByteSink>;
  /**
   * Frames from a capture device for the capture source `node` (camera, microphone, screen). The
   * page asks the user (permission prompt) and bridges the track into the engine; `undefined` when
   * this host has no such device. The node owns and closes every frame it reads.
   */
  openCapture?: (
    node: string,
    device: CaptureDevice,
    signal: AbortSignal,
  ) => Promise<ReadableStream<VideoFrame | AudioData> | undefined>;
  /** A WebGPU device on a real (hardware) adapter, or null with why (none, or software only). */
  gpu?: () => Promise<GpuAccess>;
  /** An asset (model file, image, font) by its path under the host's asset root. Never a CDN. */
  openAsset?: (path: string, signal: AbortSignal) => Promise<Blob>;
  /** The URL of the MoQ relay of the server this page came from (`http://host:port/moq`). */
  moqRelay?: () => string;
  /**
   * Publishes a live byte stream for HTTP viewers at `/mse/<session><path>` (`transport::http::mse`);
   * the host refuses a path that is taken or a type MSE cannot play.
   */
  publishStream?: (path: string, options: { contentType: string; maxClients: number }) => Promise<ByteSink>;
  /**
   * Opens an object in S3-compatible storage for writing (`core::object_store_writer`). The host
   * holds the credentials: the target names them, it never carries them.
   */
  writeObject?: (target: ObjectTarget) => Promise<ByteSink>;
  /**
   * A `fetch()` of `core::script`, made by the host within its allowlist; secret headers are named
   * (`headers`), and the host fills in their values. Resolves with the status and body text.
   */
  scriptFetch?: (request: ScriptFetchRequest, signal: AbortSignal) => Promise<{ status: number; body: string }>;
}

/** One `fetch()` from a script. */
export interface ScriptFetchRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: string;
  /** Headers whose values are server secrets: `template` with `{}` replaced by the secret. */
  secrets: { secret: string; header: string; template: string }[];
}

/** Where `core::object_store_writer` writes: an object, and the names of the server secrets that sign for it. */
export interface ObjectTarget {
  endpoint: string;
  bucket: string;
  key: string;
  region: string;
  /** Server secret holding the access key id. */
  accessKeyIdSecret: string;
  /** Server secret holding the secret access key. */
  secretKeySecret: string;
  /** Bytes per multipart part (at least 5 MiB, S3's minimum). */
  partBytes: number;
  contentType?: string;
}

/** The name of a host service (an optional method of `NodeHost`). */
export type HostService = keyof NodeHost;

/** What each host service does, for messages that say why a host cannot run a node. */
export const HOST_SERVICE_NAMES: Readonly<Record<HostService, string>> = {
  openInput: 'job inputs',
  openOutput: 'job outputs',
  readFile: 'reading files by path',
  writeFile: 'writing files by path',
  openCapture: 'capture devices (camera, microphone, screen)',
  gpu: 'a GPU',
  openAsset: 'assets (models, images, fonts)',
  moqRelay: "the server's MoQ relay (weft serve)",
  publishStream: "live HTTP streams to viewers (weft serve's /mse)",
  writeObject: 'S3-compatible object storage (the server holds the credentials)',
  scriptFetch: "network access for scripts (the server's fetch allowlist)",
};

/** Capture devices a host may offer. */
export type CaptureDevice = 'camera' | 'microphone' | 'screen';

/** A message from a node about itself, delivered as a session event. */
export interface NodeTelemetry {
  type_id: string;
  data: unknown;
}

/** What a node instance is given when it is created. */
export interface NodeContext<P> {
  readonly nodeId: string;
  readonly kind: string;
  /** Params as validated, defaults applied. */
  readonly params: P;
  /** Resolved type of each output pin after negotiation. */
  readonly outputTypes: ReadonlyMap<string, PacketType>;
  /** Resolved type of each connected input pin after negotiation. */
  readonly inputTypes: ReadonlyMap<string, PacketType>;
  readonly mode: 'oneshot' | 'dynamic';
  readonly clock: Clock;
  readonly host: NodeHost;
  /** Reports node-specific telemetry (best effort). */
  telemetry(event: NodeTelemetry): void;
  /**
   * Changes live params of another node of the session, as a `tunenode` request would (throws
   * the same refusals). Only in dynamic sessions; absent in oneshot runs.
   */
  tuneSibling?: (target: string, update: Record<string, unknown>) => void;
  /** Makes a `NodeError` that names this node (and pin), for throwing. */
  error(message: string, options?: { pin?: string; phase?: Phase; cause?: unknown }): Error;
  /**
   * The session's GPU: one WebGPU device shared by every node of the session when the host has a
   * real (hardware) adapter, else `{ device: null, reason }` so the node takes its CPU path.
   */
  gpu(): Promise<GpuAccess>;
  /**
   * A resource shared by the nodes of a session (a model, a font), loaded once per key and
   * released (`dispose`) when the last node holding it closes. The node's hold ends at its close.
   */
  shared<T>(key: string, load: () => Promise<T>, dispose?: (value: T) => void): Promise<T>;
  /**
   * Gives up ownership of a frame that leaves this session (transferred to another Worker): the
   * frame accounting forgets it, so it is neither a false leak here nor double-counted there.
   */
  handOff(frame: Closeable): void;
}

/** What `NodeContext.gpu()` gives: a device, or why there is none. */
export type GpuAccess = { device: GPUDevice } | { device: null; reason: string };

/** Reading side of an input pin. */
export interface InputPort {
  readonly name: string;
  /** True once end of stream was read (or the input was shut down). */
  readonly finished: boolean;
  /** True while an edge feeds this pin (a dynamic session may disconnect it and connect it again). */
  readonly connected: boolean;
  /** The next packet (now owned by the caller, who must close or forward it), or `undefined` at end of stream. */
  recv(): Promise<Packet | undefined>;
  /**
   * Without waiting: the newest packet queued (older ones are dropped and closed), `null` when
   * none is queued, or `undefined` at end of stream. For pins that want the latest frame.
   */
  latest(): Packet | null | undefined;
  /** Iterates packets until end of stream. */
  [Symbol.asyncIterator](): AsyncIterator<Packet>;
}

/** Writing side of an output pin. */
export interface OutputPort {
  readonly name: string;
  /** Hands a packet (and its ownership) downstream; resolves when every reliable consumer accepted it. */
  send(packet: Packet): Promise<void>;
  /** True when at least one edge is connected. */
  readonly connected: boolean;
  /** Ends this pin's stream now (before the node finishes), e.g. a track the input turned out not to have. */
  end(): void;
}

/** One packet from one of several inputs. */
export interface Received {
  pin: string;
  packet: Packet;
}

/** Ports and the run's signal, handed to `run()`. */
export interface NodeIO {
  readonly signal: AbortSignal;
  /** The input port named `pin` (for dynamic families, e.g. `in_0`). */
  input(pin: string): InputPort;
  /** The output port named `pin`. */
  output(pin: string): OutputPort;
  /**
   * Creates an output pin of a runtime family (see `OutputPinSpec.runtime`) with its real type;
   * connections made to it before it existed are checked against the type and attached.
   */
  createOutput(pin: string, type: PacketType): OutputPort;
  /** Names of input pins that currently have (or had) an edge, in connection order. */
  connectedInputs(): string[];
  /**
   * The next packet from any connected input, or `undefined` once every input ended.
   * Inputs connected later (dynamic mode) are included.
   */
  recvAny(): Promise<Received | undefined>;
  /** Ends every input: no more reads; queued packets are closed. For nodes that stop early. */
  stopInputs(): void;
}

/** A running node. Only `run` is required. */
export interface NodeInstance<P = unknown> {
  /** Opens resources (decoders, files). Phase `start`. */
  start?(): Promise<void> | void;
  /** Does the work: reads inputs until end of stream (or produces until done). Phase `run`. */
  run(io: NodeIO): Promise<void>;
  /** Emits what is still buffered after `run` returned. Phase `flush`. */
  flush?(io: NodeIO): Promise<void>;
  /** Applies new live params (already validated and merged). */
  tune?(params: P): void;
  /** Releases everything; always called, also after failures. Phase `close`. */
  close?(): Promise<void> | void;
}
