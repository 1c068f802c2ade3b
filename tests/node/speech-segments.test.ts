/**
 * The VAD segmenter alone: per-frame probabilities in, speech boundaries out, with StreamKit's
 * end reasons (silence, max_duration, end_of_stream), short blips dropped and hysteresis held.
 */
import { describe, expect, it } from 'vitest';
import type { SpeechEvent } from '../../src/nodes/ml/speech-segments';
import { SpeechSegmenter } from '../../src/nodes/ml/speech-segments';

const FRAME_MS = 32;

/** Feeds `probabilities` (one per frame from 0 ms) and returns every event, the flush's included. */
function segment(probabilities: number[], options: Partial<ConstructorParameters<typeof SpeechSegmenter>[0]> = {}) {
  const s = new SpeechSegmenter({
    threshold: 0.5,
    minSilenceMs: 200,
    minSpeechMs: 100,
    maxSpeechMs: 10_000,
    frameMs: FRAME_MS,
    ...options,
  });
  const events: SpeechEvent[] = [];
  for (const [i, p] of probabilities.entries()) events.push(...s.push(p, i * FRAME_MS).events);
  events.push(...s.flush(probabilities.length * FRAME_MS));
  return events;
}

const frames = (n: number, p: number) => Array<number>(n).fill(p);

describe('SpeechSegmenter', () => {
  it('a segment starts at its first loud frame and ends where the silence began', () => {
    const events = segment([...frames(10, 0.1), ...frames(20, 0.9), ...frames(20, 0.1)]);
    expect(events).toEqual([
      { type: 'start', atMs: 320 },
      { type: 'end', atMs: 960, startMs: 320, durationMs: 640, reason: 'silence' },
    ]);
  });

  it('drops a blip shorter than minSpeechMs and announces nothing for it', () => {
    expect(segment([...frames(5, 0.1), ...frames(2, 0.9), ...frames(20, 0.1)])).toEqual([]);
  });

  it('does not end on a dip that stays above threshold - 0.15 (hysteresis)', () => {
    const events = segment([...frames(10, 0.9), ...frames(20, 0.4), ...frames(10, 0.9), ...frames(20, 0.1)]);
    expect(events.filter((e) => e.type === 'end')).toEqual([
      { type: 'end', atMs: 1280, startMs: 0, durationMs: 1280, reason: 'silence' },
    ]);
  });

  it('cuts a segment at maxSpeechMs and says so', () => {
    const events = segment(frames(30, 0.9), { maxSpeechMs: 640 });
    expect(events.filter((e) => e.type === 'end').map((e) => e.type === 'end' && [e.startMs, e.reason])).toEqual([
      [0, 'max_duration'],
      [640, 'end_of_stream'],
    ]);
  });

  it('closes an open segment at the end of the stream', () => {
    expect(segment([...frames(3, 0.1), ...frames(10, 0.9)]).at(-1)).toEqual({
      type: 'end',
      atMs: 416,
      startMs: 96,
      durationMs: 320,
      reason: 'end_of_stream',
    });
  });
});
