/**
 * Plays a hang broadcast from a MoQ relay: video decoded with WebCodecs and drawn the moment it
 * is ready, audio decoded and scheduled on an AudioContext against the same timestamps, and the
 * figures a live overlay shows (latency from wall-clock stamps, bitrate, fps).
 */
import type * as Moq from '@moq/net';
import type { AudioRendition, VideoRendition } from '../../nodes/transport/moq/hang';
import { connectRelay, readCatalogs, readTrack, waitForBroadcast } from '../../nodes/transport/moq/broadcast';

/** How far ahead audio is scheduled, to ride over jitter. */
export const AUDIO_LEAD_S = 0.06;
/** Frames waiting in the decoder above which the player skips to the next keyframe. */
export const MAX_DECODE_QUEUE = 4;
/** Latencies kept for the overlay's percentiles. */
const LATENCY_WINDOW = 120;

/** What the player has seen (the overlay, tests and the live bench read it). */
export interface PlayerStats {
  state: 'connecting' | 'waiting' | 'playing' | 'ended' | 'failed';
  framesDrawn: number;
  audioPlayed: number;
  width: number;
  height: number;
  /** Whether the first frame drawn came from a keyframe. */
  firstWasKey: boolean | undefined;
  /** ms from the page opening to the first frame drawn. */
  firstFrameMs: number | undefined;
  /** ms from the page opening to finding the broadcast on the relay. */
  foundMs: number | undefined;
  /** Glass-to-glass latency of recent frames (ms), from wall-clock timestamps. */
  latencies: number[];
  bytes: number;
  groups: number;
  error?: string;
}

function nowWallMicros(): number {
  return performance.timeOrigin * 1000 + performance.now() * 1000;
}

export class LivePlayer {
  readonly stats: PlayerStats = {
    state: 'connecting',
    framesDrawn: 0,
    audioPlayed: 0,
    width: 0,
    height: 0,
    firstWasKey: undefined,
    firstFrameMs: undefined,
    foundMs: undefined,
    latencies: [],
    bytes: 0,
    groups: 0,
  };
  readonly #canvas: HTMLCanvasElement;
  readonly #abort = new AbortController();
  #audio: AudioContext | undefined;
  #audioClock: { media: number; context: number } | undefined;
  #connection: Moq.Connection.Established | undefined;

  constructor(canvas: HTMLCanvasElement) {
    this.#canvas = canvas;
  }

  /** The audio context (created suspended until the user allows sound). */
  audioContext(): AudioContext {
    this.#audio ??= new AudioContext({ latencyHint: 'interactive' });
    return this.#audio;
  }

  /** Plays `broadcast` until stopped; when its publisher leaves, waits for it to come back. */
  async play(relay: string, broadcast: string, jwt: string | undefined): Promise<void> {
    const signal = this.#abort.signal;
    while (!signal.aborted) {
      try {
        this.stats.state = 'connecting';
        this.#connection = await connectRelay({ url: relay, jwt, signal });
        this.stats.state = 'waiting';
        const consumer = await waitForBroadcast(this.#connection, broadcast, signal);
        this.stats.foundMs ??= performance.now();
        await this.#run(consumer, signal);
      } catch (error) {
        if (signal.aborted) return;
        this.stats.error = error instanceof Error ? error.message : String(error);
      } finally {
        this.#connection?.close();
      }
      this.stats.state = 'ended';
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  async #run(consumer: Moq.Broadcast.Consumer, signal: AbortSignal): Promise<void> {
    const tasks: Promise<void>[] = [];
    let video: string | undefined;
    let audio: string | undefined;
    for await (const catalog of readCatalogs(consumer, signal)) {
      const v = Object.entries(catalog.video?.renditions ?? {})[0];
      const a = Object.entries(catalog.audio?.renditions ?? {})[0];
      if (v && video === undefined) {
        video = v[0];
        tasks.push(this.#video(consumer, v[0], v[1], signal));
      }
      if (a && audio === undefined) {
        audio = a[0];
        tasks.push(this.#playAudio(consumer, a[0], a[1], signal));
      }
    }
    await Promise.allSettled(tasks);
  }

  async #video(consumer: Moq.Broadcast.Consumer, name: string, rendition: VideoRendition, signal: AbortSignal) {
    const g = this.#canvas.getContext('2d');
    if (!g) throw new Error('no 2D canvas');
    let lastGroup = -1;
    let keyPending: boolean | undefined;
    let config: VideoDecoderConfig | undefined;
    /** After a skipped frame or a decoder error, nothing decodes until the next keyframe. */
    let needKey = false;
    const onFrame = (frame: VideoFrame) => {
      try {
        if (this.#canvas.width !== frame.displayWidth || this.#canvas.height !== frame.displayHeight) {
          this.#canvas.width = frame.displayWidth;
          this.#canvas.height = frame.displayHeight;
        }
        g.drawImage(frame, 0, 0);
        this.stats.width = frame.displayWidth;
        this.stats.height = frame.displayHeight;
        if (this.stats.framesDrawn === 0) {
          this.stats.firstFrameMs = performance.now();
          this.stats.firstWasKey = keyPending;
        }
        this.stats.framesDrawn++;
        this.stats.state = 'playing';
        this.stats.latencies.push((nowWallMicros() - frame.timestamp) / 1000);
        if (this.stats.latencies.length > LATENCY_WINDOW) this.stats.latencies.shift();
      } finally {
        frame.close();
      }
    };
    let decoder: VideoDecoder | undefined;
    const fresh = (c: VideoDecoderConfig): VideoDecoder => {
      const d = new VideoDecoder({
        output: onFrame,
        error: (e) => {
          this.stats.error = e.message;
          needKey = true;
        },
      });
      d.configure(c);
      return d;
    };
    try {
      for await (const item of readTrack(consumer, name, { kind: 'video', config: rendition }, signal)) {
        if (item.kind !== 'video') continue;
        const key = item.chunk.type === 'key';
        if (item.config) {
          config = item.config;
          if (decoder?.state !== 'closed') decoder?.close();
          decoder = fresh(config);
        }
        if (this.stats.framesDrawn === 0 && keyPending === undefined) keyPending = key;
        if (item.group !== lastGroup) {
          lastGroup = item.group;
          this.stats.groups++;
        }
        this.stats.bytes += item.chunk.byteLength;
        if (!config) continue;
        if (key && (needKey || !decoder || decoder.state === 'closed')) {
          if (decoder && decoder.state !== 'closed') decoder.close();
          decoder = fresh(config);
          needKey = false;
        }
        if (!decoder || needKey) continue;
        if (!key && decoder.decodeQueueSize > MAX_DECODE_QUEUE) {
          needKey = true; // behind: drop to the next keyframe rather than fall further back
          continue;
        }
        decoder.decode(item.chunk);
      }
    } finally {
      if (decoder && decoder.state !== 'closed') decoder.close();
    }
  }

  async #playAudio(consumer: Moq.Broadcast.Consumer, name: string, rendition: AudioRendition, signal: AbortSignal) {
    const context = this.audioContext();
    const decoder = new AudioDecoder({
      output: (data) => {
        try {
          this.#schedule(context, data);
        } finally {
          data.close();
        }
      },
      error: (e) => {
        this.stats.error = e.message;
      },
    });
    try {
      for await (const item of readTrack(consumer, name, { kind: 'audio', config: rendition }, signal)) {
        if (item.kind !== 'audio') continue;
        if (item.config) decoder.configure(item.config);
        this.stats.bytes += item.chunk.byteLength;
        decoder.decode(item.chunk);
      }
    } finally {
      if (decoder.state !== 'closed') decoder.close();
    }
  }

  /** Schedules decoded audio at its timestamp on the context's clock (re-anchored when it drifts). */
  #schedule(context: AudioContext, data: AudioData): void {
    const buffer = context.createBuffer(data.numberOfChannels, data.numberOfFrames, data.sampleRate);
    for (let c = 0; c < data.numberOfChannels; c++) {
      const plane = new Float32Array(data.numberOfFrames);
      data.copyTo(plane, { planeIndex: c, format: 'f32-planar' });
      buffer.copyToChannel(plane, c);
    }
    const media = data.timestamp / 1e6;
    let at = this.#audioClock ? this.#audioClock.context + (media - this.#audioClock.media) : -1;
    if (!this.#audioClock || at < context.currentTime || at > context.currentTime + 1) {
      this.#audioClock = { media, context: context.currentTime + AUDIO_LEAD_S };
      at = this.#audioClock.context;
    }
    const source = context.createBufferSource();
    source.buffer = buffer;
    source.connect(context.destination);
    source.start(at);
    this.stats.audioPlayed++;
  }

  stop(): void {
    this.#abort.abort();
    this.#connection?.close();
    void this.#audio?.close();
  }
}

/** The p-th percentile (0–100) of some numbers. */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}
