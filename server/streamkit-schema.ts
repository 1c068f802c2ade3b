/**
 * `GET /api/v1/schema/nodes` and `/schema/packets` in StreamKit's shapes, so StreamKit's web UI
 * and clients read Weft's registry as their own: packet types and cardinalities externally tagged
 * (`"Binary"`, `{"RawAudio": {…}}`, `"One"`, `{"Dynamic": {"prefix": "in"}}`), `bidirectional`,
 * the default `out` pin first, StreamKit's categories for the oneshot-only nodes, and a packet type registry whose compatibility rules say which fields
 * are wildcards. Weft's own, richer shape stays at `/api/v1/weft/schema/…`.
 */
import type { Cardinality, NodeDescription, PacketType } from '../src/engine';

const PIXEL_FORMATS: Record<string, string> = {
  RGBA: 'Rgba8',
  RGBX: 'Rgba8',
  BGRA: 'Rgba8',
  BGRX: 'Rgba8',
  I420: 'I420',
  NV12: 'Nv12',
};
const VIDEO_CODECS = ['vp9', 'h264', 'av1', 'vp8'] as const;
const AUDIO_CODECS = ['opus', 'aac'] as const;

/** One Weft packet type as StreamKit's `PacketType` values (a wildcard codec on an input lists each codec). */
export function streamkitTypes(type: PacketType, side: 'input' | 'output'): unknown[] {
  switch (type.kind) {
    case 'any':
      return ['Any'];
    case 'passthrough':
      return ['Passthrough'];
    case 'binary':
      return ['Binary'];
    case 'text':
      return ['Text'];
    case 'transcription':
      return ['Transcription'];
    case 'json':
      return [{ Custom: { type_id: type.type_id ?? '*' } }];
    case 'raw_audio':
      return [
        {
          RawAudio: {
            sample_rate: type.sample_rate ?? 0,
            channels: type.channels ?? 0,
            sample_format: type.sample_format?.startsWith('s16') ? 'S16Le' : 'F32',
          },
        },
      ];
    case 'raw_video':
      return [
        {
          RawVideo: {
            width: type.width ?? null,
            height: type.height ?? null,
            pixel_format: (type.pixel_format && PIXEL_FORMATS[type.pixel_format]) ?? null,
          },
        },
      ];
    case 'encoded_video':
      if (type.codec) return [{ EncodedVideo: { codec: type.codec } }];
      return side === 'input'
        ? VIDEO_CODECS.map((codec) => ({ EncodedVideo: { codec } }))
        : [{ EncodedVideo: { codec: null } }];
    case 'encoded_audio':
      if (type.codec) return [{ EncodedAudio: { codec: type.codec } }];
      return side === 'input'
        ? AUDIO_CODECS.map((codec) => ({ EncodedAudio: { codec } }))
        : [{ EncodedAudio: { codec: null } }];
  }
}

/** StreamKit's `PinCardinality`. */
export function streamkitCardinality(c: Cardinality): unknown {
  if (c === 'one') return 'One';
  if (c === 'broadcast') return 'Broadcast';
  return { Dynamic: { prefix: c.dynamic } };
}

/** StreamKit files its synthetic oneshot nodes under these categories. */
const SYNTHETIC_CATEGORIES: Record<string, string[]> = {
  'streamkit::http_input': ['transport', 'oneshot'],
  'streamkit::http_output': ['transport', 'oneshot'],
};

export interface StreamkitNode {
  kind: string;
  description?: string;
  param_schema: Record<string, unknown>;
  inputs: { name: string; accepts_types: unknown[]; cardinality: unknown }[];
  outputs: { name: string; produces_type: unknown; cardinality: unknown }[];
  categories: string[];
  bidirectional: boolean;
}

/** A node as StreamKit's `NodeDefinition`. */
export function streamkitNode(d: NodeDescription): StreamkitNode {
  const outputs = [...d.outputs].sort((a, b) => Number(b.name === 'out') - Number(a.name === 'out'));
  const inputs = [...d.inputs].sort((a, b) => Number(b.name === 'in') - Number(a.name === 'in'));
  const oneshotOnly = d.modes === 'oneshot' && !d.categories.includes('oneshot');
  return {
    kind: d.kind,
    ...(d.description ? { description: d.description } : {}),
    param_schema: d.param_schema,
    inputs: inputs.map((p) => ({
      name: p.name,
      accepts_types: p.accepts_types.flatMap((t) => streamkitTypes(t, 'input')),
      cardinality: streamkitCardinality(p.cardinality),
    })),
    outputs: outputs.map((p) => ({
      name: p.name,
      produces_type: streamkitTypes(p.produces_type, 'output')[0],
      cardinality: streamkitCardinality(p.cardinality),
    })),
    categories: SYNTHETIC_CATEGORIES[d.kind] ?? (oneshotOnly ? [...d.categories, 'oneshot'] : [...d.categories]),
    bidirectional: d.may_close_cycle,
  };
}

/** StreamKit's `PacketTypeMeta[]`, with the wildcard rules Weft's type check follows. */
export const STREAMKIT_PACKET_TYPES = [
  { id: 'Any', label: 'Any', color: '#9ca3af', compatibility: { kind: 'any' } },
  { id: 'Binary', label: 'Binary', color: '#8b5cf6', compatibility: { kind: 'exact' } },
  { id: 'Text', label: 'Text', color: '#e5e7eb', compatibility: { kind: 'exact' } },
  {
    id: 'RawAudio',
    label: 'Raw Audio',
    color: '#10b981',
    display_template: 'Raw Audio ({sample_rate|*}Hz, {channels|*}ch, {sample_format})',
    compatibility: {
      kind: 'structfieldwildcard',
      fields: [
        { name: 'sample_rate', wildcard_value: 0 },
        { name: 'channels', wildcard_value: 0 },
        { name: 'sample_format' },
      ],
    },
  },
  {
    id: 'RawVideo',
    label: 'Raw Video',
    color: '#f59e0b',
    display_template: 'Raw Video ({width|*}x{height|*}, {pixel_format|*})',
    compatibility: {
      kind: 'structfieldwildcard',
      fields: [
        { name: 'width', wildcard_value: null },
        { name: 'height', wildcard_value: null },
        { name: 'pixel_format', wildcard_value: null },
      ],
    },
  },
  {
    id: 'EncodedAudio',
    label: 'Encoded Audio',
    color: '#3b82f6',
    display_template: 'Encoded Audio ({codec|*})',
    compatibility: { kind: 'structfieldwildcard', fields: [{ name: 'codec', wildcard_value: null }] },
  },
  {
    id: 'EncodedVideo',
    label: 'Encoded Video',
    color: '#ef4444',
    display_template: 'Encoded Video ({codec|*})',
    compatibility: { kind: 'structfieldwildcard', fields: [{ name: 'codec', wildcard_value: null }] },
  },
  { id: 'Transcription', label: 'Transcription', color: '#ec4899', compatibility: { kind: 'exact' } },
  {
    id: 'Custom',
    label: 'Custom',
    color: '#14b8a6',
    display_template: 'Custom ({type_id})',
    compatibility: { kind: 'structfieldwildcard', fields: [{ name: 'type_id', wildcard_value: '*' }] },
  },
];
