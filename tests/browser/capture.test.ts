/**
 * Capture sources own the frames of their device stream: a node that stops early (frame_count, or
 * its session stopping) closes the frames still coming instead of leaving them to the garbage
 * collector, and then cancels the stream.
 */
import { describe, expect, it } from 'vitest';
import type { NodeHost, Pipeline } from '../../src/engine';
import { NodeRegistry, Session } from '../../src/engine';
import { camera } from '../../src/nodes/sources/capture';
import { Recorder, testNodes } from '../support/fakes';

function frame(i: number): VideoFrame {
  return new VideoFrame(new Uint8Array(16 * 16 * 4), {
    format: 'RGBA',
    codedWidth: 16,
    codedHeight: 16,
    timestamp: i * 33_333,
  });
}

describe('video::camera', () => {
  it('closes the frames it does not send, then cancels the device stream', async () => {
    const made: VideoFrame[] = [];
    let canceled = false;
    const host: NodeHost = {
      openCapture: () =>
        Promise.resolve(
          new ReadableStream<VideoFrame | AudioData>({
            start(controller) {
              for (let i = 0; i < 10; i++) controller.enqueue(made[made.push(frame(i)) - 1] as VideoFrame);
            },
            cancel() {
              canceled = true;
            },
          }),
        ),
    };
    const recorder = new Recorder();
    const pipeline: Pipeline = {
      mode: 'oneshot',
      nodes: { cam: { kind: 'video::camera', params: { frame_count: 3 } }, out: { kind: 'test::collect' } },
      connections: [{ from_node: 'cam', from_pin: 'out', to_node: 'out', to_pin: 'in' }],
    };
    const registry = new NodeRegistry([camera, ...testNodes(recorder)]);
    const result = await new Session(pipeline, { registry, host, statsIntervalMs: 0 }).result();
    expect(result.state, String(result.error)).toBe('done');
    expect(recorder.get('out')).toHaveLength(3);
    // The stream never ends by itself: the node drains what is queued, then gives up and cancels.
    await expect.poll(() => canceled, { timeout: 5000 }).toBe(true);
    expect(made.filter((f) => f.format !== null)).toEqual([]);
  });
});
