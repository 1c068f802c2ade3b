/**
 * Run-time pins: an input owns the queue of its (single) edge; an output fans packets out to the
 * inputs connected to it, cloning frames so that each consumer holds its own reference.
 */
import type { InputPinSpec, InputPort, OutputPort } from './node';
import type { Packet, PacketType } from './packets';
import { clonePacket, closePacket, packetBytes, resourceOf } from './packets';
import type { EdgeMode, EndOfStream } from './queue';
import { END_OF_STREAM, PacketQueue } from './queue';
import type { FrameTracker } from './resources';

const MEDIA_KINDS = new Set(['raw_video', 'raw_audio', 'encoded_video', 'encoded_audio']);

/** The timing contract: media packets carry an integer µs timestamp; durations, where given, are integer µs. */
export function timingProblem(packet: Packet): string | undefined {
  const { timestamp, duration } = packet.meta;
  if (MEDIA_KINDS.has(packet.kind) && timestamp === undefined) return `a ${packet.kind} packet has no timestamp`;
  if (timestamp !== undefined && !Number.isInteger(timestamp)) return `timestamp ${timestamp} is not an integer`;
  if (duration !== undefined && (!Number.isInteger(duration) || duration < 0))
    return `duration ${duration} is not a non-negative integer`;
  return undefined;
}

/** Counters kept per node. */
export interface PortCounters {
  packets_in: number;
  packets_out: number;
  bytes_in: number;
  bytes_out: number;
  /** End time (µs) of the latest timed media packet received: how far into the media this node is. */
  media_time_in: number;
}

/** The reading end of an edge, owned by the consuming node. */
export class RuntimeInput implements InputPort {
  readonly name: string;
  readonly queue: PacketQueue;
  /** The output currently feeding this input, if any. */
  upstream: RuntimeOutput | undefined;
  /** True once an edge was ever connected (dynamic inputs may be connected later). */
  everConnected = false;
  #pending: Promise<Packet | EndOfStream> | undefined;
  #finished = false;
  #stopped = false;
  readonly #counters: PortCounters;

  /** The edge mode a connection gets when it does not name one (the pin's policy, else reliable). */
  readonly defaultMode: EdgeMode;
  /** The pin's declaration (what it accepts, its queue policy), when it has one. */
  readonly spec: InputPinSpec | undefined;
  /** Who reads this input, as `kind#id` (for messages about edges into it). */
  readonly owner: string;
  /** Told the resolved type when the pin feeding it learns its type while running. */
  onType: ((type: PacketType) => void) | undefined;

  constructor(
    name: string,
    counters: PortCounters,
    spec?: InputPinSpec,
    owner = '',
    sessionMode: 'oneshot' | 'dynamic' = 'dynamic',
  ) {
    this.name = name;
    this.spec = spec;
    this.owner = owner;
    const policy = spec?.queue;
    this.defaultMode = policy?.liveOnly && sessionMode === 'oneshot' ? 'reliable' : (policy?.mode ?? 'reliable');
    this.queue = new PacketQueue(this.defaultMode, spec?.queue?.capacity);
    this.#counters = counters;
  }

  /** True while an edge feeds this input. */
  get connected(): boolean {
    return this.upstream !== undefined;
  }

  /** True after end of stream was read. */
  get finished(): boolean {
    return this.#finished;
  }

  /** The next item, keeping it pending so several inputs can be raced (see `recvAny`). */
  peek(): Promise<Packet | EndOfStream> {
    this.#pending ??= this.queue.pull();
    return this.#pending;
  }

  /** Takes the next item (the one peeked, if any). */
  async take(): Promise<Packet | undefined> {
    if (this.#stopped) return undefined;
    const pending = this.#pending ?? this.queue.pull();
    this.#pending = undefined;
    const item = await pending;
    if (item === END_OF_STREAM) {
      this.#finished = true;
      return undefined;
    }
    return this.#count(item);
  }

  latest(): Packet | null | undefined {
    if (this.#stopped || this.#finished) return undefined;
    if (this.#pending) return null; // a recv() is waiting for the next packet: it gets it
    const item = this.queue.takeLatest();
    if (item === END_OF_STREAM) {
      this.#finished = true;
      return undefined;
    }
    return item === null ? null : this.#count(item);
  }

  #count(item: Packet): Packet {
    this.#counters.packets_in++;
    this.#counters.bytes_in += packetBytes(item);
    const at = item.meta.timestamp;
    if (at !== undefined && item.kind !== 'binary') {
      this.#counters.media_time_in = Math.max(this.#counters.media_time_in, at + (item.meta.duration ?? 0));
    }
    return item;
  }

  recv(): Promise<Packet | undefined> {
    return this.take();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Packet> {
    for (;;) {
      const packet = await this.take();
      if (!packet) return;
      yield packet;
    }
  }

  /** Ends the stream early on the reading side: reads return end of stream, queued packets are closed. */
  stop(): void {
    this.#stopped = true;
    this.#finished = true;
    this.queue.end();
    this.queue.drain();
    const pending = this.#pending;
    this.#pending = undefined;
    pending?.then(
      (item) => {
        if (item !== END_OF_STREAM) closePacket(item);
      },
      () => undefined, // nothing was read; nothing to close
    );
  }

  /** Stops reading for good: queued and peeked packets are closed, later pushes are dropped. */
  shutdown(reason: unknown): void {
    this.#finished = true;
    this.queue.fail(reason);
    const pending = this.#pending;
    this.#pending = undefined;
    pending?.then(
      (item) => {
        if (item !== END_OF_STREAM) closePacket(item);
      },
      () => undefined, // the queue failed with `reason`, which the session already reports
    );
  }
}

/** The writing end of a pin, owned by the producing node. */
export class RuntimeOutput implements OutputPort {
  readonly name: string;
  readonly edges = new Set<RuntimeInput>();
  /** Sees every packet sent (before fan-out) without owning it: for previews and meters. */
  onSend: ((pin: string, packet: Packet) => void) | undefined;
  /**
   * For a pin of a runtime family: false until the node creates it (`createOutput`), which sets
   * its real type; sending before that is an error.
   */
  created = true;
  /** The pin's real type, once known (runtime pins). */
  type: PacketType | undefined;
  #ended = false;
  readonly #counters: PortCounters;
  readonly #tracker: FrameTracker;
  readonly #origin: string;

  constructor(name: string, counters: PortCounters, tracker: FrameTracker, origin: string) {
    this.name = name;
    this.#counters = counters;
    this.#tracker = tracker;
    this.#origin = origin;
  }

  get connected(): boolean {
    return this.edges.size > 0;
  }

  /** True once the node finished and ended this output. */
  get ended(): boolean {
    return this.#ended;
  }

  /** Connects an input; if this output already ended, the input sees end of stream. */
  attach(input: RuntimeInput, mode: EdgeMode): void {
    input.upstream = this;
    input.everConnected = true;
    input.queue.mode = mode;
    this.edges.add(input);
    if (this.#ended) input.queue.end();
  }

  /** Disconnects an input without ending its stream (it may be reconnected). */
  detach(input: RuntimeInput): void {
    this.edges.delete(input);
    if (input.upstream === this) input.upstream = undefined;
  }

  async send(packet: Packet): Promise<void> {
    const frame = resourceOf(packet);
    if (frame) this.#tracker.track(frame, this.#origin);
    const problem = timingProblem(packet);
    if (problem) {
      closePacket(packet);
      throw new Error(`output '${this.name}': ${problem} (timestamps and durations are integer microseconds)`);
    }
    if (this.#ended) {
      closePacket(packet);
      throw new Error(`output '${this.name}' already ended; a node may not send after it finished`);
    }
    if (!this.created) {
      closePacket(packet);
      throw new Error(`output '${this.name}' is a runtime pin that was never created (call io.createOutput first)`);
    }
    this.#counters.packets_out++;
    this.#counters.bytes_out += packetBytes(packet);
    this.onSend?.(this.name, packet);
    const targets = [...this.edges];
    if (targets.length === 0) {
      closePacket(packet); // nobody is listening; the frame has no other owner
      return;
    }
    const copies = targets.map((_, i) => (i === targets.length - 1 ? packet : clonePacket(packet)));
    for (const copy of copies) {
      const f = resourceOf(copy);
      if (f) this.#tracker.track(f, this.#origin);
    }
    await Promise.all(targets.map((target, i) => target.queue.push(copies[i] as Packet)));
  }

  /** Signals end of stream to every connected input. */
  end(): void {
    this.#ended = true;
    for (const input of this.edges) input.queue.end();
  }
}
