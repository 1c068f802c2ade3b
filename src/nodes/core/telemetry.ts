/**
 * `core::telemetry_tap` and `core::telemetry_out`, with StreamKit's params and event shapes: the
 * packets of the chosen types become telemetry events on the session bus (the WebSocket
 * `nodetelemetry` event): `stt.result` for transcriptions, the `event_type` of custom (JSON)
 * packets, `audio.level` (RMS and peak over each `audio_sample_interval_ms` of samples, counted
 * in media time so a oneshot run reports the same levels as a live one), `text.received` and
 * `binary.received`. Each event type is limited to `max_events_per_sec`; what is over is dropped.
 */
import { z } from 'zod';
import type { NodeContext, Packet } from '../../engine';
import { closePacket, defineNode, micros } from '../../engine';
import { readPlanar } from '../media/audio-data';

/** StreamKit's type id of VAD events, whose event types are reported under `vad.`. */
const VAD_EVENT_TYPE_ID = 'plugin::native::vad/vad-event@1';
/** Characters of text kept in a preview. */
const PREVIEW_CHARS = 100;
/** The window of `max_events_per_sec`. */
const ONE_SECOND = micros(1_000_000);

const filterParams = {
  /** StreamKit's packet type names: Transcription, Custom, Audio, Text, Binary. */
  packet_types: z.array(z.string()).default(['Transcription', 'Custom']),
  /** Glob-like filters of custom event types (`vad.*`, `stt.result`); empty: all. */
  event_type_filter: z.array(z.string()).default([]),
  max_events_per_sec: z.number().int().min(0).default(100),
};

const tapParams = z.strictObject({
  ...filterParams,
  /** Length of audio each `audio.level` event sums up; 0: no audio level events. */
  audio_sample_interval_ms: z.number().int().min(0).default(1000),
});
type TapParams = z.infer<typeof tapParams>;

/** StreamKit's name of a packet's type, as `packet_types` lists them. */
function typeName(packet: Packet): string {
  switch (packet.kind) {
    case 'raw_audio':
      return 'audio';
    case 'transcription':
      return 'transcription';
    case 'json':
      return 'custom';
    case 'binary':
      return 'binary';
    case 'text':
      return 'text';
    default:
      return packet.kind;
  }
}

function preview(text: string): string {
  const chars = [...text];
  return chars.length > PREVIEW_CHARS ? `${chars.slice(0, PREVIEW_CHARS).join('')}...` : text;
}

/** `vad.*` and `stt*` match by prefix; anything else exactly. */
export function matchesEventType(filters: readonly string[], eventType: string): boolean {
  if (filters.length === 0) return true;
  return filters.some((f) =>
    f.endsWith('.*')
      ? eventType.startsWith(f.slice(0, -2))
      : f.endsWith('*')
        ? eventType.startsWith(f.slice(0, -1))
        : eventType === f,
  );
}

/** Turns packets into telemetry events for one node. */
class Tap {
  readonly #ctx: NodeContext<unknown>;
  readonly #params: TapParams;
  readonly #types: Set<string>;
  /** Per event type: the start of its current one-second window and the events sent in it. */
  readonly #windows = new Map<string, { start: number; sent: number }>();
  #audio = { sumSquares: 0, peak: 0, samples: 0, frames: 0, sampleRate: 0, channels: 0 };

  constructor(ctx: NodeContext<unknown>, params: TapParams) {
    this.#ctx = ctx;
    this.#params = params;
    this.#types = new Set(params.packet_types.map((t) => t.toLowerCase()));
  }

  #emit(typeId: string, data: unknown): void {
    const now = this.#ctx.clock.now();
    const window = this.#windows.get(typeId);
    if (!window || now - window.start >= ONE_SECOND) this.#windows.set(typeId, { start: now, sent: 1 });
    else if (window.sent >= this.#params.max_events_per_sec) return;
    else window.sent++;
    this.#ctx.telemetry({ type_id: typeId, data });
  }

  /** Reports `packet` when its type is tapped. The packet is only read. */
  observe(packet: Packet): void {
    if (!this.#types.has(typeName(packet))) return;
    switch (packet.kind) {
      case 'transcription':
        this.#emit('stt.result', {
          text_preview: preview(packet.text),
          segment_count: packet.segments.length,
          segments: packet.segments.map((s) => ({
            text: s.text,
            start_time_ms: Math.round(s.start / 1000),
            end_time_ms: Math.round(s.end / 1000),
            confidence: s.confidence ?? null,
          })),
        });
        return;
      case 'json': {
        const data = packet.data && typeof packet.data === 'object' ? (packet.data as Record<string, unknown>) : {};
        const source = typeof data.event_type === 'string' ? data.event_type : 'custom.unknown';
        const eventType = packet.type_id === VAD_EVENT_TYPE_ID && !source.startsWith('vad.') ? `vad.${source}` : source;
        if (!matchesEventType(this.#params.event_type_filter, eventType)) return;
        this.#emit(eventType, {
          ...data,
          source_type_id: packet.type_id,
          ...(eventType !== source ? { source_event_type: source } : {}),
        });
        return;
      }
      case 'raw_audio':
        this.#level(packet.data);
        return;
      case 'text':
        this.#emit('text.received', { text_preview: preview(packet.text), length: packet.text.length });
        return;
      case 'binary':
        this.#emit('binary.received', {
          size_bytes: packet.data.byteLength,
          has_metadata: packet.content_type !== undefined,
        });
        return;
      default:
        return;
    }
  }

  #level(data: AudioData): void {
    const interval = this.#params.audio_sample_interval_ms;
    if (interval === 0) return;
    const a = this.#audio;
    for (const plane of readPlanar(data).channels) {
      for (const s of plane) {
        a.sumSquares += s * s;
        if (Math.abs(s) > a.peak) a.peak = Math.abs(s);
      }
      a.samples += plane.length;
    }
    a.frames += data.numberOfFrames;
    a.sampleRate = data.sampleRate;
    a.channels = data.numberOfChannels;
    if ((a.frames * 1000) / a.sampleRate < interval) return;
    this.#emit('audio.level', {
      rms: Math.sqrt(a.sumSquares / Math.max(1, a.samples)),
      peak: a.peak,
      sample_count: a.samples,
      sample_rate: a.sampleRate,
      channels: a.channels,
    });
    this.#audio = { sumSquares: 0, peak: 0, samples: 0, frames: 0, sampleRate: 0, channels: 0 };
  }
}

/** `core::telemetry_tap`: passes packets on untouched and reports the chosen ones as telemetry. */
export const telemetryTap = defineNode({
  kind: 'core::telemetry_tap',
  version: 1,
  description:
    'Passes packets through unchanged and reports the chosen packet types as telemetry events on the session bus (nodetelemetry).',
  categories: ['core', 'observability'],
  params: tapParams,
  inputs: [{ name: 'in', accepts: [{ kind: 'any' }], cardinality: 'one' }],
  outputs: [{ name: 'out', produces: { kind: 'passthrough' }, cardinality: 'broadcast' }],
  create: (ctx) => {
    const tap = new Tap(ctx, ctx.params);
    return {
      async run(io) {
        const out = io.output('out');
        for await (const packet of io.input('in')) {
          tap.observe(packet);
          await out.send(packet);
        }
      },
    };
  },
});

/** `core::telemetry_out`: the end of a branch, whose packets become telemetry events. */
export const telemetryOut = defineNode({
  kind: 'core::telemetry_out',
  version: 1,
  description: 'Ends a branch: the chosen packet types become telemetry events on the session bus (nodetelemetry).',
  categories: ['core', 'observability'],
  params: z.strictObject(filterParams),
  inputs: [{ name: 'in', accepts: [{ kind: 'any' }], cardinality: 'one' }],
  outputs: [],
  create: (ctx) => {
    // StreamKit's telemetry_out reports no audio levels.
    const tap = new Tap(ctx, { ...ctx.params, audio_sample_interval_ms: 0 });
    return {
      async run(io) {
        for await (const packet of io.input('in')) {
          tap.observe(packet);
          closePacket(packet);
        }
      },
    };
  },
});
