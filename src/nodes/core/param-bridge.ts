/**
 * `core::param_bridge`, with StreamKit's params: packets become param updates of a sibling node in
 * the same dynamic session (as a `tunenode` request would be). `auto` maps text and transcriptions
 * to `{ properties: { text } }` and custom (JSON) packets to their data; `template` fills
 * `{{ field }}` placeholders of a JSON template (a string that is only a placeholder takes the
 * value with its type); `raw` forwards the payload. Identical consecutive updates are sent once;
 * `debounce_ms` sends only the newest of a burst. An update the target refuses is reported as
 * telemetry (`param_bridge.refused`), and the bridge goes on.
 */
import { z } from 'zod';
import type { Packet } from '../../engine';
import { closePacket, defineNode, micros } from '../../engine';

const params = z
  .strictObject({
    /** The node id of the sibling to tune. */
    target_node: z.string().min(1),
    mode: z.enum(['auto', 'template', 'raw']).default('auto'),
    /** The update, with `{{ text }}` (or a custom packet's fields) as placeholders (mode `template`). */
    template: z.unknown().nullable().optional(),
    /** Coalesce bursts: send only the newest update after this quiet time. */
    debounce_ms: z.number().int().min(0).nullable().optional(),
  })
  .refine((p) => p.mode !== 'template' || (p.template !== undefined && p.template !== null), {
    message: '`template` is required when mode is `template`',
    path: ['template'],
  });

type Json = unknown;

/** The text a packet carries, for auto and template modes. */
function textOf(packet: Packet): string | undefined {
  if (packet.kind === 'text' || packet.kind === 'transcription') return packet.text;
  return undefined;
}

/** Placeholder `{{ name }}` alone in a string: its name. */
function solePlaceholder(s: string): string | undefined {
  const m = /^\{\{\s*([^{}]+?)\s*\}\}$/.exec(s.trim());
  return m?.[1];
}

/** Fills `{{ field }}` placeholders of `template` from `context`. */
export function applyTemplate(template: Json, context: Record<string, unknown>): Json {
  if (typeof template === 'string') {
    const sole = solePlaceholder(template);
    if (sole !== undefined && sole in context) return context[sole];
    return template.replace(/\{\{\s*([^{}]+?)\s*\}\}/g, (_, field: string) => {
      const v = context[field];
      return v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v);
    });
  }
  if (Array.isArray(template)) return template.map((t) => applyTemplate(t, context));
  if (template && typeof template === 'object') {
    return Object.fromEntries(Object.entries(template).map(([k, v]) => [k, applyTemplate(v, context)]));
  }
  return template;
}

/** The update a packet maps to, or undefined when this mode has none for it. */
export function mapPacket(
  packet: Packet,
  mode: 'auto' | 'template' | 'raw',
  template: Json,
): Record<string, unknown> | undefined {
  const text = textOf(packet);
  let update: Json;
  if (mode === 'auto') {
    if (text !== undefined) update = { properties: { text } };
    else if (packet.kind === 'json') update = packet.data;
  } else if (mode === 'template') {
    const context =
      text !== undefined
        ? { text }
        : packet.kind === 'json' && packet.data && typeof packet.data === 'object'
          ? (packet.data as Record<string, unknown>)
          : undefined;
    if (context) update = applyTemplate(template, context);
  } else if (packet.kind === 'json') update = packet.data;
  else if (packet.kind === 'transcription')
    update = { text: packet.text, segments: packet.segments, language: packet.language ?? null };
  else if (packet.kind === 'text') update = { text: packet.text };
  return update && typeof update === 'object' && !Array.isArray(update)
    ? (update as Record<string, unknown>)
    : undefined;
}

export const paramBridge = defineNode({
  kind: 'core::param_bridge',
  version: 1,
  description:
    'Turns packets into live param updates of a sibling node in the same dynamic session (auto, template or raw mapping; optional debounce).',
  categories: ['core', 'control'],
  params,
  inputs: [{ name: 'in', accepts: [{ kind: 'any' }], cardinality: 'one' }],
  outputs: [],
  create: (ctx) => ({
    async run(io) {
      const tune = ctx.tuneSibling;
      if (!tune) {
        throw ctx.error('core::param_bridge runs in dynamic sessions only: it tunes a sibling node while it runs', {
          phase: 'start',
        });
      }
      const target = ctx.params.target_node;
      let lastSent: string | undefined;
      const send = (update: Record<string, unknown>) => {
        const key = JSON.stringify(update);
        if (key === lastSent) return;
        lastSent = key;
        try {
          tune(target, update);
        } catch (error) {
          ctx.telemetry({
            type_id: 'param_bridge.refused',
            data: { target_node: target, message: error instanceof Error ? error.message : String(error) },
          });
        }
      };
      const debounce = ctx.params.debounce_ms ?? 0;
      let pending: Record<string, unknown> | undefined;
      let cancel: (() => void) | undefined;
      const flush = () => {
        cancel = undefined;
        if (pending) send(pending);
        pending = undefined;
      };
      try {
        for await (const packet of io.input('in')) {
          const update = mapPacket(packet, ctx.params.mode, ctx.params.template);
          closePacket(packet);
          if (!update) continue;
          if (debounce === 0) {
            send(update);
            continue;
          }
          pending = update;
          cancel?.();
          cancel = ctx.clock.after(micros(debounce * 1000), flush);
        }
      } finally {
        cancel?.();
      }
      flush();
    },
  }),
});
