/**
 * `audio::mixer` (StreamKit): sums several raw audio inputs into one.
 *
 * Two ways to decide when a frame is mixed:
 * - **data-driven** (default): a frame is mixed once every input holds enough samples, has ended, or
 *   (dynamic sessions only) has sent nothing for `sync_timeout_ms`;
 * - **clocked** (dynamic sessions): a frame of `frame_samples_per_channel` is mixed on every tick of
 *   the clock, from per-input jitter buffers; an input that has run dry adds silence. Oneshot runs
 *   do not follow the clock (so their output does not depend on timing): they mix data-driven with
 *   the clocked frame size and sample rate.
 */
import { z } from 'zod';
import type { InputPinSpec, Micros, NodeContext, NodeIO, Packet } from '../../engine';
import { closePacket, defineNode, micros, toMillis } from '../../engine';
import { requireKind } from '../media/require-kind';
import { framesToMicros, makeAudioData, readPlanar } from '../media/audio-data';

/** Data-driven frame length: 20 ms. */
const MIX_FRAME_MS = 20;

const clocked = z.strictObject({
  /** Rate of the mix; every input must already be at this rate. */
  sample_rate: z.number().int().min(8_000).max(384_000).default(48_000),
  /** Samples per channel in each tick's frame (960 at 48 kHz is 20 ms). */
  frame_samples_per_channel: z.number().int().min(16).max(48_000).default(960),
  /**
   * Frames an input buffers before it is heard (and again after it ran dry); it holds at most twice
   * this, dropping its oldest samples beyond, so a fast or bursty input cannot add latency.
   */
  jitter_buffer_frames: z.number().int().min(0).max(100).default(3),
  /** Send a silent frame on ticks where no input has audio (otherwise send nothing then). */
  generate_silence: z.boolean().default(true),
});

const params = z.strictObject({
  /** Inputs to create (`in_0` … `in_{N-1}`); filled in from the edge count in oneshot pipelines. */
  num_inputs: z.number().int().min(1).max(64).nullable().default(null),
  /**
   * Dynamic sessions: how long to wait for a silent input before mixing without it (null = wait
   * forever). Oneshot runs always wait, so that the result does not depend on timing.
   */
  sync_timeout_ms: z.number().int().min(0).nullable().default(100),
  /** Mix on a fixed tick with per-input jitter buffers (see `clocked` fields). */
  clocked: clocked.nullable().default(null),
});

type Params = z.infer<typeof params>;

interface Lane {
  planes: Float32Array[];
  ended: boolean;
  lastData: number;
  /** Clocked mode: the jitter buffer has filled and the lane is heard. */
  playing: boolean;
}

function samplesIn(lane: Lane): number {
  return lane.planes[0]?.length ?? 0;
}

/** Appends planar samples to a lane (mono lanes widen to the chunk's channel count). */
function append(lane: Lane, channels: Float32Array[]): void {
  lane.planes =
    lane.planes.length === 0
      ? channels
      : channels.map((p, c) => {
          const prev = lane.planes[Math.min(c, lane.planes.length - 1)] ?? new Float32Array();
          const joined = new Float32Array(prev.length + p.length);
          joined.set(prev);
          joined.set(p, prev.length);
          return joined;
        });
}

/** Takes up to `n` samples from each lane that `use` selects and sums them; mono is spread to all channels. */
function sumLanes(
  lanes: Iterable<Lane>,
  n: number,
  channels: number,
  use: (lane: Lane) => boolean = () => true,
): { mixed: Float32Array[]; heard: boolean } {
  const mixed = Array.from({ length: channels }, () => new Float32Array(n));
  let heard = false;
  for (const lane of lanes) {
    if (!use(lane)) continue;
    const have = Math.min(n, samplesIn(lane));
    heard ||= have > 0;
    for (let c = 0; c < channels; c++) {
      const src = lane.planes[Math.min(c, lane.planes.length - 1)];
      const dst = mixed[c];
      if (!src || !dst) continue;
      for (let i = 0; i < have; i++) dst[i] = (dst[i] ?? 0) + (src[i] ?? 0);
    }
    lane.planes = lane.planes.map((p) => p.subarray(have));
  }
  return { mixed, heard };
}

/** `audio::mixer`: sums several audio inputs into one (StreamKit's `num_inputs`, `sync_timeout_ms`, `clocked`). */
export const mixer = defineNode({
  kind: 'audio::mixer',
  version: 1,
  description:
    'Sums several audio inputs (pins in_0, in_1, …) into one stream; mono inputs are spread to all channels. Optional clocked mode for live mixes.',
  categories: ['audio', 'mixing'],
  params,
  inputs: (p): InputPinSpec[] => [
    ...Array.from({ length: p.num_inputs ?? 0 }, (_, i) => ({
      name: `in_${i}`,
      accepts: [{ kind: 'raw_audio' as const }],
      cardinality: 'one' as const,
    })),
    { name: 'in', accepts: [{ kind: 'raw_audio' }], cardinality: { dynamic: 'in' } },
  ],
  outputs: [{ name: 'out', produces: { kind: 'raw_audio' }, cardinality: 'broadcast' }],
  negotiate: ({ params: p }) =>
    new Map([['out', { kind: 'raw_audio', ...(p.clocked ? { sample_rate: p.clocked.sample_rate } : {}) }]]),
  create(ctx) {
    const live = ctx.params.clocked !== null && ctx.mode === 'dynamic';
    const state = new MixState(ctx, live);
    return {
      run: (io) => (live ? state.runClocked(io) : state.runDataDriven(io)),
      flush: (io) => (live ? Promise.resolve() : state.drain(io)),
    };
  },
});

/** The lanes, format and output position of one mixer. */
class MixState {
  readonly lanes = new Map<string, Lane>();
  rate: number | undefined;
  channels = 1;
  start: Micros | undefined;
  emitted = 0;

  constructor(
    private readonly ctx: NodeContext<Params>,
    /** Clocked live mix: the output timeline starts at the first packet and never moves. */
    private readonly live: boolean,
  ) {
    this.rate = ctx.params.clocked?.sample_rate;
  }

  /** The session clock in ms (the sync timeout runs on it, so tests can drive it). */
  #nowMs(): number {
    return toMillis(this.ctx.clock.now());
  }

  get frameSize(): number {
    const c = this.ctx.params.clocked;
    return c ? c.frame_samples_per_channel : Math.round(((this.rate ?? 48_000) * MIX_FRAME_MS) / 1000);
  }

  /** Files one received packet into its lane; checks kind and rate. */
  receive(pin: string, packet: Packet): Lane {
    const ctx = this.ctx;
    requireKind(ctx, packet, 'raw_audio', pin);
    let audio;
    try {
      audio = readPlanar(packet.data);
    } finally {
      closePacket(packet);
    }
    this.rate ??= audio.sampleRate;
    if (audio.sampleRate !== this.rate) {
      throw ctx.error(
        `input is ${audio.sampleRate} Hz but the mix runs at ${this.rate} Hz; put an audio::resampler before this input`,
        { pin },
      );
    }
    this.start ??= audio.timestamp;
    if (!this.live) this.start = micros(Math.min(this.start, audio.timestamp));
    this.channels = Math.max(this.channels, audio.channels.length);
    const lane = this.lanes.get(pin) ?? { planes: [], ended: false, lastData: 0, playing: false };
    this.lanes.set(pin, lane);
    lane.lastData = this.#nowMs();
    append(lane, audio.channels);
    return lane;
  }

  async send(io: NodeIO, mixed: Float32Array[], index: number): Promise<void> {
    const rate = this.rate ?? 48_000;
    const n = mixed[0]?.length ?? 0;
    const timestamp = micros((this.start ?? 0) + framesToMicros(index, rate));
    const data = makeAudioData({ sampleRate: rate, channels: mixed, timestamp });
    await io.output('out').send({ kind: 'raw_audio', data, meta: { timestamp, duration: framesToMicros(n, rate) } });
  }

  async #mixOut(io: NodeIO, n: number): Promise<void> {
    const { mixed } = sumLanes(this.lanes.values(), n, this.channels);
    const index = this.emitted;
    this.emitted += n;
    await this.send(io, mixed, index);
  }

  // ---- data-driven ------------------------------------------------------------------------

  #ready(): boolean {
    const { params, mode } = this.ctx;
    const waitAll = mode === 'oneshot' || params.sync_timeout_ms === null;
    const live = [...this.lanes.values()];
    if (live.length === 0) return false;
    const n = this.frameSize;
    const now = this.#nowMs();
    return (
      live.some((l) => samplesIn(l) >= n) &&
      live.every(
        (l) => samplesIn(l) >= n || l.ended || (!waitAll && now - l.lastData > (params.sync_timeout_ms ?? Infinity)),
      )
    );
  }

  async runDataDriven(io: NodeIO): Promise<void> {
    for (;;) {
      const next = await io.recvAny();
      if (!next) break;
      this.receive(next.pin, next.packet);
      for (const name of io.connectedInputs()) {
        if (!this.lanes.has(name))
          this.lanes.set(name, { planes: [], ended: false, lastData: this.#nowMs(), playing: false });
      }
      // An input that has finished contributes silence from now on.
      for (const [name, l] of this.lanes) l.ended = io.input(name).finished;
      while (this.#ready()) await this.#mixOut(io, this.frameSize);
    }
  }

  async drain(io: NodeIO): Promise<void> {
    for (const lane of this.lanes.values()) lane.ended = true;
    for (;;) {
      const left = Math.max(0, ...[...this.lanes.values()].map(samplesIn));
      if (left === 0) break;
      await this.#mixOut(io, Math.min(left, this.frameSize));
    }
  }

  // ---- clocked ----------------------------------------------------------------------------

  async runClocked(io: NodeIO): Promise<void> {
    const { clock } = this.ctx;
    const config = this.ctx.params.clocked;
    if (!config) return;
    const n = config.frame_samples_per_channel;
    const prime = config.jitter_buffer_frames * n;
    const capacity = Math.max(2 * prime, n);
    const frameUs = (n * 1_000_000) / config.sample_rate;
    let inputsDone = false;
    let failure: Error | undefined;
    let wake: (() => void) | undefined;
    const firstData = new Promise<void>((resolve) => (wake = resolve));
    let origin = Number.NaN; // set when the first audio arrives
    let tick = 0;
    // Ticks already due but not yet run (the event loop was busy): their samples are not latency.
    const owed = (): number =>
      Number.isNaN(origin) ? 0 : Math.max(0, Math.floor((clock.now() - origin) / frameUs) + 1 - tick);

    const receiving = (async () => {
      try {
        for (;;) {
          const next = await io.recvAny();
          if (!next) break;
          const lane = this.receive(next.pin, next.packet);
          const over = samplesIn(lane) - capacity - owed() * n;
          if (over > 0) lane.planes = lane.planes.map((p) => p.subarray(over));
          wake?.();
        }
      } catch (error) {
        failure = error instanceof Error ? error : new Error(String(error));
      } finally {
        inputsDone = true;
        wake?.();
      }
    })();

    // The clock starts with the first audio, whose timestamp the output timeline continues from.
    await firstData;
    origin = clock.now();
    for (; ; tick++) {
      if (failure) throw failure;
      const lanes = [...this.lanes.entries()];
      if (inputsDone && lanes.every(([, l]) => samplesIn(l) === 0)) break;
      const wait = origin + tick * frameUs - clock.now();
      if (wait > 0) await clock.sleep(micros(wait), io.signal);
      for (const [name, lane] of lanes) {
        const finished = inputsDone || io.input(name).finished;
        if (!lane.playing && (samplesIn(lane) >= Math.max(prime, 1) || (finished && samplesIn(lane) > 0)))
          lane.playing = true;
      }
      const short = new Set([...this.lanes.values()].filter((l) => samplesIn(l) < n));
      const { mixed, heard } = sumLanes(this.lanes.values(), n, this.channels, (l) => l.playing);
      // A lane that could not fill this frame has run dry: it waits for its jitter buffer again.
      for (const lane of short) lane.playing = false;
      if (heard || config.generate_silence) await this.send(io, mixed, tick * n);
    }
    await receiving;
  }
}
