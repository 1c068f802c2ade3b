/**
 * Every node kind Weft ships, listed explicitly. A kind that does not work is not listed.
 */
import type { AnyNodeDefinition, Pipeline } from '../engine';
import { NodeRegistry } from '../engine';
import { flacDecoder, mp3Decoder, wavDemuxer } from './audio/byte-decoder';
import { audioDecoder, opusDecoder } from './audio/decoder';
import { aacEncoderPlugin, audioEncoder, opusEncoder } from './audio/encoder';
import { channels } from './audio/channels';
import { gain } from './audio/gain';
import { mixer } from './audio/mixer';
import { audioPacer } from './audio/pacer';
import { resampler } from './audio/resampler';
import { silence, sine } from './audio/tone';
import { demuxer, mp4Demuxer, oggDemuxer, webmDemuxer } from './containers/demuxer';
import { mp4Muxer, muxer, oggMuxer, webmMuxer } from './containers/muxer';
import { httpMse } from './transport/http-mse';
import { moqPeer, moqPublisher, moqSubscriber } from './transport/moq/nodes';
export { JOB_IO_NAME, JOB_IO_NAME_RULE, MEDIA_TYPE } from './core/byte-io';
export { RUN_HOOKS } from './run-hooks';
export { browserGpu, openAsset, originRelay } from './host-services';
import { fileReader } from './core/file-reader';
import { fileWriter } from './core/file-writer';
import { httpInput, inputFields } from './core/http-input';
import { httpOutput } from './core/http-output';
import { jsonSerialize } from './core/json-serialize';
import { pacer } from './core/pacer';
import { passthrough } from './core/passthrough';
import { sink } from './core/sink';
import { objectStoreWriter } from './core/object-store-writer';
import { paramBridge } from './core/param-bridge';
import { script } from './core/script';
import { telemetryOut, telemetryTap } from './core/telemetry';
import { textChunker } from './core/text-chunker';
import { trim } from './core/trim';
import { camera, microphone, screen } from './sources/capture';
import { espeak } from './ml/espeak';
import { vad } from './ml/vad';
import { helsinki, nllb } from './ml/translate';
import { whisper } from './ml/whisper';
import { kokoro } from './ml/kokoro';
import { piper } from './ml/vits-tts';
import { colorbars } from './video/colorbars';
import { compositor } from './video/compositor/node';
import { crop } from './video/crop';
import { av1Decoder, videoDecoder, vp9Decoder } from './video/decoder';
import { av1Encoder, openh264Encoder, videoEncoder, vp9Encoder } from './video/encoder';
import { fps } from './video/fps';
import { pixelConvert } from './video/pixel-convert';
import { scale } from './video/scale';

/** Kinds that need no media APIs (they run anywhere, Node included). */
export const CORE_NODES: readonly AnyNodeDefinition[] = [
  passthrough,
  pacer,
  jsonSerialize,
  textChunker,
  sink,
  telemetryTap,
  telemetryOut,
  paramBridge,
  script,
  objectStoreWriter,
];

/** Kinds that use WebCodecs, canvas or mediabunny at run time (browser only). */
export const MEDIA_NODES: readonly AnyNodeDefinition[] = [
  httpInput,
  httpOutput,
  fileReader,
  fileWriter,
  demuxer,
  mp4Demuxer,
  webmDemuxer,
  oggDemuxer,
  wavDemuxer,
  muxer,
  webmMuxer,
  mp4Muxer,
  oggMuxer,
  videoDecoder,
  vp9Decoder,
  av1Decoder,
  videoEncoder,
  vp9Encoder,
  av1Encoder,
  openh264Encoder,
  scale,
  crop,
  fps,
  pixelConvert,
  compositor,
  trim,
  colorbars,
  audioDecoder,
  opusDecoder,
  flacDecoder,
  mp3Decoder,
  audioEncoder,
  opusEncoder,
  aacEncoderPlugin,
  gain,
  mixer,
  resampler,
  audioPacer,
  channels,
  sine,
  silence,
  camera,
  microphone,
  screen,
  vad,
  espeak,
  whisper,
  helsinki,
  nllb,
  piper,
  kokoro,
];

/** Transport nodes: MoQ (StreamKit's `transport::moq::*`) and HTTP streaming to MSE players. */
export const TRANSPORT_NODES: readonly AnyNodeDefinition[] = [moqPublisher, moqSubscriber, moqPeer, httpMse];

/** All node kinds, in palette order. */
export const ALL_NODES: readonly AnyNodeDefinition[] = [...CORE_NODES, ...MEDIA_NODES, ...TRANSPORT_NODES];

/** A registry holding every shipped node kind. */
export function createRegistry(): NodeRegistry {
  return new NodeRegistry(ALL_NODES);
}

/** The named job inputs and outputs a pipeline uses: upload fields / `-i` names, and outputs / `-o` names. */
export function jobIo(pipeline: Pipeline): {
  inputs: { name: string; required: boolean; node: string }[];
  outputs: { name: string; node: string }[];
} {
  const inputs: { name: string; required: boolean; node: string }[] = [];
  const outputs: { name: string; node: string }[] = [];
  for (const [id, node] of Object.entries(pipeline.nodes)) {
    if (node.kind === httpInput.kind) {
      const params = httpInput.params.safeParse(node.params ?? {});
      if (params.success)
        for (const f of inputFields(params.data)) inputs.push({ name: f.name, required: f.required, node: id });
    } else if (node.kind === httpOutput.kind) {
      const params = httpOutput.params.safeParse(node.params ?? {});
      if (params.success) outputs.push({ name: params.data.output, node: id });
    }
  }
  return { inputs, outputs };
}
