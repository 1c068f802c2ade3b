/**
 * `weft session create|list|get|tune|destroy`: live sessions on a running `weft serve`, through
 * the typed client of the session routes (`hc`) and, for tuning, the WebSocket control plane.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { hc } from 'hono/client';
import WebSocket from 'ws';
import { DEFAULT_HOST, DEFAULT_PORT } from './config';
import { parseOverrides } from './pipeline-check';
import type { SessionRoutes } from './sessions/routes';

/** Time a tune request gets to be answered. */
const TUNE_TIMEOUT_MS = 15_000;

export const SESSION_USAGE = `  weft session create PIPELINE [--name NAME]        start a live (dynamic) session; prints its id
  weft session list                                  id, name and start time of each session
  weft session get ID|NAME                           the running pipeline, as JSON
  weft session tune ID|NAME NODE PARAM=VALUE...      change live params of a node
  weft session destroy ID|NAME
                    (each takes --server URL, default $WEFT_SERVER or http://127.0.0.1:4545, and --token T or $WEFT_TOKEN)`;

type ErrorBody = { error?: { message?: string } };

async function reason(response: Response): Promise<string> {
  const text = await response.text();
  try {
    return (JSON.parse(text) as ErrorBody).error?.message ?? text;
  } catch {
    return text; // not JSON: the text is the reason
  }
}

/** Runs `weft session …`; returns the exit code (1: the server refused, 2: usage). */
export async function cmdSession(args: string[], usage: (message: string) => never): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      server: { type: 'string', default: process.env.WEFT_SERVER ?? `http://${DEFAULT_HOST}:${DEFAULT_PORT}` },
      token: { type: 'string', default: process.env.WEFT_TOKEN },
      name: { type: 'string' },
    },
  });
  const [action, target, ...rest] = positionals;
  const base = values.server.replace(/\/$/, '');
  const headers: Record<string, string> = values.token ? { authorization: `Bearer ${values.token}` } : {};
  const client = hc<SessionRoutes>(`${base}/api/v1`, { headers });
  const refused = async (response: Response): Promise<number> => {
    process.stderr.write(`weft: the server refused (${response.status}): ${await reason(response)}\n`);
    return 1;
  };
  switch (action) {
    case 'create': {
      if (!target) usage('session create needs a PIPELINE file');
      const yaml = await readFile(target, 'utf8');
      const response = await client.sessions.$post({ json: { yaml, ...(values.name ? { name: values.name } : {}) } });
      if (!response.ok) return refused(response);
      const created = await response.json();
      console.log(created.session_id);
      return 0;
    }
    case 'list': {
      const response = await client.sessions.$get();
      if (!response.ok) return refused(response);
      for (const s of await response.json()) console.log(`${s.id}  ${s.created_at}  ${s.name ?? ''}`.trimEnd());
      return 0;
    }
    case 'get': {
      if (!target) usage('session get needs a session id or name');
      const response = await client.sessions[':id'].pipeline.$get({ param: { id: target } });
      if (!response.ok) return refused(response);
      console.log(JSON.stringify(await response.json(), null, 2));
      return 0;
    }
    case 'destroy': {
      if (!target) usage('session destroy needs a session id or name');
      const response = await client.sessions[':id'].$delete({ param: { id: target } });
      if (!response.ok) return refused(response);
      console.log((await response.json()).session_id);
      return 0;
    }
    case 'tune': {
      const [node, ...pairs] = rest;
      if (!target || !node || pairs.length === 0) usage('session tune needs ID NODE PARAM=VALUE...');
      let update: Record<string, unknown>;
      try {
        update = parseOverrides(pairs.map((p) => `${node}.${p}`))[node] ?? {};
      } catch (error) {
        usage((error as Error).message.replace('--set', 'tune'));
      }
      const answer = await tune(base, values.token, target, node, update);
      if (answer.action !== 'success') {
        process.stderr.write(`weft: ${typeof answer.message === 'string' ? answer.message : 'the tune was refused'}\n`);
        return 1;
      }
      return 0;
    }
    default:
      usage(`unknown session action '${action ?? ''}' (create, list, get, tune, destroy)`);
  }
}

/** Sends one `tunenode` over the control plane and resolves with its response payload. */
function tune(
  base: string,
  token: string | undefined,
  session: string,
  node: string,
  update: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const url = `${base.replace(/^http/, 'ws')}/api/v1/control`;
  const ws = new WebSocket(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`no answer from ${base} in ${TUNE_TIMEOUT_MS} ms`));
    }, TUNE_TIMEOUT_MS);
    ws.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    ws.on('open', () => {
      ws.send(
        JSON.stringify({
          type: 'request',
          correlation_id: 'tune',
          payload: { action: 'tunenode', session_id: session, node_id: node, message: { UpdateParams: update } },
        }),
      );
    });
    ws.on('message', (data: Buffer) => {
      const message = JSON.parse(data.toString()) as {
        type: string;
        correlation_id?: string;
        payload: Record<string, unknown>;
      };
      if (message.type !== 'response' || message.correlation_id !== 'tune') return;
      clearTimeout(timer);
      ws.close();
      resolve(message.payload);
    });
  });
}
