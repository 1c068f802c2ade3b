/**
 * StreamKit's MoQ node kinds: `transport::moq::subscriber` (a relay broadcast's catalog tracks
 * become output pins), `transport::moq::publisher` (inputs become a broadcast on a relay) and
 * `transport::moq::peer` (both at once on the server's own relay, under a gateway path, so a
 * browser publishes into a session and watches what it makes).
 */
import { z } from 'zod';
import type { InputPinSpec, NodeContext, OutputPinSpec } from '../../../engine';
import { defineNode } from '../../../engine';
import { DEFAULT_GROUP_DURATION_MS, gatewayUrl, TRACK_PIN_PATTERN } from './constants';
import type { RelayTarget } from './session';

/** The MoQ runtime (`@moq/net`, `@moq/hang`), loaded when a node runs: browser code, not the server's. */
const runtime = () => import('./session');

const codec = z.string().nullable().optional();
/** Media a MoQ broadcast carries. */
const MEDIA_IN: InputPinSpec = {
  name: 'in',
  accepts: [{ kind: 'encoded_audio' }, { kind: 'encoded_video' }],
  cardinality: { dynamic: 'in' },
  required: false,
  description:
    'Encoded audio or video to publish (in: audio, in_1: video, as StreamKit wires them; either works on either).',
};
const OUT_PINS: OutputPinSpec[] = [
  {
    name: 'out',
    produces: { kind: 'encoded_audio' },
    cardinality: 'broadcast',
    description: 'The first audio track (StreamKit default pin).',
  },
  {
    name: 'tracks',
    produces: { kind: 'any' },
    cardinality: 'broadcast',
    runtime: { pattern: TRACK_PIN_PATTERN },
    description: 'One pin per catalog track, e.g. audio/data, video/data, video/hd; created when the catalog arrives.',
  },
];

const relayUrl = z
  .string()
  .min(1)
  .refine(
    (u) => /^https?:\/\//i.test(u),
    'url must be an http:// or https:// relay URL (e.g. http://127.0.0.1:4545/moq)',
  );

/** The relay a node talks to: its `url` param, else the server's own relay. */
function target(
  ctx: NodeContext<unknown>,
  url: string | undefined,
  jwt: string | null | undefined,
  retry: { max_retries: number; backoff_cap: number },
): RelayTarget {
  const resolved = url ?? ctx.host.moqRelay?.();
  if (!resolved) {
    throw ctx.error(
      'no relay to connect to: set url (e.g. http://127.0.0.1:4545/moq), or run this pipeline on weft serve',
      {
        phase: 'start',
      },
    );
  }
  return { url: resolved, jwt, maxRetries: retry.max_retries, backoffCapS: retry.backoff_cap };
}

const subscriberParams = z.strictObject({
  url: relayUrl.optional(),
  broadcast: z.string().min(1),
  jwt: z.string().nullable().optional(),
  audio_codec: codec,
  backoff_cap: z.number().positive().default(4),
  max_retries: z.number().int().min(0).default(10),
  batch_ms: z.number().int().min(0).optional(),
});

export const moqSubscriber = defineNode({
  kind: 'transport::moq::subscriber',
  version: 1,
  description:
    'Subscribes to a broadcast on a MoQ relay (Weft’s own at /moq, or any moq-relay) and emits each catalog track on a pin of its name.',
  categories: ['transport', 'moq'],
  params: subscriberParams,
  inputs: [],
  outputs: OUT_PINS,
  create: (ctx) => ({
    run: async (io) =>
      (await runtime()).runSubscription(ctx, io, {
        target: target(ctx, ctx.params.url, ctx.params.jwt, ctx.params),
        broadcast: ctx.params.broadcast,
        pinOf: (track) => track,
        audioToOut: true,
        reconnect: ctx.mode === 'dynamic',
      }),
  }),
});

const publisherParams = z.strictObject({
  url: relayUrl.optional(),
  broadcast: z.string().min(1),
  jwt: z.string().nullable().optional(),
  channels: z.number().int().positive().default(2),
  audio: z.boolean().nullable().optional(),
  video: z.boolean().nullable().optional(),
  video_codec: codec,
  audio_codec: codec,
  group_duration_ms: z.number().int().positive().default(DEFAULT_GROUP_DURATION_MS),
  initial_delay_ms: z.number().int().min(0).default(0),
  backoff_cap: z.number().positive().default(4),
  max_retries: z.number().int().min(0).default(10),
});

export const moqPublisher = defineNode({
  kind: 'transport::moq::publisher',
  version: 1,
  description:
    'Publishes its inputs as a broadcast on a MoQ relay: a hang catalog, video/data (a group per keyframe) and audio/data (a group per group_duration_ms).',
  categories: ['transport', 'moq'],
  params: publisherParams,
  inputs: [MEDIA_IN],
  outputs: [],
  create: (ctx) => ({
    run: async (io) =>
      (await runtime()).runPublication(ctx, io, {
        target: target(ctx, ctx.params.url, ctx.params.jwt, ctx.params),
        broadcast: ctx.params.broadcast,
        groupDurationMs: ctx.params.group_duration_ms,
        initialDelayMs: ctx.params.initial_delay_ms,
        reconnect: ctx.mode === 'dynamic',
      }),
  }),
});

const peerParams = z
  .strictObject({
    gateway_path: z
      .string()
      .regex(/^\/[A-Za-z0-9_.~/-]*$/, 'gateway_path must be a path such as /moq or /moq/room')
      .default('/moq'),
    input_broadcasts: z.array(z.string().min(1)).optional(),
    /** StreamKit's older, singular name. */
    input_broadcast: z.string().min(1).optional(),
    output_broadcast: z.string().min(1).default('output'),
    allow_reconnect: z.boolean().default(false),
    output_group_duration_ms: z.number().int().positive().default(DEFAULT_GROUP_DURATION_MS),
    output_initial_delay_ms: z.number().int().min(0).default(0),
    video_width: z.number().int().positive().default(640),
    video_height: z.number().int().positive().default(480),
    video_codec: codec,
    audio_codec: codec,
    subscriber_audio_codec: codec,
  })
  .transform((p) => ({ ...p, inputs: p.input_broadcasts ?? (p.input_broadcast ? [p.input_broadcast] : ['input']) }));

export const moqPeer = defineNode({
  kind: 'transport::moq::peer',
  version: 1,
  description:
    'A MoQ endpoint inside a session: browsers publish input broadcasts at gateway_path on the server’s relay (their tracks come out of this node) and watch output_broadcast (what is fed in).',
  categories: ['transport', 'moq'],
  params: peerParams,
  modes: 'dynamic',
  mayCloseCycle: true,
  requires: ['moqRelay'],
  inputs: [MEDIA_IN],
  outputs: OUT_PINS,
  create: (ctx) => {
    const relay = ctx.host.moqRelay?.();
    if (!relay) throw ctx.error('this host has no MoQ relay', { phase: 'start' });
    const url = gatewayUrl(relay, ctx.params.gateway_path);
    const retry = { max_retries: 0, backoff_cap: 4 };
    const [first] = ctx.params.inputs;
    return {
      run: async (io) => {
        const { runPublication, runSubscription } = await runtime();
        await Promise.all([
          ...ctx.params.inputs.map((broadcast) =>
            runSubscription(ctx, io, {
              target: { url, maxRetries: retry.max_retries, backoffCapS: retry.backoff_cap },
              broadcast,
              pinOf: (track) => (broadcast === first ? track : `${broadcast}/${track}`),
              audioToOut: broadcast === first,
              reconnect: ctx.params.allow_reconnect,
            }),
          ),
          runPublication(ctx, io, {
            target: { url, maxRetries: retry.max_retries, backoffCapS: retry.backoff_cap },
            broadcast: ctx.params.output_broadcast,
            groupDurationMs: ctx.params.output_group_duration_ms,
            initialDelayMs: ctx.params.output_initial_delay_ms,
            reconnect: true,
          }),
        ]);
      },
    };
  },
});
