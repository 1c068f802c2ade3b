/**
 * Live sessions on the server: each dynamic pipeline runs on a headless page of its own, held
 * apart from the job pages, and is driven by StreamKit's control messages. The manager checks
 * pipelines before a page is spent on them, enforces the session limit, fans the sessions' events
 * out to subscribers (the WebSocket control plane) with `session_id` and `timestamp` added, and
 * ends a session whose page crashed with an event that says why.
 */
import { randomUUID } from 'node:crypto';
import type { Issue, NodeRegistry, ObjectTarget } from '../../src/engine';
import { checkPipelineText, clip, formatIssue } from '../../src/engine';
import type { ControlAnswer, SessionWireEvent } from '../../src/headless/protocol';
import { SESSION_HOST } from '../../src/headless/protocol';
import { OutputRefused } from '../../src/headless/bridge';
import type { FileAccess } from '../../src/headless/file-access';
import type { SessionIo, SessionPage, SessionPageHandlers } from '../../src/headless/session-page';
import { SessionOpenError } from '../../src/headless/session-page';
import type { MseStreams } from '../mse/streams';
import { MseStreamError } from '../mse/streams';
import type { ObjectStore } from '../object-store';
import { fileRefIssue, objectStoreIssue, scriptSecretIssue } from '../pipeline-check';
import type { ScriptFetch } from '../script-fetch';
import type { NodeRef, RelayTargetPolicy } from '../relay-targets';
import { addedNodes, relayTargetProblem } from '../relay-targets';

/** Sessions one server runs at once by default. */
export const DEFAULT_MAX_SESSIONS = 4;
/** Longest session name. */
export const MAX_SESSION_NAME_CHARS = 128;
/** A session name: printable, no control characters. */
const SESSION_NAME = /^[^\p{Cc}]{1,128}$/u;
/** The pipeline of a session created empty (over the WebSocket, with a name only). */
const EMPTY_SESSION = '{"mode":"dynamic","nodes":{},"connections":[]}';

/** Where sessions run: the headless pool (or, in tests, an in-process stand-in). */
export interface SessionRunner {
  openSession(id: string, pipeline: string, handlers: SessionPageHandlers, io?: SessionIo): Promise<SessionPage>;
}

/** A session as listed (StreamKit's shape). */
export interface SessionInfo {
  id: string;
  name: string | null;
  created_at: string;
}

/** An event for subscribers: StreamKit's event payload (`event`, `session_id`, …, `timestamp`). */
export type SessionBusEvent = Record<string, unknown> & { event: string; session_id: string };

/** A refused session request, with the HTTP status StreamKit answers. */
export class SessionError extends Error {
  override readonly name = 'SessionError';
  readonly status: 400 | 403 | 404 | 409 | 429 | 503;
  readonly code: string;
  readonly issues: Issue[] | undefined;
  constructor(status: SessionError['status'], code: string, message: string, issues?: Issue[]) {
    super(message);
    this.status = status;
    this.code = code;
    this.issues = issues;
  }
}

interface Entry {
  info: SessionInfo;
  page: SessionPage | undefined;
  /** Settles when the page is open (or failed to open). */
  opening: Promise<void>;
}

export interface SessionManagerOptions {
  runner: SessionRunner;
  registry: NodeRegistry;
  maxSessions?: number;
  log?: (line: string) => void;
  /** Which relays MoQ nodes may reach (the server's own always); unchecked when absent. */
  relayTargets?: RelayTargetPolicy;
  /** Server files sessions' file nodes may use; none when absent. */
  files?: FileAccess;
  /** Where `transport::http::mse` nodes publish; none when absent. */
  streams?: MseStreams;
  /** Object storage for `core::object_store_writer`; none when absent. */
  objects?: ObjectStore;
  /** `core::script` fetches; none when absent. */
  scriptFetch?: ScriptFetch;
}

/** The server's live sessions. */
export class SessionManager {
  readonly maxSessions: number;
  readonly #runner: SessionRunner;
  readonly #registry: NodeRegistry;
  readonly #log: (line: string) => void;
  readonly #relayTargets: RelayTargetPolicy | undefined;
  readonly #files: FileAccess | undefined;
  readonly #streams: MseStreams | undefined;
  readonly #objects: ObjectStore | undefined;
  readonly #scriptFetch: ScriptFetch | undefined;
  readonly #sessions = new Map<string, Entry>();
  readonly #listeners = new Set<(event: SessionBusEvent) => void>();
  #closed = false;

  constructor(options: SessionManagerOptions) {
    this.#runner = options.runner;
    this.#registry = options.registry;
    this.maxSessions = options.maxSessions ?? DEFAULT_MAX_SESSIONS;
    this.#log = options.log ?? ((line) => console.error(line));
    this.#relayTargets = options.relayTargets;
    this.#files = options.files;
    this.#streams = options.streams;
    this.#objects = options.objects;
    this.#scriptFetch = options.scriptFetch;
  }

  /** Subscribes to every session's events; returns the unsubscribe function. */
  on(listener: (event: SessionBusEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Sessions, oldest first. */
  list(): SessionInfo[] {
    return [...this.#sessions.values()].map((e) => e.info);
  }

  /** The session with this id or name. */
  find(idOrName: string): SessionInfo | undefined {
    return this.#entry(idOrName)?.info;
  }

  /**
   * Checks and starts a session from `text` (YAML or JSON; empty when absent). A pipeline without
   * `mode` is dynamic (StreamKit's default); a oneshot one is refused: it is a job.
   */
  async create(name: string | undefined, text: string | undefined): Promise<SessionInfo> {
    if (this.#closed) throw new SessionError(503, 'unavailable', 'the server is shutting down');
    if (name !== undefined && !SESSION_NAME.test(name)) {
      throw new SessionError(
        400,
        'bad_request',
        `session name must be 1–${MAX_SESSION_NAME_CHARS} printable characters`,
      );
    }
    if (name !== undefined && this.#entry(name)) {
      throw new SessionError(409, 'conflict', `a session named '${clip(name)}' exists; choose another name`);
    }
    const pipeline = text ?? EMPTY_SESSION;
    if (text !== undefined) await this.#checkNodes(this.#check(text));
    if (this.#sessions.size >= this.maxSessions) {
      throw new SessionError(
        429,
        'too_many_sessions',
        `${this.maxSessions} sessions are running, the most this server runs at once; destroy one first (or start weft serve with a higher --max-sessions)`,
      );
    }
    const info: SessionInfo = { id: randomUUID(), name: name ?? null, created_at: new Date().toISOString() };
    let ready!: () => void;
    const entry: Entry = { info, page: undefined, opening: new Promise((resolve) => (ready = resolve)) };
    this.#sessions.set(info.id, entry);
    try {
      entry.page = await this.#runner.openSession(
        info.id,
        pipeline,
        {
          onEvent: (event) => this.#emit(info.id, event),
          onEnded: (reason) => this.#ended(info.id, reason),
        },
        this.#io(info.id),
      );
    } catch (error) {
      this.#sessions.delete(info.id);
      if (error instanceof SessionOpenError) throw new SessionError(400, error.info.code, error.info.message);
      throw new SessionError(503, 'unavailable', `the session could not start: ${(error as Error).message}`);
    } finally {
      ready();
    }
    if (this.#closed || !this.#sessions.has(info.id)) {
      await entry.page.close();
      throw new SessionError(503, 'unavailable', 'the session ended while it started');
    }
    this.#emit(info.id, { event: 'sessioncreated', name: info.name, created_at: info.created_at });
    return info;
  }

  /** One control request (StreamKit's payload, `session_id` left out) for session `idOrName`. */
  async control(idOrName: string, request: Record<string, unknown>): Promise<ControlAnswer> {
    const entry = this.#entry(idOrName);
    if (!entry) return { action: 'error', message: `Session '${clip(idOrName)}' not found` };
    await entry.opening;
    if (!entry.page) return { action: 'error', message: `Session '${clip(idOrName)}' not found` };
    try {
      await this.#checkNodes(addedNodes(request));
      return await entry.page.control(request);
    } catch (error) {
      if (error instanceof SessionError) return { action: 'error', message: error.message };
      return { action: 'error', message: `session ${entry.info.id}: ${(error as Error).message}` };
    }
  }

  /** Destroys session `idOrName`; resolves with its id once its nodes have stopped. */
  async destroy(idOrName: string): Promise<string> {
    const entry = this.#entry(idOrName);
    if (!entry) throw new SessionError(404, 'not_found', `Session '${clip(idOrName)}' not found`);
    this.#sessions.delete(entry.info.id);
    await entry.opening;
    await entry.page?.close();
    this.#emit(entry.info.id, { event: 'sessiondestroyed' });
    return entry.info.id;
  }

  /** Destroys every session (server shutdown). */
  async closeAll(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#sessions.values()].map((e) => this.destroy(e.info.id).catch(() => undefined)));
  }

  /** Kills the page of session `idOrName` (tests of crash handling). */
  async crash(idOrName: string): Promise<void> {
    await this.#entry(idOrName)?.page?.crash();
  }

  /** Refuses nodes whose `url` points at a relay the server may not reach, or whose file path it does not allow. */
  async #checkNodes(nodes: NodeRef[]): Promise<void> {
    const fileIssue = fileRefIssue(nodes, this.#files);
    if (fileIssue) throw new SessionError(403, 'forbidden_path', formatIssue(fileIssue), [fileIssue]);
    const storeIssue = objectStoreIssue(nodes, this.#objects);
    if (storeIssue) throw new SessionError(403, storeIssue.code, formatIssue(storeIssue), [storeIssue]);
    const secretIssue = scriptSecretIssue(nodes, this.#scriptFetch);
    if (secretIssue) throw new SessionError(403, secretIssue.code, formatIssue(secretIssue), [secretIssue]);
    if (!this.#relayTargets) return;
    const problem = await relayTargetProblem(nodes, this.#relayTargets);
    if (problem) throw new SessionError(400, 'forbidden_url', problem);
  }

  /** The server files and streams session `id`'s nodes may use. */
  #io(id: string): SessionIo {
    const streams = this.#streams;
    const objects = this.#objects;
    const scriptFetch = this.#scriptFetch;
    return {
      ...(scriptFetch ? { scriptFetch: scriptFetch.fetch.bind(scriptFetch) } : {}),
      ...(this.#files ? { files: this.#files } : {}),
      ...(objects ? { openObject: (target: ObjectTarget) => objects.open(target) } : {}),
      ...(streams
        ? {
            openStream: (path, options) => {
              try {
                return streams.open(`${id}${path}`, options);
              } catch (error) {
                if (error instanceof MseStreamError) throw new OutputRefused(error.status, error.message);
                throw error;
              }
            },
          }
        : {}),
    };
  }

  #check(text: string): NodeRef[] {
    const { pipeline, issues, valid } = checkPipelineText(text, this.#registry, { host: SESSION_HOST });
    if (pipeline && valid && pipeline.mode === 'oneshot') {
      throw new SessionError(
        400,
        'invalid_pipeline',
        "this pipeline is oneshot: it runs as a job (POST /api/v1/jobs or /api/v1/process), not as a live session; set 'mode: dynamic' for a session",
      );
    }
    if (!pipeline || !valid) {
      const errors = issues.filter((i) => i.severity === 'error');
      throw new SessionError(
        400,
        'invalid_pipeline',
        `invalid pipeline: ${errors.map(formatIssue).join('; ')}`,
        issues,
      );
    }
    return Object.entries(pipeline.nodes).map(([id, n]) => ({ id, ...n }));
  }

  #entry(idOrName: string): Entry | undefined {
    const byId = this.#sessions.get(idOrName);
    if (byId) return byId;
    for (const entry of this.#sessions.values()) if (entry.info.name === idOrName) return entry;
    return undefined;
  }

  #ended(id: string, reason: string): void {
    const entry = this.#sessions.get(id);
    if (!entry) return; // destroyed on request
    this.#sessions.delete(id);
    this.#log(`weft: session ${id} ended: ${reason}`);
    this.#emit(id, { event: 'sessiondestroyed', reason });
  }

  #emit(sessionId: string, event: SessionWireEvent | ({ event: string } & Record<string, unknown>)): void {
    const payload: SessionBusEvent = { ...event, session_id: sessionId, timestamp: new Date().toISOString() };
    for (const listener of this.#listeners) {
      try {
        listener(payload);
      } catch (error) {
        this.#log(`weft: a session event listener failed: ${(error as Error).message}`);
      }
    }
  }
}
