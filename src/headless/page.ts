/**
 * The headless page: a thin shell around the engine Worker (`run.worker.ts`), driven by the
 * Node-side driver. It hands jobs to the Worker and relays the Worker's events to the driver's
 * binding. Side effect (entry file): defines `window.weftHeadless` and reports `ready`.
 */
import { proxy, wrap } from 'comlink';
import type { PageApi, PageEvent } from './protocol';
import { PAGE_GLOBAL, REPORT_BINDING } from './protocol';
import type { RunWorkerApi } from './run.worker';

type Reporter = (json: string) => Promise<void>;

function report(event: PageEvent): void {
  const send = (window as unknown as Record<string, Reporter | undefined>)[REPORT_BINDING];
  if (!send) throw new Error(`the driver did not expose ${REPORT_BINDING}`);
  send(JSON.stringify(event)).catch((error: unknown) => console.error('weft headless: report failed', error));
}

const engine = wrap<RunWorkerApi>(
  new Worker(new URL('./run.worker.ts', import.meta.url), { type: 'module', name: 'weft-engine' }),
);
const relay = proxy(report);

const api: PageApi = {
  start(job) {
    engine.run(job, relay).catch((error: unknown) => {
      report({
        type: 'failed',
        id: job.id,
        error: {
          code: 'internal',
          message: `the engine Worker failed: ${error instanceof Error ? error.message : String(error)}`,
        },
      });
    });
  },
  cancel(id) {
    void engine.cancel(id);
  },
  openSession: (id, pipeline, io) =>
    engine.openSession(id, pipeline, relay, new URLSearchParams(location.search).get('relay') ?? undefined, io),
  control: (id, request) => engine.control(id, request),
  closeSession: (id) => engine.closeSession(id),
};

(window as unknown as Record<string, PageApi>)[PAGE_GLOBAL] = api;
report({ type: 'ready' });
