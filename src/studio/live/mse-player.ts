/**
 * Plays a live `/mse/...` stream (WebM or fragmented MP4) in a `<video>` through Media Source
 * Extensions: the body is appended as it arrives (one append at a time), played media older than
 * a window is removed so memory stays flat, and playback that falls behind the live edge jumps
 * forward.
 */

/** Seconds of played media kept behind the playhead. */
export const MSE_KEEP_BEHIND_S = 20;
/** Seconds the playhead may trail the newest media before it jumps to the live edge. */
export const MSE_MAX_LAG_S = 3;

/** What the player has done, for the page's status line and tests. */
export interface MsePlayerStats {
  state: 'connecting' | 'playing' | 'ended' | 'failed';
  bytes: number;
  error?: string;
}

/** A `<video>` fed from one MSE stream URL. */
export class MsePlayer {
  readonly stats: MsePlayerStats = { state: 'connecting', bytes: 0 };
  readonly #video: HTMLVideoElement;

  constructor(video: HTMLVideoElement) {
    this.#video = video;
  }

  /** Plays `url` until the stream ends or `signal` aborts; never throws (see `stats`). */
  async play(url: string, signal?: AbortSignal): Promise<void> {
    try {
      const response = await fetch(url, signal ? { signal } : {});
      if (!response.ok || !response.body) throw new Error(`${response.status} ${await response.text()}`);
      const type = response.headers.get('content-type') ?? 'video/webm';
      if (!MediaSource.isTypeSupported(type)) throw new Error(`this browser cannot play '${type}' through MSE`);
      const source = new MediaSource();
      this.#video.src = URL.createObjectURL(source);
      await new Promise((resolve) => source.addEventListener('sourceopen', resolve, { once: true }));
      const buffer = source.addSourceBuffer(type);
      buffer.mode = 'segments';
      const reader = response.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        this.stats.bytes += value.byteLength;
        await this.#append(buffer, value);
        this.#keepUp(buffer);
      }
      if (source.readyState === 'open') source.endOfStream();
      this.stats.state = 'ended';
    } catch (error) {
      if (signal?.aborted) return;
      this.stats.state = 'failed';
      this.stats.error = error instanceof Error ? error.message : String(error);
    }
  }

  async #append(buffer: SourceBuffer, data: Uint8Array): Promise<void> {
    await updated(buffer, () => buffer.appendBuffer(data as Uint8Array<ArrayBuffer>));
    const video = this.#video;
    if (this.stats.state === 'connecting' && buffer.buffered.length > 0) {
      this.stats.state = 'playing';
      video.currentTime = buffer.buffered.start(0);
      video.play().catch(() => undefined); // muted autoplay; a refusal leaves the controls to the user
    }
    const behind = video.currentTime - MSE_KEEP_BEHIND_S;
    if (buffer.buffered.length > 0 && buffer.buffered.start(0) < behind - 1) {
      await updated(buffer, () => buffer.remove(0, behind));
    }
  }

  #keepUp(buffer: SourceBuffer): void {
    if (buffer.buffered.length === 0) return;
    const edge = buffer.buffered.end(buffer.buffered.length - 1);
    if (edge - this.#video.currentTime > MSE_MAX_LAG_S) this.#video.currentTime = edge - 0.5;
  }
}

/** Runs `start` on `buffer` and resolves at its `updateend` (rejects on `error`). */
function updated(buffer: SourceBuffer, start: () => void): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const done = (): void => {
      buffer.removeEventListener('error', failed);
      resolve();
    };
    const failed = (): void => {
      buffer.removeEventListener('updateend', done);
      reject(new Error('the browser could not append the stream (its bytes do not match its type)'));
    };
    buffer.addEventListener('updateend', done, { once: true });
    buffer.addEventListener('error', failed, { once: true });
    start();
  });
}
