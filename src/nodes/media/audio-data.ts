/**
 * Reading and making `AudioData` as planar float samples, the form audio processing works on.
 */
import type { Micros } from '../../engine';

/** Planar float samples with their format. */
export interface PlanarAudio {
  sampleRate: number;
  /** One Float32Array per channel, all of the same length. */
  channels: Float32Array[];
  timestamp: Micros;
}

/** Copies an AudioData's samples out as planar float32 (converting from any format). */
export function readPlanar(data: AudioData): PlanarAudio {
  const channels: Float32Array[] = [];
  for (let c = 0; c < data.numberOfChannels; c++) {
    const plane = new Float32Array(data.numberOfFrames);
    data.copyTo(plane, { planeIndex: c, format: 'f32-planar' });
    channels.push(plane);
  }
  return { sampleRate: data.sampleRate, channels, timestamp: data.timestamp as Micros };
}

/** Makes an `f32-planar` AudioData (the caller owns it and must close it). */
export function makeAudioData(audio: PlanarAudio): AudioData {
  const frames = audio.channels[0]?.length ?? 0;
  const buffer = new Float32Array(frames * audio.channels.length);
  audio.channels.forEach((plane, c) => buffer.set(plane, c * frames));
  return new AudioData({
    format: 'f32-planar',
    sampleRate: audio.sampleRate,
    numberOfFrames: frames,
    numberOfChannels: audio.channels.length,
    timestamp: audio.timestamp,
    data: buffer,
  });
}

/** Duration of `frames` samples at `sampleRate`, in microseconds. */
export function framesToMicros(frames: number, sampleRate: number): Micros {
  return Math.round((frames * 1_000_000) / sampleRate) as Micros;
}
