/**
 * Opens capture devices on the page for the capture nodes of a pipeline. The browser asks the
 * user; the track becomes a stream of frames (`MediaStreamTrackProcessor`, main thread only) that
 * is transferred to the engine Worker.
 */
import type { CaptureDevice } from '../engine';
import type { GraphModel } from './model';

/** The part of `MediaStreamTrackProcessor` the studio uses (not yet in TypeScript's DOM types). */
declare const MediaStreamTrackProcessor: new (init: { track: MediaStreamTrack }) => {
  readable: ReadableStream<VideoFrame | AudioData>;
};

const DEVICES: Record<string, CaptureDevice> = {
  'video::camera': 'camera',
  'audio::microphone': 'microphone',
  'video::screen': 'screen',
};

/** Open devices: streams per node id, and a function that releases them. */
export interface Captures {
  streams: Record<string, ReadableStream<VideoFrame | AudioData>>;
  stop(): void;
}

function constraints(params: Record<string, unknown>): MediaTrackConstraints {
  const n = (key: string) => {
    const value = params[key];
    return typeof value === 'number' && value > 0 ? value : undefined;
  };
  const width = n('width');
  const height = n('height');
  const fps = n('fps');
  return { ...(width ? { width } : {}), ...(height ? { height } : {}), ...(fps ? { frameRate: fps } : {}) };
}

/** Opens a device for every capture node in `model` (each prompts the user as the browser decides). */
export async function openCaptures(model: GraphModel): Promise<Captures> {
  const tracks: MediaStreamTrack[] = [];
  const streams: Captures['streams'] = {};
  const stop = () => tracks.forEach((t) => t.stop());
  try {
    for (const node of model.nodes) {
      const device = DEVICES[node.kind];
      if (!device) continue;
      const media =
        device === 'screen'
          ? await navigator.mediaDevices.getDisplayMedia({ video: constraints(node.params) })
          : await navigator.mediaDevices.getUserMedia(
              device === 'camera' ? { video: constraints(node.params) } : { audio: true },
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
