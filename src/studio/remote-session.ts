/**
 * "Run on server" for a dynamic pipeline: a live session on the server that served the page,
 * created over HTTP (Hono's typed client of the session routes) and driven over the WebSocket
 * control plane. The editor attaches to it: node states and statistics come back as events, and
 * param changes and graph edits go to it as `tunenode` and atomic `applybatch` requests.
 */
import { hc } from 'hono/client';
import type { BatchOperation } from '../engine';
import type { SessionRoutes } from '../../server/sessions/routes';

/** Statistics events closer together than this are one sample. */
const STATS_BURST_MS = 100;
/** Time a control request gets to be answered. */
const REQUEST_TIMEOUT_MS = 15_000;

/** What the editor hears from a remote session, in the studio's terms. */
export type RemoteEvent =
  | { type: 'state'; node: string; state: string; error?: string }
  | { type: 'stats'; nodes: Record<string, { packets_out: number; bytes_out: number; queue_depth: number }> }
  | { type: 'telemetry'; node: string; type_id: string; data: unknown }
  | { type: 'ended'; reason: string };

type Payload = Record<string, unknown>;

/** StreamKit's node state as the studio's state names. */
export function studioState(state: unknown): { state: string; error?: string } {
  if (state === 'Initializing' || state === 'Ready') return { state: 'initializing' };
  if (state === 'Running') return { state: 'running' };
  if (state && typeof state === 'object' && 'Failed' in state) {
    const reason = (state as { Failed: { reason?: unknown } }).Failed.reason;
    return { state: 'failed', error: typeof reason === 'string' ? reason : 'the node failed' };
  }
  return { state: 'done' };
}

/** A live session on the server, attached to the editor. */
export class RemoteSession {
  readonly id: string;
  readonly #ws: WebSocket;
  readonly #pending = new Map<string, (payload: Payload) => void>();
  readonly #stats: Record<string, { packets_out: number; bytes_out: number; queue_depth: number }> = {};
  readonly #onEvent: (event: RemoteEvent) => void;
  #next = 0;
  #ended = false;
  #flush: ReturnType<typeof setTimeout> | undefined;

  private constructor(id: string, ws: WebSocket, onEvent: (event: RemoteEvent) => void) {
    this.id = id;
    this.#ws = ws;
    this.#onEvent = onEvent;
    ws.addEventListener('message', (message: MessageEvent<string>) => {
      const data = JSON.parse(message.data) as { type: string; correlation_id?: string; payload: Payload };
      if (data.type === 'response' && data.correlation_id) {
        this.#pending.get(data.correlation_id)?.(data.payload);
        this.#pending.delete(data.correlation_id);
        return;
      }
      const e = data.payload;
      if (data.type !== 'event' || e.session_id !== id) return;
      const node = typeof e.node_id === 'string' ? e.node_id : '';
      if (e.event === 'nodestatechanged') onEvent({ type: 'state', node, ...studioState(e.state) });
      else if (e.event === 'nodetelemetry' && typeof e.type_id === 'string')
        onEvent({ type: 'telemetry', node, type_id: e.type_id, data: e.data });
      else if (e.event === 'nodestatsupdated') {
        // StreamKit's stats carry packet counts (no bytes or queue depth). A session reports all
        // its nodes at once: they are passed on together, as one sample.
        const s = e.stats as { sent: number };
        this.#stats[node] = { packets_out: s.sent, bytes_out: 0, queue_depth: 0 };
        this.#flush ??= setTimeout(() => {
          this.#flush = undefined;
          onEvent({ type: 'stats', nodes: { ...this.#stats } });
        }, STATS_BURST_MS);
      } else if (e.event === 'sessiondestroyed' && !this.#ended) {
        this.#ended = true;
        onEvent({ type: 'ended', reason: typeof e.reason === 'string' ? e.reason : 'the session was destroyed' });
      }
    });
    ws.addEventListener('close', () => {
      if (this.#ended) return;
      this.#ended = true;
      onEvent({ type: 'ended', reason: 'the connection to the server closed' });
    });
  }

  /** Creates a session from `yaml` and attaches to it; `onEvent` sees its states and statistics. */
  static async start(yaml: string, onEvent: (event: RemoteEvent) => void): Promise<RemoteSession> {
    const origin = location.origin;
    // Events are subscribed to before the session exists, so none of its first states is missed.
    const ws = new WebSocket(`${origin.replace(/^http/, 'ws')}/api/v1/control`);
    await new Promise<void>((resolve, reject) => {
      ws.addEventListener('open', () => resolve(), { once: true });
      ws.addEventListener('error', () => reject(new Error('cannot reach the control plane')), { once: true });
    });
    const api = hc<SessionRoutes>(`${origin}/api/v1`);
    const response = await api.sessions.$post({ json: { yaml } });
    const body = await response.json();
    if (!('session_id' in body)) {
      ws.close();
      throw new Error('error' in body ? body.error.message : `the server answered ${response.status}`);
    }
    const session = new RemoteSession(body.session_id, ws, onEvent);
    // States that arrived before the id was known are read back from the pipeline.
    const pipeline = await session.#request({ action: 'getpipeline' });
    const nodes = (pipeline.pipeline as { nodes?: Record<string, { state?: unknown }> } | undefined)?.nodes ?? {};
    for (const [node, entry] of Object.entries(nodes)) onEvent({ type: 'state', node, ...studioState(entry.state) });
    return session;
  }

  /** Applies graph edits as one atomic batch; resolves with the refusal, or null. */
  async applyBatch(operations: BatchOperation[]): Promise<string | null> {
    const answer = await this.#request({ action: 'applybatch', operations });
    if (answer.action === 'batchapplied' && answer.success === true) return null;
    const errors = answer.errors as string[] | undefined;
    return errors?.join('\n') ?? messageOf(answer);
  }

  /** Changes live params of a node. */
  async tune(node: string, params: Record<string, unknown>): Promise<string | null> {
    const answer = await this.#request({ action: 'tunenode', node_id: node, message: { UpdateParams: params } });
    return answer.action === 'success' ? null : messageOf(answer);
  }

  /**
   * Destroys the session on the server and detaches. The editor hears `ended` exactly once,
   * whether the server's `sessiondestroyed` event or the DELETE answer comes back first.
   */
  async stop(): Promise<void> {
    const api = hc<SessionRoutes>(`${location.origin}/api/v1`);
    try {
      await api.sessions[':id'].$delete({ param: { id: this.id } });
    } finally {
      clearTimeout(this.#flush);
      this.#ws.close();
      if (!this.#ended) {
        this.#ended = true;
        this.#onEvent({ type: 'ended', reason: 'stopped' });
      }
    }
  }

  #request(payload: Payload): Promise<Payload> {
    const id = String(++this.#next);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        resolve({ action: 'error', message: `the server did not answer in ${REQUEST_TIMEOUT_MS} ms` });
      }, REQUEST_TIMEOUT_MS);
      this.#pending.set(id, (answer) => {
        clearTimeout(timer);
        resolve(answer);
      });
      this.#ws.send(
        JSON.stringify({ type: 'request', correlation_id: id, payload: { ...payload, session_id: this.id } }),
      );
    });
  }
}

function messageOf(answer: Payload): string {
  return typeof answer.message === 'string' ? answer.message : 'refused';
}
