/**
 * The typed protocol between the Node-side driver and the headless page: types, constants and the
 * zod schema of page events,
 * imported by both sides, so neither loads the other's runtime.
 *
 * Bytes never travel through this protocol. The page reads job inputs from, and writes outputs to,
 * the driver's loopback bridge over HTTP (`ioBase`): inputs stream as response bodies, outputs go
 * up in bounded chunks, each awaited (backpressure).
 */

import { z } from 'zod';
import type { HostProfile } from '../engine';

/** What the headless page offers nodes: job inputs and outputs, the server files its settings allow, the relay; no devices. */
export const HEADLESS_HOST: HostProfile = {
  name: "the server's headless pages",
  services: ['openInput', 'openOutput', 'moqRelay', 'readFile', 'writeFile', 'writeObject'],
  hints: {
    openCapture: 'capture sources run in the studio tab, where the browser asks for the device',
    publishStream: "transport::http::mse serves live sessions: set 'mode: dynamic' and create a session",
  },
};

/**
 * What a live session's page offers nodes: the GPU, assets, the relay, the server files its
 * settings allow and HTTP streams to MSE viewers; no job inputs or outputs.
 */
export const SESSION_HOST: HostProfile = {
  name: 'live sessions on the server',
  services: ['gpu', 'openAsset', 'moqRelay', 'readFile', 'writeFile', 'publishStream', 'writeObject'],
  hints: {
    openInput: 'streamkit::http_input is oneshot-only: run this pipeline as a job (POST /api/v1/jobs)',
    openOutput: 'streamkit::http_output is oneshot-only: run this pipeline as a job (POST /api/v1/jobs)',
    openCapture: 'capture sources run in the studio tab, where the browser asks for the device',
  },
};

/** A job handed to a page. */
export interface PageJob {
  /** Job id, echoed in every event. */
  id: string;
  /** The pipeline document (YAML or JSON). */
  pipeline: string;
  /** Base URL of this job's byte routes on the bridge, e.g. `/io/<secret>`. */
  ioBase: string;
  /** Names of the inputs the job was given (`/in/<name>` serves each). */
  inputs: string[];
  /** Per-node param overrides (`weft run --set node.param=value`). */
  overrides?: Record<string, Record<string, unknown>>;
  /** The server's MoQ relay, for MoQ nodes (the page itself is served by the bridge, not the server). */
  moqRelay?: string;
  /** Whether `core::file_reader` / `core::file_writer` may use server files (through `/file`). */
  files?: boolean;
  /** Whether `core::object_store_writer` may write objects (through `/object`). */
  objects?: boolean;
  /** Whether `core::script` may fetch (through `/fetch`, within the server's allowlist). */
  fetch?: boolean;
}

/** The JSON error a failed job reports (the same shape as the API's errors). */
export const JobErrorInfoSchema = z.object({
  code: z.string().max(64),
  message: z.string().max(4096),
  node: z.string().max(256).optional(),
  pin: z.string().max(256).optional(),
  param: z.string().max(256).optional(),
});
export type JobErrorInfo = z.infer<typeof JobErrorInfoSchema>;

/** Per-node counters relayed from the engine. */
export const NodeProgressSchema = z.object({
  kind: z.string(),
  state: z.string(),
  packets_in: z.number(),
  packets_out: z.number(),
  bytes_out: z.number(),
  queue_depth: z.number(),
  media_time_in: z.number(),
});
export type NodeProgress = z.infer<typeof NodeProgressSchema>;

const id = z.string().max(64);
const name = z.string().max(256);

/** StreamKit's `NodeState` (externally tagged). */
export const WireNodeStateSchema = z.union([
  z.enum(['Initializing', 'Ready', 'Running']),
  z.strictObject({ Failed: z.strictObject({ reason: z.string().max(4096) }) }),
  z.strictObject({
    Stopped: z.strictObject({
      reason: z.enum(['completed', 'input_closed', 'output_closed', 'shutdown', 'no_inputs', 'unknown']),
    }),
  }),
]);
export type WireNodeState = z.infer<typeof WireNodeStateSchema>;

/** StreamKit's node statistics. */
export const WireNodeStatsSchema = z.strictObject({
  received: z.number(),
  sent: z.number(),
  discarded: z.number(),
  errored: z.number(),
  duration_secs: z.number(),
});

const edge = { from_node: name, from_pin: name, to_node: name, to_pin: name };

/**
 * A live session's event as a page relays it: StreamKit's WebSocket events (§5.5) without
 * `session_id` and `timestamp`, which the server adds. `sessionended` says the page's session
 * ended by itself (every node failed or the engine stopped), with why.
 */
export const SessionWireEventSchema = z.discriminatedUnion('event', [
  z.strictObject({ event: z.literal('nodestatechanged'), node_id: name, state: WireNodeStateSchema }),
  z.strictObject({ event: z.literal('nodestatsupdated'), node_id: name, stats: WireNodeStatsSchema }),
  z.strictObject({ event: z.literal('nodeparamschanged'), node_id: name, params: z.unknown() }),
  z.strictObject({ event: z.literal('nodeadded'), node_id: name, kind: name, params: z.unknown() }),
  z.strictObject({ event: z.literal('noderemoved'), node_id: name }),
  z.strictObject({ event: z.literal('connectionadded'), ...edge }),
  z.strictObject({ event: z.literal('connectionremoved'), ...edge }),
  z.strictObject({
    event: z.literal('nodetelemetry'),
    node_id: name,
    type_id: name,
    data: z.unknown(),
    timestamp_us: z.number().optional(),
  }),
  z.strictObject({ event: z.literal('sessionended'), reason: z.string().max(4096) }),
]);
export type SessionWireEvent = z.infer<typeof SessionWireEventSchema>;

/**
 * Events a page sends to the driver (through the `weftReport` binding). The driver parses them
 * with this schema: a page runs untrusted pipelines, so what it says is checked, not cast.
 */
export const PageEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready') }),
  z.object({ type: z.literal('started'), id, duration_us: z.number().nullable() }),
  z.object({
    type: z.literal('progress'),
    id,
    /** 0–1 when the input duration is known, else null. */
    fraction: z.number().nullable(),
    media_time_us: z.number(),
    nodes: z.record(z.string(), NodeProgressSchema),
  }),
  z.object({
    type: z.literal('done'),
    id,
    outputs: z.array(z.object({ name: z.string(), bytes: z.number(), content_type: z.string().nullable() })),
    /** Frames handed between nodes and never closed (0 unless a node leaks). */
    open_frames: z.number().int().default(0),
  }),
  z.object({ type: z.literal('failed'), id, error: JobErrorInfoSchema }),
  z.object({ type: z.literal('canceled'), id }),
  /** An event of the live session `id` running on this page. */
  z.object({ type: z.literal('session'), id, event: SessionWireEventSchema }),
  /** A node's telemetry (core::telemetry_tap and friends), for the job's event stream. */
  z.object({
    type: z.literal('telemetry'),
    id,
    node_id: z.string().max(256),
    type_id: z.string().max(256),
    data: z.unknown(),
  }),
  /** Something worth an operator's attention that did not fail the job (a leaked frame). */
  z.object({ type: z.literal('warning'), id, code: z.string().regex(/^[a-z_]{1,64}$/), message: z.string().max(1024) }),
]);
export type PageEvent = z.input<typeof PageEventSchema>;
/** A page event as the driver sees it after parsing. */
export type ParsedPageEvent = z.output<typeof PageEventSchema>;

/** Parses what a page sent through the binding; undefined when it is not a protocol event. */
export function parsePageEvent(json: unknown): ParsedPageEvent | undefined {
  if (typeof json !== 'string') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return undefined; // not JSON: not an event
  }
  const parsed = PageEventSchema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

/** Name of the function the driver exposes in the page. */
export const REPORT_BINDING = 'weftReport';
/** Global the page defines: `start(job)` and `cancel(id)`. */
export const PAGE_GLOBAL = 'weftHeadless';
/** Path of the page in the built bundle. */
export const PAGE_PATH = '/headless.html';
/** Largest output chunk the page sends in one request. */
export const OUTPUT_CHUNK_BYTES = 1024 * 1024;
/** How often a running page reports progress (and so proves it is alive), in ms. */
export const PROGRESS_INTERVAL_MS = 250;

/** The answer to a control request, as the page returns it (StreamKit's response payloads). */
export const ControlAnswerSchema = z.looseObject({ action: z.string().max(64) });
export type ControlAnswer = z.infer<typeof ControlAnswerSchema>;

/** How opening a session on a page went. */
export type SessionOpenResult = { ok: true } | { ok: false; error: JobErrorInfo };

/** The page's API, as seen by the driver's `page.evaluate`. */
/** A live session's byte routes on the bridge: server files and MSE streams. */
export interface SessionPageIo {
  /** Base URL of the session's routes, e.g. `http://127.0.0.1:40123/io/<secret>`. */
  ioBase: string;
  /** Whether `core::file_reader` / `core::file_writer` may use server files. */
  files: boolean;
  /** Whether `transport::http::mse` may publish streams. */
  streams: boolean;
  /** Whether `core::object_store_writer` may write objects. */
  objects: boolean;
  /** Whether `core::script` may fetch (within the server's allowlist). */
  fetch: boolean;
}

export interface PageApi {
  start(job: PageJob): void;
  cancel(id: string): void;
  /** Starts the dynamic session `id` from `pipeline` (YAML or JSON); events come as `session` events. */
  openSession(id: string, pipeline: string, io?: SessionPageIo): Promise<SessionOpenResult>;
  /** One control request (StreamKit's payload without `session_id`); resolves with its answer. */
  control(id: string, request: unknown): Promise<unknown>;
  /** Stops the session and waits for its nodes to close. */
  closeSession(id: string): Promise<void>;
}
