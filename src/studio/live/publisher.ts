/**
 * Encodes a camera/screen/microphone stream in the tab and publishes it as a hang broadcast on a
 * MoQ relay. Frames are stamped with wall-clock microseconds at capture, so a watcher on the same
 * clock can show glass-to-glass latency.
 */
import type * as Moq from '@moq/net';
import { BroadcastWriter, connectRelay } from '../../nodes/transport/moq/broadcast';
import { AUDIO_TRACK, VIDEO_TRACK } from '../../nodes/transport/moq/hang';
import { encoderCodecString } from '../../nodes/media/codecs';
import type { VideoCodecName } from '../../engine';

/** Chromium's frame reader for a media track (not yet in TypeScript's DOM library). */
declare class MediaStreamTrackProcessor<T> {
  constructor(init: { track: MediaStreamTrack });
  readonly readable: ReadableStream<T>;
}

/** A keyframe every this many seconds: a late watcher waits at most this long. */
export const KEYFRAME_INTERVAL_S = 2;
/** Frames an encoder may hold before new ones are dropped (live: drop, never queue). */
export const MAX_ENCODE_QUEUE = 2;

export interface PublishOptions {
  relay: string;
  jwt?: string | undefined;
  broadcast: string;
  codec: VideoCodecName;
  /** Target height (width follows the source's aspect). */
  height: number;
  bitrate: number;
}

/** Counters the page shows (and tests read). */
export interface PublishStats {
  state: 'idle' | 'connecting' | 'live' | 'stopped' | 'failed';
  videoFrames: number;
  audioFrames: number;
  dropped: number;
  error?: string;
}

/** Wall-clock microseconds now. */
export function wallNowMicros(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000);
}

/**
 * Maps a track's capture timestamps (Chromium's monotonic clock, whose zero is not the page's)
 * onto wall-clock microseconds: the offset is taken at the first frame, so spacing is kept.
 */
export class WallClock {
  #offset: number | undefined;
  stamp(captureMicros: number): number {
    this.#offset ??= wallNowMicros() - captureMicros;
    return Math.round(captureMicros + this.#offset);
  }
}

/** One live publication. */
export class LivePublisher {
  readonly stats: PublishStats = { state: 'idle', videoFrames: 0, audioFrames: 0, dropped: 0 };
  #connection: Moq.Connection.Established | undefined;
  #writer: BroadcastWriter | undefined;
  readonly #abort = new AbortController();
  readonly #closers: (() => void)[] = [];

  async start(stream: MediaStream, options: PublishOptions): Promise<void> {
    this.stats.state = 'connecting';
    try {
      this.#connection = await connectRelay({ url: options.relay, jwt: options.jwt, signal: this.#abort.signal });
      const Moq = await import('@moq/net');
      this.#writer = new BroadcastWriter();
      this.#connection.publish(Moq.Path.from(options.broadcast), this.#writer.broadcast);
      const [video] = stream.getVideoTracks();
      const [audio] = stream.getAudioTracks();
      if (video) void this.#video(video, options).catch((e: unknown) => this.#fail(e));
      if (audio) void this.#audio(audio).catch((e: unknown) => this.#fail(e));
      this.stats.state = 'live';
      void this.#connection.closed.then(() => {
        if (this.stats.state === 'live') this.#fail(new Error('the relay closed the connection'));
      });
    } catch (error) {
      this.#fail(error);
      throw error;
    }
  }

  #fail(error: unknown): void {
    if (this.stats.state === 'stopped') return;
    this.stats.state = 'failed';
    this.stats.error = error instanceof Error ? error.message : String(error);
    this.stop('failed');
  }

  async #video(track: MediaStreamTrack, options: PublishOptions): Promise<void> {
    const settings = track.getSettings();
    const srcW = settings.width ?? 1280;
    const srcH = settings.height ?? 720;
    const height = Math.min(options.height, srcH) & ~1;
    const width = Math.round((srcW * height) / srcH) & ~1;
    const fps = Math.round(settings.frameRate ?? 30);
    let decoderConfig: VideoDecoderConfig | undefined;
    const writer = this.#writer;
    const encoder = new VideoEncoder({
      output: (chunk, meta) => {
        if (meta?.decoderConfig) decoderConfig = meta.decoderConfig;
        writer?.writeVideo(VIDEO_TRACK, chunk, decoderConfig, fps);
      },
      error: (e) => this.#fail(e),
    });
    encoder.configure({
      codec: encoderCodecString(options.codec, width, height, fps),
      width,
      height,
      bitrate: options.bitrate,
      framerate: fps,
      latencyMode: 'realtime',
      ...(options.codec === 'h264' ? { avc: { format: 'annexb' as const } } : {}),
    });
    this.#closers.push(() => {
      if (encoder.state !== 'closed') encoder.close();
    });
    const reader = new MediaStreamTrackProcessor<VideoFrame>({ track }).readable.getReader();
    this.#closers.push(() => void reader.cancel());
    const keyEvery = Math.max(1, KEYFRAME_INTERVAL_S * fps);
    let n = 0;
    let lastStamp = 0;
    for (;;) {
      const { value: frame, done } = await reader.read();
      if (done) return;
      try {
        if (encoder.state !== 'configured') return;
        if (encoder.encodeQueueSize >= MAX_ENCODE_QUEUE) {
          this.stats.dropped++;
          continue;
        }
        // Stamped with the wall clock as the frame is read (just after capture), kept increasing.
        lastStamp = Math.max(lastStamp + 1, wallNowMicros());
        const stamped = new VideoFrame(frame, { timestamp: lastStamp });
        try {
          encoder.encode(stamped, { keyFrame: n % keyEvery === 0 });
        } finally {
          stamped.close();
        }
        n++;
        this.stats.videoFrames++;
      } finally {
        frame.close();
      }
    }
  }

  async #audio(track: MediaStreamTrack): Promise<void> {
    const writer = this.#writer;
    let decoderConfig: AudioDecoderConfig | undefined;
    const clock = new WallClock();
    const encoder = new AudioEncoder({
      output: (chunk, meta) => {
        if (meta?.decoderConfig) decoderConfig = meta.decoderConfig;
        // Onto the video's clock (wall-clock µs), so a watcher keeps the two in sync.
        const bytes = new Uint8Array(chunk.byteLength);
        chunk.copyTo(bytes);
        const stamped = new EncodedAudioChunk({ type: 'key', timestamp: clock.stamp(chunk.timestamp), data: bytes });
        writer?.writeAudio(AUDIO_TRACK, stamped, decoderConfig);
      },
      error: (e) => this.#fail(e),
    });
    this.#closers.push(() => {
      if (encoder.state !== 'closed') encoder.close();
    });
    const reader = new MediaStreamTrackProcessor<AudioData>({ track }).readable.getReader();
    this.#closers.push(() => void reader.cancel());
    for (;;) {
      const { value: data, done } = await reader.read();
      if (done) return;
      try {
        if (encoder.state === 'unconfigured') {
          encoder.configure({
            codec: 'opus',
            sampleRate: data.sampleRate,
            numberOfChannels: data.numberOfChannels,
            bitrate: 96_000,
          });
        }
        encoder.encode(data);
        this.stats.audioFrames++;
      } finally {
        data.close();
      }
    }
  }

  /** Ends the broadcast and the connection. */
  stop(state: 'stopped' | 'failed' = 'stopped'): void {
    if (state === 'stopped') this.stats.state = 'stopped';
    for (const close of this.#closers.splice(0)) close();
    this.#writer?.close();
    this.#connection?.close();
    this.#abort.abort();
  }
}
