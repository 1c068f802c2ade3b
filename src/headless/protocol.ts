/**
 * The typed protocol between the Node-side driver and the headless page. Pure types and constants:
 * imported by both sides, so neither loads the other's runtime.
 *
 * Bytes never travel through this protocol. The page reads job inputs from, and writes outputs to,
 * the driver's loopback bridge over HTTP (`ioBase`): inputs stream as response bodies, outputs go
 * up in bounded chunks, each awaited (backpressure).
 */

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
}

/** The JSON error a failed job reports (the same shape as the API's errors). */
export interface JobErrorInfo {
  code: string;
  message: string;
  node?: string;
  pin?: string;
  param?: string;
}

/** Per-node counters relayed from the engine. */
export interface NodeProgress {
  kind: string;
  state: string;
  packets_in: number;
  packets_out: number;
  bytes_out: number;
  queue_depth: number;
  media_time_in: number;
}

/** Events a page sends to the driver (through the `weftReport` binding). */
export type PageEvent =
  | { type: 'ready' }
  | { type: 'started'; id: string; duration_us: number | null }
  | {
      type: 'progress';
      id: string;
      /** 0–1 when the input duration is known, else null. */
      fraction: number | null;
      media_time_us: number;
      nodes: Record<string, NodeProgress>;
    }
  | { type: 'done'; id: string; outputs: { name: string; bytes: number; content_type: string | null }[] }
  | { type: 'failed'; id: string; error: JobErrorInfo }
  | { type: 'canceled'; id: string };

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

/** The page's API, as seen by the driver's `page.evaluate`. */
export interface PageApi {
  start(job: PageJob): void;
  cancel(id: string): void;
}
