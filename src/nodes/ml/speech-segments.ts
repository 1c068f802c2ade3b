/**
 * Turns per-frame speech probabilities into speech segments, as Silero's VAD iterator does:
 * speech starts at the first frame over `threshold` and ends once the probability stays under
 * `threshold - 0.15` for `minSilenceMs`; a segment shorter than `minSpeechMs` is dropped (its start
 * is only announced once it has lasted that long, with the time it began); one longer than
 * `maxSpeechMs` is cut. Times are in milliseconds of the audio stream. Pure, so it is tested alone.
 */

/** Below `threshold` by this much counts as silence (hysteresis against flicker). */
export const SILENCE_MARGIN = 0.15;

export interface SegmenterOptions {
  threshold: number;
  minSilenceMs: number;
  minSpeechMs: number;
  maxSpeechMs: number;
  /** Length of one probability frame. */
  frameMs: number;
}

/** Why a segment ended: enough silence, `maxSpeechMs` reached, or the stream ended (StreamKit's reasons). */
export type SpeechEndReason = 'silence' | 'max_duration' | 'end_of_stream';

/** A speech boundary: `start` (once confirmed) or `end` (with the segment's length and why). */
export type SpeechEvent =
  | { type: 'start'; atMs: number }
  | { type: 'end'; atMs: number; startMs: number; durationMs: number; reason: SpeechEndReason };

/** What one frame turned out to be, and the boundaries it settled. */
export interface FrameVerdict {
  /** The frame is inside a (possibly not yet confirmed) speech segment. */
  speech: boolean;
  /** A start was confirmed: frames held since `atMs` are speech. */
  confirmed: boolean;
  events: SpeechEvent[];
}

export class SpeechSegmenter {
  readonly #o: SegmenterOptions;
  #startMs: number | undefined;
  #confirmed = false;
  #silenceSinceMs: number | undefined;

  constructor(options: SegmenterOptions) {
    this.#o = options;
  }

  /** Whether a segment is open now. */
  get inSpeech(): boolean {
    return this.#startMs !== undefined;
  }

  /** Whether the open segment has lasted `minSpeechMs` (its start was announced). */
  get confirmedSpeech(): boolean {
    return this.#startMs !== undefined && this.#confirmed;
  }

  /** Feeds the probability of the frame starting at `atMs`. */
  push(probability: number, atMs: number): FrameVerdict {
    const o = this.#o;
    const events: SpeechEvent[] = [];
    let confirmed = false;
    if (this.#startMs === undefined) {
      if (probability < o.threshold) return { speech: false, confirmed, events };
      this.#startMs = atMs;
      this.#confirmed = false;
      this.#silenceSinceMs = undefined;
    }
    const start = this.#startMs;
    if (probability >= o.threshold) this.#silenceSinceMs = undefined;
    else if (probability < o.threshold - SILENCE_MARGIN) this.#silenceSinceMs ??= atMs;
    const end = atMs + o.frameMs;
    if (!this.#confirmed && end - start >= o.minSpeechMs && this.#silenceSinceMs === undefined) {
      this.#confirmed = true;
      confirmed = true;
      events.push({ type: 'start', atMs: start });
    }
    const silentFor = this.#silenceSinceMs === undefined ? 0 : end - this.#silenceSinceMs;
    if (silentFor >= o.minSilenceMs) {
      this.#close(this.#silenceSinceMs ?? end, 'silence', events);
      return { speech: false, confirmed, events };
    }
    if (end - start >= o.maxSpeechMs) this.#close(end, 'max_duration', events);
    return { speech: true, confirmed, events };
  }

  /** Closes an open segment at the end of the stream. */
  flush(atMs: number): SpeechEvent[] {
    const events: SpeechEvent[] = [];
    if (this.#startMs !== undefined) this.#close(this.#silenceSinceMs ?? atMs, 'end_of_stream', events);
    return events;
  }

  #close(endMs: number, reason: SpeechEndReason, events: SpeechEvent[]): void {
    const start = this.#startMs ?? endMs;
    if (this.#confirmed) events.push({ type: 'end', atMs: endMs, startMs: start, durationMs: endMs - start, reason });
    this.#startMs = undefined;
    this.#confirmed = false;
    this.#silenceSinceMs = undefined;
  }
}
