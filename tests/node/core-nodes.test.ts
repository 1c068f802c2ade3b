import { describe, expect, it } from 'vitest';
import { parsePipeline, Session, VirtualClock } from '../../src/engine';
import { splitText } from '../../src/nodes/core/text-chunker';
import { testRegistry } from '../support/fakes';

describe('core::text_chunker', () => {
  const p = { split_mode: 'clauses', min_length: 10, chunk_words: 3 } as const;
  it('cuts at clause ends and joins pieces shorter than min_length', () => {
    expect(splitText('Well, the results are in; everyone passed, ', p)).toEqual({
      chunks: ['Well, the results are in;', 'everyone passed,'],
      rest: '',
    });
  });
  it('keeps an unfinished clause for the next packet', () => {
    expect(splitText('First part is done, second part', p)).toEqual({
      chunks: ['First part is done,'],
      rest: 'second part',
    });
  });
  it('cuts every N words, keeping a word that may continue', () => {
    expect(splitText('one two three four five six sev', { ...p, split_mode: 'words' })).toEqual({
      chunks: ['one two three', 'four five six'],
      rest: 'sev',
    });
    expect(splitText('one two three ', { ...p, split_mode: 'words' })).toEqual({ chunks: ['one two three'], rest: '' });
  });
});

describe('core::pacer', () => {
  async function sendTimes(speed: number, extra = '') {
    const { registry, recorder } = testRegistry();
    const clock = new VirtualClock();
    const { pipeline } = parsePipeline(`
mode: oneshot
nodes:
  src: { kind: test::source, params: { count: 6, frame_duration_us: 40000 } }
  pace: { kind: core::pacer, params: { speed: ${speed} ${extra} }, needs: src }
  out: { kind: test::collect, needs: pace }
`);
    await new Session(pipeline, { registry, clock, statsIntervalMs: 0 }).run();
    const times = recorder.times.get('out') ?? [];
    return times.map((t) => t - (times[0] ?? 0));
  }

  it('releases packets at their timestamps in real time', async () => {
    expect(await sendTimes(1)).toEqual([0, 40_000, 80_000, 120_000, 160_000, 200_000]);
  });

  it('scales time by speed', async () => {
    expect(await sendTimes(2)).toEqual([0, 20_000, 40_000, 60_000, 80_000, 100_000]);
  });

  it('sends an initial burst before pacing', async () => {
    expect(await sendTimes(1, ', initial_burst_packets: 3')).toEqual([0, 0, 0, 0, 40_000, 80_000]);
  });
});
