/**
 * Runs pipelines in the test page with an in-memory host, and reaches the Node-side media
 * commands (ffmpeg inputs, ffprobe checks).
 */
import fontUrl from '@fontsource/dejavu-sans/files/dejavu-sans-latin-400-normal.woff2?url';
import boldUrl from '@fontsource/dejavu-sans/files/dejavu-sans-latin-700-normal.woff2?url';
import { commands } from 'vitest/browser';
import markUrl from '../../samples/images/weft-mark.png?url';
import type { AnyNodeDefinition, ByteSink, NodeHost, Packet, Pipeline, SessionResult } from '../../src/engine';
import { BUNDLED_FONT_ASSETS, BUNDLED_MARK_ASSET, NodeRegistry, parsePipeline, Session } from '../../src/engine';
import { createRegistry } from '../../src/nodes';
import { emitterNode, Recorder, testNodes } from '../support/fakes';

declare module 'vitest/browser' {
  interface BrowserCommands {
    makeMedia(name: string, args: string[]): Promise<string>;
    probeMedia(name: string, base64: string): Promise<FfprobeResult>;
    audioRms(dir: 'in' | 'out', name: string): Promise<number>;
    speech(
      name: string,
      phrases: string[],
      gapMs: number,
    ): Promise<{ pcm: string; spans: { startMs: number; endMs: number }[]; durationMs: number }>;
    nativeEspeak(text: string, voice: string, wpm: number): Promise<string>;
    tinyModels(): Promise<string>;
  }
}

/** The parts of ffprobe's JSON the tests read. */
export interface FfprobeStream {
  codec_type: 'video' | 'audio';
  codec_name: string;
  width?: number;
  height?: number;
  sample_rate?: string;
  channels?: number;
  nb_read_frames?: string;
  start_time?: string;
  duration?: string;
  r_frame_rate?: string;
}
export interface FfprobeResult {
  streams: FfprobeStream[];
  format: { format_name: string; duration?: string; tags?: Record<string, string> };
}

function fromBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function toBase64(bytes: Uint8Array): string {
  let binary = '';
  const step = 0x8000;
  for (let i = 0; i < bytes.length; i += step) binary += String.fromCharCode(...bytes.subarray(i, i + step));
  return btoa(binary);
}

/** An input file made by ffmpeg (cached under .weft/test-media). */
export async function media(name: string, args: string[]): Promise<Uint8Array> {
  return fromBase64(await commands.makeMedia(name, args));
}

/** ffprobe's view of output bytes (stored under .weft/test-out/name). */
export async function probe(name: string, bytes: Uint8Array): Promise<FfprobeResult> {
  return commands.probeMedia(name, toBase64(bytes));
}

/** RMS level of a file's audio. */
export function rms(dir: 'in' | 'out', name: string): Promise<number> {
  return commands.audioRms(dir, name);
}

/** Weft's bundled assets, served as the server's asset service serves them. */
const BUNDLED: Record<string, string> = {
  [BUNDLED_FONT_ASSETS.regular]: fontUrl,
  [BUNDLED_FONT_ASSETS.bold]: boldUrl,
  [BUNDLED_MARK_ASSET]: markUrl,
};

/** The test hosts' asset service: the bundled assets only. */
export async function bundledAsset(path: string): Promise<Blob> {
  const url = Object.hasOwn(BUNDLED, path) ? BUNDLED[path] : undefined;
  if (!url) throw new Error(`no asset '${path}'`);
  return (await fetch(url)).blob();
}

/**
 * An asset service that also has the tiny test models (made by the `tinyModels` command) as
 * `models/<folder>/…`, as a server's --models folder serves them.
 */
export async function testModelAsset(path: string): Promise<Blob> {
  if (!path.startsWith('models/')) return bundledAsset(path);
  const dir = await commands.tinyModels();
  const response = await fetch(`/${dir}/${path.slice('models/'.length)}`);
  // The dev server answers a missing file with its HTML page: that is a 404 here.
  if (!response.ok || response.headers.get('content-type')?.includes('text/html'))
    throw new Error(`no asset '${path}' (HTTP 404)`);
  return response.blob();
}

/** What one node made of its input: the run's result, its output packets, its telemetry. */
export interface NodeRun {
  result: SessionResult;
  packets: Packet[];
  telemetry: { type_id: string; data: Record<string, unknown> }[];
}

/**
 * Sends `input` through one node (`kind`, from `nodes`, with `params`, id `node`) with the tiny
 * test models as assets; with `keepFramesOpen`, the caller closes the output's frames.
 */
export async function runThroughNode(
  nodes: AnyNodeDefinition[],
  kind: string,
  params: Record<string, unknown>,
  input: Packet[],
  options: { keepFramesOpen?: boolean } = {},
): Promise<NodeRun> {
  const recorder = new Recorder();
  const collect = options.keepFramesOpen ? { keep_frames_open: true } : {};
  const pipeline: Pipeline = {
    mode: 'oneshot',
    nodes: { src: { kind: 'test::emit' }, node: { kind, params }, out: { kind: 'test::collect', params: collect } },
    connections: [
      { from_node: 'src', from_pin: 'out', to_node: 'node', to_pin: 'in' },
      { from_node: 'node', from_pin: 'out', to_node: 'out', to_pin: 'in' },
    ],
  };
  const host: NodeHost = { openAsset: testModelAsset };
  const registry = new NodeRegistry([
    emitterNode(input, 0, { kind: input[0]?.kind ?? 'any' }),
    ...nodes,
    ...testNodes(recorder),
  ]);
  const session = new Session(pipeline, { registry, host, statsIntervalMs: 0 });
  const telemetry: NodeRun['telemetry'] = [];
  session.on((e) => {
    if (e.event === 'nodetelemetry') telemetry.push({ type_id: e.type_id, data: e.data as Record<string, unknown> });
  });
  const result = await session.result();
  return { result, packets: recorder.get('out'), telemetry };
}

/** A growable in-memory byte sink that honours positioned writes. */
export class MemorySink implements ByteSink {
  #buffer = new Uint8Array(1 << 16);
  #length = 0;
  contentType: string | undefined;
  closed = false;

  write(data: Uint8Array, position = this.#length): Promise<void> {
    const end = position + data.byteLength;
    if (end > this.#buffer.byteLength) {
      const grown = new Uint8Array(Math.max(end, this.#buffer.byteLength * 2));
      grown.set(this.#buffer.subarray(0, this.#length));
      this.#buffer = grown;
    }
    this.#buffer.set(data, position);
    this.#length = Math.max(this.#length, end);
    return Promise.resolve();
  }
  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
  abort(): Promise<void> {
    return Promise.resolve();
  }
  bytes(): Uint8Array {
    return this.#buffer.slice(0, this.#length);
  }
}

/** What a test run produced. */
export interface RunOutcome {
  result: SessionResult;
  outputs: Map<string, MemorySink>;
}

/** Runs pipeline text with the given named inputs; resolves with the outcome (never rejects). */
export async function runText(text: string, inputs: Record<string, Uint8Array> = {}): Promise<RunOutcome> {
  const outputs = new Map<string, MemorySink>();
  const host: NodeHost = {
    openInput: (name) =>
      Promise.resolve(inputs[name] ? new Blob([inputs[name] as Uint8Array<ArrayBuffer>]).stream() : undefined),
    openOutput: (name, contentType) => {
      const sink = new MemorySink();
      sink.contentType = contentType;
      outputs.set(name, sink);
      return Promise.resolve(sink);
    },
    openAsset: bundledAsset,
  };
  const { pipeline, source } = parsePipeline(text);
  const session = new Session(pipeline, {
    registry: createRegistry(),
    host,
    source,
    statsIntervalMs: 0,
    stallTimeoutMs: 10_000,
  });
  const result = await session.result();
  return { result, outputs };
}

/** Frames per second of an ffprobe rate like `30/1`. */
export function rate(value: string | undefined): number {
  const [n, d] = (value ?? '0/1').split('/').map(Number);
  return (n ?? 0) / (d || 1);
}
