/**
 * Capture sources: camera, microphone and screen. The page owns the device (permission prompt,
 * `getUserMedia` / `getDisplayMedia`, `MediaStreamTrackProcessor`, which exists only on the main
 * thread) and hands the frames to the engine through `NodeHost.openCapture`. Timestamps are
 * rebased so the first frame is at 0.
 */
import { z } from 'zod';
import type { CaptureDevice, NodeDefinition, PacketType } from '../../engine';
import { defineNode, micros } from '../../engine';
import { makeAudioData, readPlanar } from '../media/audio-data';

const params = z.strictObject({
  /** Stop after this many frames (video) or chunks (audio); 0 runs until the pipeline stops. */
  frame_count: z.number().int().min(0).default(0),
  /** Requested capture size and rate (the device may differ); 0 leaves the choice to the device. */
  width: z.number().int().min(0).max(7680).default(0),
  height: z.number().int().min(0).max(7680).default(0),
  fps: z.number().int().min(0).max(240).default(0),
});
type Params = z.infer<typeof params>;

/** The device constraints a page asks for, from a capture node's params (as written in the pipeline). */
export function captureConstraints(params: Record<string, unknown>): MediaTrackConstraints {
  const positive = (key: string) => {
    const value = params[key];
    return typeof value === 'number' && value > 0 ? value : undefined;
  };
  const width = positive('width');
  const height = positive('height');
  const fps = positive('fps');
  return { ...(width ? { width } : {}), ...(height ? { height } : {}), ...(fps ? { frameRate: fps } : {}) };
}

/** Which device each capture kind reads. */
export const CAPTURE_DEVICES = {
  'video::camera': 'camera',
  'audio::microphone': 'microphone',
  'video::screen': 'screen',
} as const satisfies Record<string, CaptureDevice>;

/** How long a finished capture node keeps closing the frames still coming before it cancels the stream. */
const DRAIN_MS = 3000;

/**
 * Closes the frames still in the device stream, until the host stops the track (the stream
 * ends) or `DRAIN_MS` pass: cancelling at once would leave the frames already queued to the
 * garbage collector.
 */
async function drain(reader: ReadableStreamDefaultReader<VideoFrame | AudioData>): Promise<void> {
  const deadline = Date.now() + DRAIN_MS;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), DRAIN_MS)));
  try {
    while (Date.now() < deadline) {
      const next = await Promise.race([reader.read(), late]);
      if (next === 'late' || next.done) break;
      next.value.close();
    }
  } catch {
    // The stream failed: there is nothing left to close.
  } finally {
    clearTimeout(timer);
    await reader.cancel('the pipeline stopped').catch(() => undefined);
  }
}

function makeCapture(kind: keyof typeof CAPTURE_DEVICES, description: string): NodeDefinition<Params> {
  const device = CAPTURE_DEVICES[kind];
  const video = device !== 'microphone';
  const type: PacketType = video ? { kind: 'raw_video' } : { kind: 'raw_audio' };
  return defineNode({
    kind,
    version: 1,
    description,
    categories: ['sources', video ? 'video' : 'audio'],
    params,
    requires: ['openCapture'],
    inputs: [],
    outputs: [{ name: 'out', produces: type, cardinality: 'broadcast' }],
    create: (ctx) => ({
      async run(io) {
        const open = ctx.host.openCapture;
        const stream = open ? await open(ctx.nodeId, device, io.signal) : undefined;
        if (!stream) {
          throw ctx.error(
            `this host has no ${device}: capture sources run in the studio tab, where the browser asks for permission`,
          );
        }
        const reader = stream.getReader();
        let stopped = false;
        const stop = () => {
          if (stopped) return;
          stopped = true;
          void drain(reader);
        };
        io.signal.addEventListener('abort', stop, { once: true });
        const out = io.output('out');
        let origin: number | undefined;
        let sent = 0;
        try {
          while (ctx.params.frame_count === 0 || sent < ctx.params.frame_count) {
            const { value, done } = await reader.read();
            if (done) break;
            if (stopped) {
              value.close();
              break;
            }
            origin ??= value.timestamp;
            const timestamp = micros(value.timestamp - origin);
            const duration = value.duration === null ? undefined : micros(value.duration);
            const meta = { timestamp, ...(duration !== undefined ? { duration } : {}) };
            if (value instanceof VideoFrame) {
              const frame = new VideoFrame(value, { timestamp });
              value.close();
              await out.send({ kind: 'raw_video', frame, meta });
            } else {
              // Rebased like the video, so microphone audio starts with the camera at 0.
              const planar = readPlanar(value);
              value.close();
              await out.send({ kind: 'raw_audio', data: makeAudioData({ ...planar, timestamp }), meta });
            }
            sent++;
          }
        } finally {
          io.signal.removeEventListener('abort', stop);
          stop();
        }
      },
    }),
  });
}

/** `video::camera`: frames from a camera (`getUserMedia`). */
export const camera = makeCapture('video::camera', 'Captures video from a camera (the browser asks for permission).');
/** `audio::microphone`: audio from a microphone (`getUserMedia`). */
export const microphone = makeCapture(
  'audio::microphone',
  'Captures audio from a microphone (the browser asks for permission).',
);
/** `video::screen`: frames of a screen, window or tab (`getDisplayMedia`). */
export const screen = makeCapture('video::screen', 'Captures a screen, window or tab (the browser asks which one).');
