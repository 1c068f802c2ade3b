/**
 * `core::script`, with StreamKit's contract: user JavaScript defining `process(packet)` runs per
 * packet in a QuickJS sandbox (`script-sandbox.ts`) and returns a packet (changed or not) or
 * `null` to drop it; `undefined` passes the packet on. Packets appear as StreamKit shows them:
 * `{ type: 'Text', data }`, `{ type: 'Transcription', data: { text, language, segments } }`,
 * `{ type: 'Custom', type_id, encoding: 'json', data }`, and audio, video and binary packets as
 * metadata only. A script that throws passes the packet on and reports `script.error`
 * telemetry (StreamKit's pass-through handling); one that runs past `timeout_ms` or its
 * `memory_limit_mb` is stopped and the node fails naming it. `fetch()` (async, resolving with the
 * body text, as StreamKit's) reaches only what the host allows: on weft serve, URLs matching its
 * `--script-fetch-allow` patterns (none by default, StreamKit's empty allowlist), with `headers`
 * filled in from the server's secrets; in the tab, nothing.
 */
import { z } from 'zod';
import type { Packet, PacketMeta } from '../../engine';
import { closePacket, defineNode, micros } from '../../engine';
import type { SandboxHost } from './script-sandbox';

const params = z
  .strictObject({
    /** JavaScript that defines `process(packet)`. */
    script: z.string().default(''),
    /** A file with the script (the host's allowed read paths apply). */
    script_path: z.string().nullable().default(null),
    timeout_ms: z.number().int().min(0).default(100),
    memory_limit_mb: z.number().int().min(0).default(64),
    /** Secrets of the host's configuration as fetch() headers; never secrets in the pipeline. */
    headers: z
      .array(
        z.strictObject({ secret: z.string().min(1), header: z.string().min(1), template: z.string().default('{}') }),
      )
      .default([]),
  })
  .refine((p) => p.script.trim() !== '' || p.script_path !== null, {
    message: 'give the script (a process(packet) function) in `script`, or a file in `script_path`',
    path: ['script'],
  });

/** Console lines and telemetry events a script may send per second; the rest are dropped. */
const EVENTS_PER_SECOND = 50;

function metadataOf(meta: PacketMeta): Record<string, unknown> {
  return {
    ...(meta.timestamp !== undefined ? { timestamp_us: meta.timestamp } : {}),
    ...(meta.duration !== undefined ? { duration_us: meta.duration } : {}),
    ...(meta.sequence !== undefined ? { sequence: meta.sequence } : {}),
  };
}

/** A packet as the script sees it. */
export function toScript(packet: Packet): Record<string, unknown> {
  const metadata = metadataOf(packet.meta);
  switch (packet.kind) {
    case 'text':
      return { type: 'Text', data: packet.text, metadata };
    case 'transcription':
      return {
        type: 'Transcription',
        data: {
          text: packet.text,
          language: packet.language ?? null,
          segments: packet.segments.map((s) => ({
            text: s.text,
            start_time_ms: Math.round(s.start / 1000),
            end_time_ms: Math.round(s.end / 1000),
            confidence: s.confidence ?? null,
          })),
        },
        metadata,
      };
    case 'json':
      return { type: 'Custom', type_id: packet.type_id, encoding: 'json', data: packet.data, metadata };
    case 'raw_audio':
      return {
        type: 'Audio',
        metadata: {
          ...metadata,
          sample_rate: packet.data.sampleRate,
          channels: packet.data.numberOfChannels,
          frames: packet.data.numberOfFrames,
          duration_ms: (packet.data.numberOfFrames * 1000) / packet.data.sampleRate,
        },
      };
    case 'raw_video':
      return {
        type: 'Video',
        metadata: { ...metadata, width: packet.frame.displayWidth, height: packet.frame.displayHeight },
      };
    case 'binary':
      return {
        type: 'Binary',
        metadata: { ...metadata, size_bytes: packet.data.byteLength, content_type: packet.content_type ?? null },
      };
    default:
      return { type: packet.kind === 'encoded_video' ? 'EncodedVideo' : 'EncodedAudio', metadata };
  }
}

/** The packet a script's answer stands for; `input` is passed on for media the script cannot make. */
export function fromScript(answer: unknown, input: Packet): Packet | null | 'invalid' {
  if (answer === null) return null;
  if (answer === '__pass__') return input;
  if (!answer || typeof answer !== 'object') return 'invalid';
  const a = answer as { type?: unknown; data?: unknown; type_id?: unknown };
  const meta = input.meta;
  switch (a.type) {
    case 'Text':
      return typeof a.data === 'string' ? { kind: 'text', text: a.data, meta } : 'invalid';
    case 'Transcription': {
      const d = a.data as { text?: unknown; language?: unknown; segments?: unknown } | undefined;
      if (!d || typeof d.text !== 'string') return 'invalid';
      const segments = Array.isArray(d.segments) ? (d.segments as Record<string, unknown>[]) : [];
      return {
        kind: 'transcription',
        text: d.text,
        ...(typeof d.language === 'string' ? { language: d.language } : {}),
        segments: segments.map((s) => ({
          text: typeof s.text === 'string' ? s.text : '',
          start: micros(Number(s.start_time_ms ?? 0) * 1000),
          end: micros(Number(s.end_time_ms ?? 0) * 1000),
          ...(typeof s.confidence === 'number' ? { confidence: s.confidence } : {}),
        })),
        meta,
      };
    }
    case 'Custom':
      return {
        kind: 'json',
        type_id: typeof a.type_id === 'string' ? a.type_id : 'script/custom@1',
        data: a.data ?? null,
        meta,
      };
    default:
      // Media (audio, video, binary): the script sees metadata only, so the packet itself goes on.
      return input.kind === 'text' || input.kind === 'transcription' || input.kind === 'json' ? 'invalid' : input;
  }
}

export const script = defineNode({
  kind: 'core::script',
  version: 1,
  description:
    'Runs user JavaScript (process(packet)) per packet in a QuickJS sandbox with a time and memory limit; it may change, replace or drop packets.',
  categories: ['core', 'scripting'],
  params,
  inputs: [{ name: 'in', accepts: [{ kind: 'any' }], cardinality: 'one' }],
  outputs: [{ name: 'out', produces: { kind: 'passthrough' }, cardinality: 'one' }],
  create: (ctx) => ({
    async run(io) {
      const p = ctx.params;
      const scriptFetch = ctx.host.scriptFetch;
      const [first] = p.headers;
      if (first && !scriptFetch) {
        throw ctx.error(
          `secret '${first.secret}' is not configured on this host (fetch() headers come from the host's secrets, never from the pipeline)`,
          { phase: 'start' },
        );
      }
      let source = p.script;
      if (p.script_path !== null) {
        if (!ctx.host.readFile)
          throw ctx.error('this host cannot read script_path files; put the code in `script`', { phase: 'start' });
        source = await new Response(await ctx.host.readFile(p.script_path, io.signal)).text();
      }
      let window = { start: 0, sent: 0 };
      const limited = (send: () => void) => {
        const now = Date.now();
        if (now - window.start >= 1000) window = { start: now, sent: 0 };
        if (window.sent++ < EVENTS_PER_SECOND) send();
      };
      const host: SandboxHost = {
        log: (level, message) => limited(() => ctx.telemetry({ type_id: 'script.console', data: { level, message } })),
        telemetry: (eventType, data) => limited(() => ctx.telemetry({ type_id: eventType, data })),
        fetch: async (url, init) => {
          if (!URL.canParse(url)) throw new Error(`fetch('${url}'): not a valid URL`);
          if (!scriptFetch) {
            throw new Error(
              `Blocked: Global allowlist is empty (fetch() to ${new URL(url).host}: this host allows scripts no network access)`,
            );
          }
          const answer = await scriptFetch(
            {
              url,
              method: (init.method ?? 'GET').toUpperCase(),
              headers: init.headers ?? {},
              ...(init.body !== undefined ? { body: init.body } : {}),
              secrets: p.headers,
            },
            io.signal,
          );
          if (answer.status >= 400)
            throw new Error(`fetch('${url}'): HTTP ${answer.status}: ${answer.body.slice(0, 200)}`);
          return answer.body;
        },
      };
      const { ScriptSandbox, ScriptStop } = await import('./script-sandbox');
      const stop = (error: unknown): never => {
        if (error instanceof ScriptStop) throw ctx.error(error.message, { phase: 'run', cause: error });
        throw error;
      };
      const sandbox = await ScriptSandbox.create(
        source,
        { timeoutMs: p.timeout_ms, memoryLimitMb: p.memory_limit_mb },
        host,
      ).catch(stop);
      try {
        const out = io.output('out');
        for await (const packet of io.input('in')) {
          let answer: unknown;
          try {
            answer = JSON.parse(await sandbox.process(JSON.stringify(toScript(packet)))) as unknown;
          } catch (error) {
            if (error instanceof ScriptStop && error.reason === 'error') {
              // StreamKit's pass-through handling: the packet goes on, the error is reported.
              limited(() => ctx.telemetry({ type_id: 'script.error', data: { message: error.message } }));
              await out.send(packet);
              continue;
            }
            closePacket(packet);
            stop(error);
          }
          const next = fromScript(answer, packet);
          if (next === 'invalid') {
            limited(() =>
              ctx.telemetry({
                type_id: 'script.error',
                data: { message: 'process(packet) returned something that is not a packet; passed the packet on' },
              }),
            );
            await out.send(packet);
          } else if (next === null) closePacket(packet);
          else {
            if (next !== packet) closePacket(packet);
            await out.send(next);
          }
        }
      } finally {
        sandbox.dispose();
      }
    },
  }),
});
