/**
 * The two halves every MoQ node is made of: a subscription (a broadcast's catalog tracks become
 * output pins, one packet per frame) and a publication (input packets become a broadcast), each
 * on its own relay connection, reconnecting with a capped backoff where the node asks for it.
 */
import * as Moq from '@moq/net';
import type { NodeContext, NodeIO, OutputPort, Packet, PacketType } from '../../../engine';
import { micros } from '../../../engine';
import type { AudioRendition, VideoRendition } from './hang';
import { videoCodecOfString } from '../../media/codecs';
import { AUDIO_TRACK, audioCodecOfString, VIDEO_TRACK } from './hang';
import { BroadcastWriter, connectRelay, describeRelay, readCatalogs, readTrack, waitForBroadcast } from './broadcast';

/** Pause before the first reconnect; it doubles up to `backoff_cap` seconds. */
export const RECONNECT_BASE_MS = 250;
/** Time a oneshot publisher gives the relay to take the last frames before it hangs up. */
export const PUBLISH_LINGER_MS = 500;

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** How a node reaches its relay and how hard it tries. */
export interface RelayTarget {
  url: string;
  jwt?: string | null | undefined;
  /** Connection attempts in a row before the node fails (0: try forever). */
  maxRetries: number;
  /** Longest pause between attempts, in seconds. */
  backoffCapS: number;
}

/** Connects, retrying with backoff; throws a node error naming the relay once retries run out. */
export async function connectWithRetry(
  ctx: NodeContext<unknown>,
  target: RelayTarget,
  signal: AbortSignal,
): Promise<Moq.Connection.Established> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await connectRelay({ url: target.url, jwt: target.jwt, signal });
    } catch (error) {
      if (signal.aborted) throw error;
      if (target.maxRetries > 0 && attempt >= target.maxRetries) {
        throw ctx.error(
          `could not connect to the MoQ relay at ${describeRelay(target.url)} after ${String(attempt)} attempt(s): ${message(error)}; check url and jwt, or start weft serve`,
          { phase: 'run' },
        );
      }
      await sleep(Math.min(RECONNECT_BASE_MS * 2 ** (attempt - 1), target.backoffCapS * 1000), signal);
    }
  }
}

function trackType(
  rendition: { kind: 'video'; config: VideoRendition } | { kind: 'audio'; config: AudioRendition },
): PacketType {
  if (rendition.kind === 'video') {
    const codec = videoCodecOfString(rendition.config.codec);
    return codec ? { kind: 'encoded_video', codec } : { kind: 'encoded_video' };
  }
  const codec = audioCodecOfString(rendition.config.codec);
  return codec ? { kind: 'encoded_audio', codec } : { kind: 'encoded_audio' };
}

/** What a subscription does with one broadcast. */
export interface SubscriptionOptions {
  target: RelayTarget;
  broadcast: string;
  /** The output pin a track goes to (`audio/data`, or `cam/video/data` for a second broadcast). */
  pinOf(track: string): string;
  /** Also send the first audio track to `out` (StreamKit's default pin). */
  audioToOut: boolean;
  /** Wait for the broadcast again after it ends (a publisher that reconnects); else return. */
  reconnect: boolean;
}

/** Subscribes to a broadcast and sends its tracks to output pins until the run ends. */
export async function runSubscription(ctx: NodeContext<unknown>, io: NodeIO, options: SubscriptionOptions) {
  const signal = io.signal;
  const pins = new Map<string, OutputPort>();
  const pinFor = (name: string, type: PacketType): OutputPort => {
    let port = pins.get(name);
    if (!port) {
      port = io.createOutput(name, type);
      pins.set(name, port);
    }
    return port;
  };
  while (!signal.aborted) {
    const connection = await connectWithRetry(ctx, options.target, signal);
    try {
      const broadcast = await waitForBroadcast(connection, options.broadcast, signal);
      await serveBroadcast(broadcast, options, pinFor, io, signal);
    } catch (error) {
      if (signal.aborted) return;
      ctx.telemetry({ type_id: 'moq.subscriber.lost', data: { broadcast: options.broadcast, reason: message(error) } });
    } finally {
      connection.close();
    }
    if (!options.reconnect) return;
  }
}

async function serveBroadcast(
  broadcast: Moq.Broadcast.Consumer,
  options: SubscriptionOptions,
  pinFor: (name: string, type: PacketType) => OutputPort,
  io: NodeIO,
  signal: AbortSignal,
): Promise<void> {
  const running = new Map<string, Promise<void>>();
  let outTrack: string | undefined;
  const stop = new AbortController();
  const onAbort = () => stop.abort(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    for await (const catalog of readCatalogs(broadcast, stop.signal)) {
      const renditions = [
        ...Object.entries(catalog.video?.renditions ?? {}).map(([name, config]) => ({
          name,
          r: { kind: 'video' as const, config },
        })),
        ...Object.entries(catalog.audio?.renditions ?? {}).map(([name, config]) => ({
          name,
          r: { kind: 'audio' as const, config },
        })),
      ];
      for (const { name, r } of renditions) {
        if (running.has(name)) continue;
        const type = trackType(r);
        const port = pinFor(options.pinOf(name), type);
        if (r.kind === 'audio' && options.audioToOut && outTrack === undefined) outTrack = name;
        const alsoOut = outTrack === name ? io.output('out') : undefined;
        running.set(name, pumpTrack(broadcast, name, r, port, alsoOut, stop.signal));
      }
    }
  } finally {
    stop.abort();
    signal.removeEventListener('abort', onAbort);
    await Promise.allSettled(running.values());
  }
}

async function pumpTrack(
  broadcast: Moq.Broadcast.Consumer,
  name: string,
  rendition: { kind: 'video'; config: VideoRendition } | { kind: 'audio'; config: AudioRendition },
  port: OutputPort,
  alsoOut: OutputPort | undefined,
  signal: AbortSignal,
): Promise<void> {
  let sequence = 0;
  for await (const item of readTrack(broadcast, name, rendition, signal)) {
    const meta = { timestamp: micros(item.chunk.timestamp), sequence: sequence++, keyframe: item.chunk.type === 'key' };
    const packet: Packet =
      item.kind === 'video'
        ? { kind: 'encoded_video', chunk: item.chunk, ...(item.config ? { config: item.config } : {}), meta }
        : { kind: 'encoded_audio', chunk: item.chunk, ...(item.config ? { config: item.config } : {}), meta };
    const sends: Promise<void>[] = [];
    if (port.connected) sends.push(port.send(packet));
    if (alsoOut?.connected) sends.push(alsoOut.send({ ...packet }));
    await Promise.all(sends);
  }
}

/** What a publication sends. */
export interface PublicationOptions {
  target: RelayTarget;
  broadcast: string;
  groupDurationMs: number;
  initialDelayMs: number;
  /** Reconnect and go on when the connection drops (dynamic sessions); else fail. */
  reconnect: boolean;
}

/** Publishes the node's inputs as one broadcast until every input ended. */
export async function runPublication(ctx: NodeContext<unknown>, io: NodeIO, options: PublicationOptions) {
  const signal = io.signal;
  const trackOf = new Map<string, string>();
  const lastVideo = new Map<string, VideoDecoderConfig>();
  const lastAudio = new Map<string, AudioDecoderConfig>();
  const counts = { video: 0, audio: 0 };
  const nameFor = (pin: string, kind: 'video' | 'audio'): string => {
    let name = trackOf.get(pin);
    if (!name) {
      const base = kind === 'video' ? VIDEO_TRACK : AUDIO_TRACK;
      name = counts[kind] === 0 ? base : `${base}_${String(counts[kind])}`;
      counts[kind]++;
      trackOf.set(pin, name);
    }
    return name;
  };

  let connection: Moq.Connection.Established | undefined;
  let writer: BroadcastWriter | undefined;
  const open = async (): Promise<BroadcastWriter> => {
    connection?.close();
    connection = await connectWithRetry(ctx, options.target, signal);
    const fresh = new BroadcastWriter({ groupDurationMs: options.groupDurationMs });
    connection.publish(Moq.Path.from(options.broadcast), fresh.broadcast);
    return fresh;
  };
  try {
    writer = await open();
    if (options.initialDelayMs > 0) await sleep(options.initialDelayMs, signal);
    for (;;) {
      const received = await io.recvAny();
      if (!received) break;
      const { pin, packet } = received;
      if (writer.closed) {
        if (!options.reconnect) {
          throw ctx.error(`the MoQ relay at ${describeRelay(options.target.url)} closed the connection`, {
            phase: 'run',
          });
        }
        writer = await open();
      }
      if (packet.kind === 'encoded_video') {
        const name = nameFor(pin, 'video');
        if (packet.config) lastVideo.set(name, packet.config);
        writer.writeVideo(name, packet.chunk, packet.config ?? lastVideo.get(name));
      } else if (packet.kind === 'encoded_audio') {
        const name = nameFor(pin, 'audio');
        if (packet.config) lastAudio.set(name, packet.config);
        writer.writeAudio(name, packet.chunk, packet.config ?? lastAudio.get(name));
      }
    }
    if (ctx.mode === 'oneshot') await sleep(PUBLISH_LINGER_MS, signal);
  } finally {
    writer?.close();
    connection?.close();
  }
}
