/**
 * Weft's engine: pipeline format, graph compilation and validation, packet types, the node
 * definition API and the scheduler. It imports nothing from the rest of the project.
 */
export { ASSETS_URL_PATH, BUNDLED_FONT_ASSETS, BUNDLED_MARK_ASSET, isAssetPath } from './assets';
export type { BatchOperation, ControlRequest, ControlResponse, NodeControlMessage, ValidationEntry } from './control';
export { BatchOperationSchema, ControlRequestSchema, NodeControlMessageSchema } from './control';
export type { Issue, IssueCode, NodeErrorContext, Phase, SourcePosition } from './errors';
export { CanceledError, MAX_QUOTED_CHARS, NodeError, PipelineError, clip, formatIssue, nodeLabel } from './errors';
export type { Connection, ParsedPipeline, Pipeline, PipelineDocument, PipelineMode, SourceMap } from './format';
export {
  ConnectionSchema,
  DEFAULT_MODE,
  MAX_CONNECTIONS,
  MAX_NAME_CHARS,
  MAX_NODES,
  MAX_PIPELINE_BYTES,
  NO_SOURCE,
  PipelineDocumentSchema,
  compileDocument,
  overrideParams,
  pipelineJsonSchema,
  splitSource,
  validateDocument,
} from './format';
export { jsonDuplicateKeys, parsePipeline } from './parse';
export type { CompileOptions, CompileResult, Graph, GraphNode, HostProfile, TextCheck } from './graph';
export { buildGraph, checkPipelineText, compileGraph, findPin } from './graph';
export type {
  AnyNodeDefinition,
  CaptureDevice,
  GpuAccess,
  HostService,
  InputQueuePolicy,
  ByteSink,
  Cardinality,
  InputPinSpec,
  InputPort,
  NegotiationInput,
  NodeContext,
  NodeDefinition,
  NodeHost,
  ObjectTarget,
  ScriptFetchRequest,
  NodeInstance,
  NodeIO,
  NodeTelemetry,
  OutputPinSpec,
  OutputPort,
  Received,
} from './node';
export { HOST_SERVICE_NAMES, defineNode, resolvePins } from './node';
export type {
  AudioCodecName,
  Closeable,
  Packet,
  PacketKind,
  PacketMeta,
  PacketType,
  PixelFormat,
  SampleFormat,
  TranscriptionSegment,
  VideoCodecName,
} from './packets';
export { PACKET_KINDS, clonePacket, closePacket, describeType, isCompatible, resourceOf } from './packets';
export type { EdgeMode, EndOfStream } from './queue';
export { DEFAULT_EDGE_CAPACITY, END_OF_STREAM, PacketQueue } from './queue';
export type { NodeDescription, PinDescription } from './registry';
export { NodeRegistry, nearestNames } from './registry';
export { FrameTracker } from './resources';
export type { NodeState, NodeStats } from './runtime-node';
export { ABORT_GRACE_MS } from './runtime-node';
export type { PacketTap, SessionEvent, SessionOptions, SessionResult, SessionState } from './session';
export { DEFAULT_STALL_TIMEOUT_MS, DEFAULT_STATS_INTERVAL_MS, Session, StalledError, runPipeline } from './session';
export type { Clock, Micros } from './time';
export {
  MICROS_PER_MS,
  MICROS_PER_SECOND,
  ManualClock,
  VirtualClock,
  fromMillis,
  fromSeconds,
  micros,
  systemClock,
  toMillis,
  toSeconds,
} from './time';
export type {
  RunFailure,
  RunHooks,
  RunNodeProgress,
  RunOptions,
  RunOutput,
  RunProgress,
  RunResult,
  RunState,
} from './runner';
export { DEFAULT_OUTPUT_TYPE, DEFAULT_PROGRESS_INTERVAL_MS, PipelineRun, describeFailure } from './runner';
