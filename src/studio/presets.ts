/**
 * Convert presets: each one a sample pipeline from `samples/oneshot`, with optional size and bitrate
 * knobs applied to the model (a `video::scale` node inserted before the encoder, the encoder's
 * bitrate changed).
 */
import AV1 from '../../samples/oneshot/transcode-webm-av1-opus.yaml?raw';
import MP4 from '../../samples/oneshot/transcode-mp4-h264-aac.yaml?raw';
import OGG from '../../samples/oneshot/audio-to-ogg-opus.yaml?raw';
import WAV from '../../samples/oneshot/audio-to-wav.yaml?raw';
import VP9 from '../../samples/oneshot/transcode-webm-vp9-opus.yaml?raw';
import type { GraphModel } from './model';
import { fromYaml, toYaml } from './model';

export interface Preset {
  id: string;
  label: string;
  ext: string;
  text: string;
  video: boolean;
}

export const PRESETS: readonly Preset[] = [
  { id: 'mp4', label: 'MP4 (H.264 + AAC)', ext: 'mp4', text: MP4, video: true },
  { id: 'webm-vp9', label: 'WebM (VP9 + Opus)', ext: 'webm', text: VP9, video: true },
  { id: 'webm-av1', label: 'WebM (AV1 + Opus)', ext: 'webm', text: AV1, video: true },
  { id: 'ogg', label: 'Audio only: Ogg/Opus', ext: 'ogg', text: OGG, video: false },
  { id: 'wav', label: 'Audio only: WAV', ext: 'wav', text: WAV, video: false },
];

/** Output heights offered (0 keeps the input size). Widths follow 16:9; other shapes are letterboxed. */
export const HEIGHTS = [0, 1080, 720, 480, 360] as const;

/** The preset's pipeline with the knobs applied. */
export function presetPipeline(preset: Preset, height: number, bitrateKbps: number | undefined): string {
  let model: GraphModel = fromYaml(preset.text);
  if (preset.video && bitrateKbps) {
    model = {
      ...model,
      nodes: model.nodes.map((n) =>
        n.id === 'venc' ? { ...n, params: { ...n.params, bitrate_kbps: bitrateKbps } } : n,
      ),
    };
  }
  if (preset.video && height > 0) {
    const width = Math.round((height * 16) / 9 / 2) * 2;
    model = {
      ...model,
      nodes: [
        ...model.nodes,
        { id: 'scale', kind: 'video::scale', params: { width, height, fit: 'contain' }, x: 0, y: 0 },
      ],
      edges: [
        ...model.edges.filter((e) => !(e.from === 'vdec' && e.to === 'venc')),
        { from: 'vdec', fromPin: 'out', to: 'scale', toPin: 'in' },
        { from: 'scale', fromPin: 'out', to: 'venc', toPin: 'in' },
      ],
    };
  }
  return toYaml(model);
}
