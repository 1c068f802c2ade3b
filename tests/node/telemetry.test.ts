/**
 * core::telemetry_tap and core::telemetry_out: StreamKit's event types and shapes, the packet type
 * and event type filters, and the per-type rate limit; packets pass through untouched.
 */
import { describe, expect, it } from 'vitest';
import type { Packet, SessionEvent } from '../../src/engine';
import { micros, parsePipeline, Session, VirtualClock } from '../../src/engine';
import { matchesEventType } from '../../src/nodes/core/telemetry';
import { emitterNode, testRegistry } from '../support/fakes';

const meta = (i: number) => ({ timestamp: micros(i * 40_000), duration: micros(40_000) });

async function telemetryOf(yaml: string, packets: Packet[] = []) {
  const { registry, recorder } = testRegistry();
  registry.register(emitterNode(packets));
  const events: Extract<SessionEvent, { event: 'nodetelemetry' }>[] = [];
  const session = new Session(parsePipeline(yaml).pipeline, {
    registry,
    clock: new VirtualClock(),
    statsIntervalMs: 0,
  });
  session.on((e) => {
    if (e.event === 'nodetelemetry') events.push(e);
  });
  const result = await session.run();
  expect(result.state, JSON.stringify(result.error)).toBe('done');
  return { events, recorder };
}

describe('core::telemetry_tap', () => {
  it('passes every packet through and reports the chosen types, at most max_events_per_sec of each', async () => {
    const { events, recorder } = await telemetryOf(`
mode: oneshot
nodes:
  src: { kind: test::source, params: { count: 10, type: text } }
  tap: { kind: core::telemetry_tap, params: { packet_types: [Text], max_events_per_sec: 3 }, needs: src }
  out: { kind: test::collect, needs: tap }
`);
    expect(recorder.get('out').length).toBe(10);
    expect(events.map((e) => [e.node_id, e.type_id])).toEqual([
      ['tap', 'text.received'],
      ['tap', 'text.received'],
      ['tap', 'text.received'],
    ]);
    expect(events[0]?.data).toEqual({ text_preview: 'packet 0', length: 8 });
  });

  it('reports nothing for types it was not asked for (Transcription and Custom by default)', async () => {
    const { events } = await telemetryOf(`
mode: oneshot
nodes:
  src: { kind: test::source, params: { count: 3, type: text } }
  tap: { kind: core::telemetry_tap, needs: src }
  out: { kind: test::collect, needs: tap }
`);
    expect(events).toEqual([]);
  });

  it('reports custom events by event_type (VAD events under vad.), filtered, and transcriptions as stt.result', async () => {
    const vad = 'plugin::native::vad/vad-event@1';
    const { events } = await telemetryOf(
      `
mode: oneshot
nodes:
  src: { kind: test::emit }
  tap: { kind: core::telemetry_tap, params: { event_type_filter: ["vad.*", stt.result] }, needs: src }
  out: { kind: core::telemetry_out, params: { packet_types: [Custom] }, needs: tap }
`,
      [
        { kind: 'json', type_id: vad, data: { event_type: 'speech_start', probability: 0.9 }, meta: meta(0) },
        { kind: 'json', type_id: 'app/llm@1', data: { event_type: 'llm.response', text: 'hi' }, meta: meta(1) },
        {
          kind: 'transcription',
          text: 'hello world',
          segments: [{ text: 'hello world', start: micros(500_000), end: micros(1_250_000), confidence: 0.8 }],
          meta: meta(2),
        },
      ],
    );
    const tap = events.filter((e) => e.node_id === 'tap');
    expect(tap.map((e) => e.type_id)).toEqual(['vad.speech_start', 'stt.result']);
    expect(tap[0]?.data).toEqual({
      event_type: 'speech_start',
      probability: 0.9,
      source_type_id: vad,
      source_event_type: 'speech_start',
    });
    expect(tap[1]?.data).toEqual({
      text_preview: 'hello world',
      segment_count: 1,
      segments: [{ text: 'hello world', start_time_ms: 500, end_time_ms: 1250, confidence: 0.8 }],
    });
    // telemetry_out, unfiltered, reports both custom packets and ends the branch.
    const out = events.filter((e) => e.node_id === 'out');
    expect(out.map((e) => e.type_id)).toEqual(['vad.speech_start', 'llm.response']);
  });

  it('matches event types as StreamKit does', () => {
    expect(matchesEventType([], 'anything')).toBe(true);
    expect(matchesEventType(['vad.*'], 'vad.start')).toBe(true);
    expect(matchesEventType(['stt*'], 'stt.result')).toBe(true);
    expect(matchesEventType(['stt.result'], 'stt.results')).toBe(false);
    expect(matchesEventType(['vad.*'], 'llm.response')).toBe(false);
  });
});
