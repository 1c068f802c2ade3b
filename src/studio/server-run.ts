/**
 * "Run on server": submits the pipeline and its inputs to the job API of the server that served
 * the page, follows it over SSE and reports its outputs as download links.
 */

export interface ServerJobView {
  id: string;
  state: string;
  fraction: number | null;
  outputs: { name: string; url: string }[];
  error?: string;
}

interface JobJson {
  id: string;
  state: string;
  outputs: { name: string }[];
  error: { message: string } | null;
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
  const response = await fetch('/api/v1/jobs', { method: 'POST', body: form });
  const body = (await response.json()) as { id?: string; error?: { message: string } };
  if (!response.ok || !body.id) throw new Error(body.error?.message ?? `the server answered ${response.status}`);
  const id = body.id;
  let view: ServerJobView = { id, state: 'queued', fraction: null, outputs: [] };
  update(view);
  await new Promise<void>((resolve) => {
    const events = new EventSource(`/api/v1/jobs/${id}/events`);
    events.addEventListener('progress', (e) => {
      const p = JSON.parse((e as MessageEvent<string>).data) as { fraction: number | null };
      view = { ...view, fraction: p.fraction };
      update(view);
    });
    events.addEventListener('state', (e) => {
      const job = JSON.parse((e as MessageEvent<string>).data) as JobJson;
      view = {
        ...view,
        state: job.state,
        outputs: job.outputs.map((o) => ({
          name: o.name,
          url: `/api/v1/jobs/${id}/outputs/${encodeURIComponent(o.name)}`,
        })),
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
