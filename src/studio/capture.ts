/**
 * Opens capture devices on the page for the capture nodes of a pipeline. The browser asks the
 * user; the track becomes a stream of frames (`MediaStreamTrackProcessor`, main thread only) that
 * is transferred to the engine Worker.
 */
import type { CaptureDevice } from '../engine';
import { CAPTURE_DEVICES, captureConstraints } from '../nodes/sources/capture';
import type { GraphModel } from './model';

/** The part of `MediaStreamTrackProcessor` the studio uses (not yet in TypeScript's DOM types). */
declare const MediaStreamTrackProcessor: new (init: { track: MediaStreamTrack }) => {
  readable: ReadableStream<VideoFrame | AudioData>;
};

/** Open devices: streams per node id, and a function that releases them. */
export interface Captures {
  streams: Record<string, ReadableStream<VideoFrame | AudioData>>;
  stop(): void;
}

/** Opens a device for every capture node in `model` (each prompts the user as the browser decides). */
export async function openCaptures(model: GraphModel): Promise<Captures> {
  const tracks: MediaStreamTrack[] = [];
  const streams: Captures['streams'] = {};
  const stop = () => tracks.forEach((t) => t.stop());
  try {
    for (const node of model.nodes) {
      const device = (CAPTURE_DEVICES as Record<string, CaptureDevice | undefined>)[node.kind];
      if (!device) continue;
      const media =
        device === 'screen'
          ? await navigator.mediaDevices.getDisplayMedia({ video: captureConstraints(node.params) })
          : await navigator.mediaDevices.getUserMedia(
              device === 'camera' ? { video: captureConstraints(node.params) } : { audio: true },
            );
      const track = device === 'microphone' ? media.getAudioTracks()[0] : media.getVideoTracks()[0];
      if (!track) throw new Error(`the ${device} gave no track`);
      tracks.push(track);
      streams[node.id] = new MediaStreamTrackProcessor({ track }).readable;
    }
  } catch (error) {
    stop();
    throw new Error(`cannot open the capture device: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
  return { streams, stop };
}
