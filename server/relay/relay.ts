/**
 * The MoQ relay inside `weft serve`: sessions accepted on `@moq/net`'s server side, broadcasts
 * announced by publishers kept in one table, and each one forwarded to every session allowed to
 * see it. Frames are handed on by reference (no payload copies); a late subscriber starts at the
 * newest group, which begins on a keyframe; a subscriber that cannot keep up loses whole groups
 * while the publisher and every other subscriber go on; a publisher that leaves ends its
 * broadcast everywhere.
 */
import './polyfills';
import * as Moq from '@moq/net';
import type { Grant } from './tokens';
import { allows, stripRoot } from './tokens';
import { joinPath, pathProblem } from './paths';

/**
 * Bytes queued towards one subscriber above which it counts as too slow: the group in flight is
 * aborted and new groups are skipped until the queue drains (then it resumes at a keyframe).
 */
export const SLOW_SUBSCRIBER_BYTES = 4 * 1024 * 1024;

/** One accepted client connection, as the relay sees it. */
export interface RelayPeer {
  /** The connection's root path (what follows `/moq` in its URL); its broadcast paths are relative to it. */
  root: string;
  grant: Grant;
  /** For logs: who this is (never the token). */
  label: string;
  /** Bytes handed to this peer that its transport has not sent yet (see `SendMeter`). */
  backlog(): number;
  /** Counts payload bytes handed to this peer's connection. */
  forwarded(bytes: number): void;
  /** What was handed on so far will not be sent (its groups were aborted): stop counting it as queued. */
  discardQueued(): void;
}

/** Counters, for `/metrics`, tests and the live bench. */
export interface RelayStats {
  sessions: number;
  broadcasts: number;
  /** Groups dropped for slow subscribers since start. */
  droppedGroups: number;
  /** Groups forwarded to subscribers since start. */
  forwardedGroups: number;
}

interface Origin {
  path: string;
  consumer: Moq.Broadcast.Consumer;
  session: RelaySession;
}

/** The relay: one per server. */
export class MoqRelay {
  readonly #origins = new Map<string, Origin>();
  readonly #sessions = new Set<RelaySession>();
  readonly #log: (line: string) => void;
  #dropped = 0;
  #forwarded = 0;

  constructor(options: { log?: (line: string) => void } = {}) {
    this.#log = options.log ?? (() => undefined);
  }

  /** Runs the MoQ handshake on an accepted transport and serves it until it closes. */
  async accept(transport: WebTransport, url: URL, peer: RelayPeer): Promise<void> {
    await transport.ready;
    const connection = await Moq.Connection.accept(transport, url);
    const session = new RelaySession(this, connection, peer);
    this.#sessions.add(session);
    this.#log(`moq: ${peer.label} connected at /${peer.root} (${connection.version})`);
    for (const origin of this.#origins.values()) session.offer(origin);
    try {
      await session.run();
    } finally {
      this.#sessions.delete(session);
      for (const origin of [...this.#origins.values()]) {
        if (origin.session === session) this.withdraw(origin);
      }
      session.close();
      this.#log(`moq: ${peer.label} left`);
    }
  }

  /** Counters since start. */
  stats(): RelayStats {
    return {
      sessions: this.#sessions.size,
      broadcasts: this.#origins.size,
      droppedGroups: this.#dropped,
      forwardedGroups: this.#forwarded,
    };
  }

  /** The absolute paths being published now. */
  broadcasts(): string[] {
    return [...this.#origins.keys()].sort();
  }

  /** Ends every session. */
  close(): void {
    for (const session of this.#sessions) session.close();
  }

  /** @internal A session announced a broadcast it may publish. The newest publisher of a path wins. */
  announce(origin: Origin): void {
    const previous = this.#origins.get(origin.path);
    if (previous) this.withdraw(previous);
    this.#origins.set(origin.path, origin);
    this.#log(`moq: ${origin.session.peer.label} publishes ${origin.path}`);
    for (const session of this.#sessions) if (session !== origin.session) session.offer(origin);
  }

  /** @internal A broadcast ended (unannounced, or its publisher left). */
  withdraw(origin: Origin): void {
    if (this.#origins.get(origin.path) !== origin) return;
    this.#origins.delete(origin.path);
    origin.consumer.close();
    for (const session of this.#sessions) session.revoke(origin);
    this.#log(`moq: ${origin.path} ended`);
  }

  /** @internal */
  counted(kind: 'forwarded' | 'dropped'): void {
    if (kind === 'forwarded') this.#forwarded++;
    else this.#dropped++;
  }
}

/** One client session on the relay: what it publishes in, and what it is sent. */
class RelaySession {
  readonly #relay: MoqRelay;
  readonly #connection: Moq.Connection.Established;
  readonly peer: RelayPeer;
  readonly #forwards = new Map<Origin, Forward>();
  readonly #mine = new Map<string, Origin>();

  constructor(relay: MoqRelay, connection: Moq.Connection.Established, peer: RelayPeer) {
    this.#relay = relay;
    this.#connection = connection;
    this.peer = peer;
  }

  /** Reads this client's announcements until the connection closes. */
  async run(): Promise<void> {
    const announced = this.#connection.announced(Moq.Path.from(''));
    const reading = (async () => {
      for (;;) {
        const entry = await announced.next();
        if (!entry) return;
        this.#announcement(entry.path, entry.active);
      }
    })();
    await Promise.race([reading.catch(() => undefined), this.#connection.closed.catch(() => undefined)]);
    announced.close();
  }

  #announcement(relative: string, active: boolean): void {
    const path = joinPath(this.peer.root, relative);
    if (!active) {
      const origin = this.#mine.get(path);
      if (origin) {
        this.#mine.delete(path);
        this.#relay.withdraw(origin);
      }
      return;
    }
    const problem = pathProblem(path);
    if (problem !== undefined) {
      this.#refuse(`broadcast path '${path}' ${problem}`);
      return;
    }
    if (!allows(this.peer.grant, 'publish', path)) {
      this.#refuse(`its token does not allow publishing '${path}'`);
      return;
    }
    const origin: Origin = { path, consumer: this.#connection.consume(Moq.Path.from(relative)), session: this };
    this.#mine.set(path, origin);
    this.#relay.announce(origin);
  }

  #refuse(why: string): void {
    // moq-lite has no per-announce refusal: the broadcast is simply not taken in.
    console.warn(`weft: moq: refused an announcement from ${this.peer.label}: ${why}`);
  }

  /** Offers a broadcast to this client, when its root and token let it see it. */
  offer(origin: Origin): void {
    if (origin.session === this || this.#forwards.has(origin)) return;
    const relative = stripRoot(this.peer.root, origin.path);
    if (relative === undefined || relative === '') return;
    if (!allows(this.peer.grant, 'subscribe', origin.path)) return;
    const forward = new Forward(this.#relay, origin, this.peer);
    this.#forwards.set(origin, forward);
    this.#connection.publish(Moq.Path.from(relative), forward.producer);
  }

  /** Takes a broadcast back (it ended). */
  revoke(origin: Origin): void {
    const forward = this.#forwards.get(origin);
    if (!forward) return;
    this.#forwards.delete(origin);
    forward.close();
  }

  close(): void {
    for (const forward of this.#forwards.values()) forward.close();
    this.#forwards.clear();
    this.#connection.close();
  }
}

/** One broadcast sent to one session: serves the tracks it asks for from the origin. */
class Forward {
  readonly producer = new Moq.Broadcast.Producer();
  readonly #relay: MoqRelay;
  readonly #origin: Origin;
  readonly #peer: RelayPeer;
  readonly #tracks = new Set<Moq.Track.Subscriber>();

  constructor(relay: MoqRelay, origin: Origin, peer: RelayPeer) {
    this.#relay = relay;
    this.#origin = origin;
    this.#peer = peer;
    void this.#serve();
  }

  async #serve(): Promise<void> {
    for (;;) {
      let request: Moq.Track.Request | undefined;
      try {
        request = await this.producer.requested();
      } catch {
        return; // the broadcast was closed with an error
      }
      if (!request) return;
      void this.#track(request);
    }
  }

  async #track(request: Moq.Track.Request): Promise<void> {
    let upstream: Moq.Track.Subscriber;
    let info: Moq.Track.Info;
    try {
      upstream = this.#origin.consumer.subscribe(request.name, { priority: request.priority });
    } catch (error) {
      request.reject(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    this.#tracks.add(upstream);
    try {
      info = await upstream.info();
    } catch (error) {
      request.reject(error instanceof Error ? error : new Error(`track '${request.name}' is not available`));
      this.#drop(upstream);
      return;
    }
    const track = request.accept(info);
    // A late subscriber starts at the newest group (its first frame is a keyframe), not at the
    // replay of every group still cached.
    const latest = upstream.latest();
    if (latest !== undefined) upstream.startAt(latest);
    void track.closed.then(() => this.#drop(upstream));
    let current: Moq.Group.Producer | undefined;
    try {
      for (;;) {
        const group = await upstream.recvGroup();
        if (!group || track.closed.peek() !== undefined) break;
        if (this.#peer.backlog() > SLOW_SUBSCRIBER_BYTES) {
          // Too slow: give up the group in flight and skip this one; whole groups only, so the
          // subscriber picks up again at a keyframe.
          if (current) {
            current.close(new Error('subscriber too slow: group dropped'));
            current = undefined;
            this.#peer.discardQueued();
          }
          group.close();
          this.#relay.counted('dropped');
          continue;
        }
        const out = new Moq.Group.Producer(group.sequence);
        track.writeGroup(out);
        current = out;
        this.#relay.counted('forwarded');
        void pump(group, out, this.#peer);
      }
      track.close();
    } catch (error) {
      track.close(error instanceof Error ? error : new Error(String(error)));
    } finally {
      this.#drop(upstream);
    }
  }

  #drop(upstream: Moq.Track.Subscriber): void {
    if (!this.#tracks.delete(upstream)) return;
    upstream.close();
  }

  close(): void {
    this.producer.close();
    for (const upstream of this.#tracks) upstream.close();
    this.#tracks.clear();
  }
}

/** Copies one group's frames (the payloads themselves are shared, not copied). */
async function pump(from: Moq.Group.Consumer, to: Moq.Group.Producer, peer: RelayPeer): Promise<void> {
  try {
    for (;;) {
      const frame = await from.readFrame();
      if (!frame) break;
      if (to.isClosed) break;
      to.writeFrame(frame);
      peer.forwarded(frame.payload.byteLength);
    }
    to.close();
  } catch (error) {
    to.close(error instanceof Error ? error : new Error(String(error)));
  } finally {
    from.close();
  }
}

/**
 * Estimates how far a WebSocket peer is behind: payload bytes handed to its connection minus
 * bytes its socket was given, plus what the socket still buffers. Framing makes the socket's
 * count run ahead of the payload's, so the difference is taken from its lowest point so far.
 */
export class SendMeter {
  #forwarded = 0;
  #sent = 0;
  #floor = 0;
  readonly #buffered: () => number;

  constructor(buffered: () => number) {
    this.#buffered = buffered;
  }

  /** Counts bytes given to the socket. */
  sent(bytes: number): void {
    this.#sent += bytes;
  }

  forwarded(bytes: number): void {
    this.#forwarded += bytes;
  }

  discardQueued(): void {
    this.#floor = this.#forwarded - this.#sent;
  }

  backlog(): number {
    const deficit = this.#forwarded - this.#sent;
    if (deficit < this.#floor) this.#floor = deficit;
    return deficit - this.#floor + this.#buffered();
  }
}
