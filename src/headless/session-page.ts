/**
 * A live session's own headless page: held apart from the job pages (a session runs until it is
 * destroyed), in its own browser context, loading the same bundle. Control requests are answered
 * by the page's engine Worker; its events are parsed against the protocol before they are
 * relayed. A page that crashes or closes ends its session with the reason. Runs in Node.
 */
import type { Browser } from 'playwright-core';
import type { ObjectTarget, ScriptFetchRequest } from '../engine';
import type { OutputSink } from './bridge';
import type { FileAccess } from './file-access';
import type { ControlAnswer, JobErrorInfo, PageApi, SessionPageIo, SessionWireEvent } from './protocol';
import { ControlAnswerSchema, PAGE_GLOBAL, PAGE_PATH, REPORT_BINDING, parsePageEvent } from './protocol';

/** Time a session page gets to load and start its session. */
export const SESSION_START_TIMEOUT_MS = 30_000;
/** Time a control request gets to be answered before the page counts as hung. */
export const CONTROL_TIMEOUT_MS = 10_000;
/** Time a session gets to stop its nodes before its page is closed anyway. */
const SESSION_CLOSE_TIMEOUT_MS = 3_000;

/** What the owner of a session page hears from it. */
export interface SessionPageHandlers {
  onEvent(event: SessionWireEvent): void;
  /** The session ended without being closed: the page crashed or closed, or the session ended itself. */
  onEnded(reason: string): void;
}

/** What a session's nodes may reach on the server besides the relay. */
export interface SessionIo {
  /** Server files for `core::file_reader` / `core::file_writer`. */
  files?: FileAccess;
  /** Publishes a `transport::http::mse` stream at `path` (under the session); throws `OutputRefused`. */
  openStream?: (path: string, options: { contentType: string; maxClients: number }) => OutputSink;
  /** Opens an object for `core::object_store_writer`; throws `OutputRefused`. */
  openObject?: (target: ObjectTarget) => OutputSink;
  /** Makes `core::script` fetches. */
  scriptFetch?: (request: ScriptFetchRequest) => Promise<{ status: number; body: string }>;
}

/** A pipeline the page refused (invalid, or it could not start). */
export class SessionOpenError extends Error {
  override readonly name = 'SessionOpenError';
  readonly info: JobErrorInfo;
  constructor(info: JobErrorInfo) {
    super(info.message);
    this.info = info;
  }
}

/** A running session page. */
export interface SessionPage {
  control(request: unknown): Promise<ControlAnswer>;
  /** Stops the session (bounded) and closes its page. */
  close(): Promise<void>;
  /** Kills the page's renderer (tests of crash handling). */
  crash(): Promise<void>;
}

function timeout<T>(ms: number, message: string): Promise<T> {
  return new Promise<T>((_, reject) => setTimeout(() => reject(new Error(message)), ms).unref());
}

/** Opens a page at `origin` in `browser` and starts session `id` from `pipeline` on it. */
export async function openSessionPage(
  browser: Browser,
  origin: string,
  id: string,
  pipeline: string,
  handlers: SessionPageHandlers,
  log: (line: string) => void,
  relayUrl?: string,
  io?: SessionPageIo,
): Promise<SessionPage> {
  const context = await browser.newContext();
  let ended = false;
  let closing = false;
  const end = (reason: string): void => {
    if (ended) return;
    ended = true;
    if (!closing) handlers.onEnded(reason);
    context.close().catch(() => undefined); // the page may already be gone with its browser
  };
  try {
    const page = await context.newPage();
    let ready!: () => void;
    const isReady = new Promise<void>((resolve) => (ready = resolve));
    await page.exposeBinding(REPORT_BINDING, (_source, json: unknown) => {
      const event = parsePageEvent(json);
      if (!event) {
        log(`weft: session ${id}: its page sent an event outside the protocol; ignored`);
        return;
      }
      if (event.type === 'ready') ready();
      else if (event.type === 'session' && event.id === id) {
        if (event.event.event === 'sessionended') end(event.event.reason);
        else if (!ended) handlers.onEvent(event.event);
      }
    });
    page.on('crash', () => end('the session page crashed'));
    page.on('close', () => end('the session page closed'));
    page.on('pageerror', (error) => log(`weft: session ${id}: page error: ${error.message}`));
    // The server's relay rides in the URL: the page comes from the bridge, another origin.
    await page.goto(`${origin}${PAGE_PATH}${relayUrl ? `?relay=${encodeURIComponent(relayUrl)}` : ''}`);
    await Promise.race([
      isReady,
      timeout(SESSION_START_TIMEOUT_MS, `the session page did not start in ${SESSION_START_TIMEOUT_MS} ms`),
    ]);
    const opened = await page.evaluate(
      ([global, sid, text, routes]) =>
        (window as unknown as Record<string, PageApi>)[global]?.openSession(sid, text, routes ?? undefined),
      [PAGE_GLOBAL, id, pipeline, io ?? null] as const,
    );
    if (!opened?.ok) {
      throw new SessionOpenError(opened?.error ?? { code: 'internal', message: 'the session page has no API' });
    }
    return {
      async control(request) {
        if (ended) return { action: 'error', message: `Session '${id}' has ended` };
        const answer = await Promise.race([
          page.evaluate(
            ([global, sid, req]) => (window as unknown as Record<string, PageApi>)[global]?.control(sid, req),
            [PAGE_GLOBAL, id, request] as const,
          ),
          timeout<unknown>(CONTROL_TIMEOUT_MS, `the session page did not answer in ${CONTROL_TIMEOUT_MS} ms`),
        ]);
        const parsed = ControlAnswerSchema.safeParse(answer);
        return parsed.success
          ? parsed.data
          : { action: 'error', message: 'the session page answered outside the protocol' };
      },
      async close() {
        closing = true;
        if (!ended) {
          await Promise.race([
            page
              .evaluate(([global, sid]) => (window as unknown as Record<string, PageApi>)[global]?.closeSession(sid), [
                PAGE_GLOBAL,
                id,
              ] as const)
              .catch(() => undefined), // a page that is gone has nothing left to stop
            timeout<void>(SESSION_CLOSE_TIMEOUT_MS, 'close').catch(() => undefined),
          ]);
        }
        end('closed');
        await context.close().catch(() => undefined);
      },
      async crash() {
        await page.goto('chrome://crash').catch(() => undefined); // the navigation dies with the renderer
      },
    };
  } catch (error) {
    closing = true;
    end('failed to start');
    await context.close().catch(() => undefined);
    throw error;
  }
}
