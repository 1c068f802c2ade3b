/**
 * "Run on server": submits the pipeline and its inputs to the job API of the server that served
 * the page, follows it over SSE and reports its outputs as download links. The job shapes come
 * from the server's routes through Hono's typed client.
 */
import { hc } from 'hono/client';
import type { publicJob } from '../../server/jobs/record';
import type { JobRoutes } from '../../server/jobs/routes';

/** A server job as the run bar shows it. */
export interface ServerJobView {
  id: string;
  state: string;
  fraction: number | null;
  outputs: { name: string; url: string }[];
  error?: string;
}

type Job = ReturnType<typeof publicJob>;

/** The job API of the server that served the page. */
function jobApi() {
  return hc<JobRoutes>(`${location.origin}/api/v1`);
}

/** Submits and follows a job; `update` sees every change; resolves when the job ends. */
export async function runOnServer(
  text: string,
  inputs: Record<string, File>,
  update: (job: ServerJobView) => void,
): Promise<void> {
  const form = new FormData();
  form.append('config', text);
  for (const [name, file] of Object.entries(inputs)) form.append(name, file, file.name);
  const api = jobApi();
  const response = await api.jobs.$post(undefined, { init: { body: form } });
  const body = await response.json();
  if (!('id' in body)) throw new Error('error' in body ? body.error.message : `the server answered ${response.status}`);
  const id = body.id;
  const outputUrl = (name: string) => api.jobs[':id'].outputs[':name'].$url({ param: { id, name } }).pathname;
  let view: ServerJobView = { id, state: 'queued', fraction: null, outputs: [] };
  update(view);
  await new Promise<void>((resolve) => {
    const events = new EventSource(api.jobs[':id'].events.$url({ param: { id } }));
    events.addEventListener('progress', (e) => {
      const p = JSON.parse((e as MessageEvent<string>).data) as NonNullable<Job['progress']>;
      view = { ...view, fraction: p.fraction };
      update(view);
    });
    events.addEventListener('state', (e) => {
      const job = JSON.parse((e as MessageEvent<string>).data) as Job;
      view = {
        ...view,
        state: job.state,
        outputs: job.outputs.map((o) => ({ name: o.name, url: outputUrl(o.name) })),
        ...(job.error ? { error: job.error.message } : {}),
      };
      update(view);
      if (['succeeded', 'failed', 'canceled'].includes(job.state)) {
        events.close();
        resolve();
      }
    });
    events.onerror = () => {
      if (events.readyState === EventSource.CLOSED) resolve();
    };
  });
}
