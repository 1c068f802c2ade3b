/**
 * The relay inside `weft serve`, driven by real `@moq/net` clients over WebSocket (qmux): fan-out,
 * a late subscriber's start on the newest group, teardown, slow subscribers, and tokens.
 */
import '../../server/relay/polyfills';
import * as Moq from '@moq/net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { SendMeter } from '../../server/relay/relay';
import { allows, matchesPattern, maskJwt, mintToken, verifyToken } from '../../server/relay/tokens';
import type { TestRelay } from '../support/moq-relay-server';
import { startTestRelay, TEST_RELAY_SECRET } from '../support/moq-relay-server';
import { relayRoutes } from '../../server/relay/routes';
import { upgradeWebSocket } from '@hono/node-server';

/** Every socket the clients open, so a test can stall one. */
const sockets: WebSocket[] = [];
class TrackedWebSocket extends WebSocket {
  constructor(url: string, protocols?: string | string[]) {
    super(url, protocols);
    sockets.push(this);
  }
}
Object.assign(globalThis, { WebSocket: TrackedWebSocket });

const connections: Moq.Connection.Established[] = [];
async function connect(base: string, path = '/moq', jwt?: string): Promise<Moq.Connection.Established> {
  const url = new URL(path, base);
  if (jwt) url.searchParams.set('jwt', jwt);
  const connection = await Moq.Connection.connect(url, { websocket: { delay: 0 }, signal: AbortSignal.timeout(5000) });
  connections.push(connection);
  return connection;
}

function frame(group: number, index: number): Moq.Group.Frame {
  return { payload: new Uint8Array([group, index, 7]), timestamp: Moq.Time.Timestamp.now() };
}

/** Publishes `video` with groups of three frames, one group per `everyMs`. */
function publishTicking(connection: Moq.Connection.Established, path: string, everyMs = 40) {
  const broadcast = new Moq.Broadcast.Producer();
  const track = broadcast.createTrack('video');
  connection.publish(Moq.Path.from(path), broadcast);
  let n = 0;
  const timer = setInterval(() => {
    const group = track.appendGroup();
    for (let i = 0; i < 3; i++) group.writeFrame(frame(n % 256, i));
    group.close();
    n++;
  }, everyMs);
  return {
    broadcast,
    groups: () => n,
    stop() {
      clearInterval(timer);
      broadcast.close();
    },
  };
}

async function readGroup(group: Moq.Group.Consumer): Promise<number[][]> {
  const frames: number[][] = [];
  for (;;) {
    const f = await group.readFrame();
    if (!f) return frames;
    frames.push([...f.payload]);
  }
}

async function until(what: string, check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('MoQ relay', () => {
  let server: TestRelay;
  beforeAll(async () => {
    server = await startTestRelay();
  });
  afterAll(async () => {
    for (const c of connections) c.close();
    await server.close();
  });

  it('fans one broadcast out to several subscribers, frame for frame', async () => {
    const pub = await connect(server.url);
    const ticking = publishTicking(pub, 'fan/cam');
    await until('the announcement', () => server.relay.broadcasts().includes('fan/cam'));
    const subs = await Promise.all([connect(server.url), connect(server.url), connect(server.url)]);
    const got = await Promise.all(
      subs.map(async (s) => {
        const track = s.consume(Moq.Path.from('fan/cam')).subscribe('video');
        const a = await track.recvGroup();
        const b = await track.recvGroup();
        return [a!.sequence, await readGroup(a!), b!.sequence, await readGroup(b!)] as const;
      }),
    );
    for (const [seqA, framesA, seqB, framesB] of got) {
      expect(seqB).toBe(seqA + 1);
      expect(framesA).toEqual([0, 1, 2].map((i) => [seqA % 256, i, 7]));
      expect(framesB).toEqual([0, 1, 2].map((i) => [seqB % 256, i, 7]));
    }
    ticking.stop();
  });

  it('starts a late subscriber at the newest group, from its first frame', async () => {
    const pub = await connect(server.url);
    const broadcast = new Moq.Broadcast.Producer();
    const track = broadcast.createTrack('video');
    pub.publish(Moq.Path.from('late/cam'), broadcast);
    await until('the announcement', () => server.relay.broadcasts().includes('late/cam'));
    // An early watcher keeps the relay subscribed upstream, so groups reach its cache.
    const early = (await connect(server.url)).consume(Moq.Path.from('late/cam')).subscribe('video');
    for (let g = 0; g < 4; g++) {
      const group = track.appendGroup();
      group.writeFrame(frame(g, 0));
      group.writeFrame(frame(g, 1));
      if (g < 3) group.close();
      const seen = await early.recvGroup();
      expect(seen?.sequence).toBe(g);
    }
    // Group 3 is still open (two frames in): a late watcher gets it whole, not groups 0–2.
    const late = (await connect(server.url)).consume(Moq.Path.from('late/cam')).subscribe('video');
    const first = await late.recvGroup();
    expect(first?.sequence).toBe(3);
    const f0 = await first!.readFrame();
    const f1 = await first!.readFrame();
    expect([...f0!.payload, ...f1!.payload]).toEqual([3, 0, 7, 3, 1, 7]);
    broadcast.close();
  });

  it('ends the broadcast everywhere when its publisher leaves', async () => {
    const pub = await connect(server.url);
    const ticking = publishTicking(pub, 'gone/cam');
    const sub = await connect(server.url);
    const announced = sub.announced(Moq.Path.from('gone'));
    const up = await announced.next();
    expect(up).toMatchObject({ path: 'cam', active: true });
    pub.close();
    const down = await announced.next();
    expect(down).toMatchObject({ path: 'cam', active: false });
    await until('the relay to forget it', () => !server.relay.broadcasts().includes('gone/cam'));
    ticking.stop();
  });

  it('scopes a connection to its URL path: /moq/room sees room/* as its own names', async () => {
    const pub = await connect(server.url, '/moq/room');
    const ticking = publishTicking(pub, 'input');
    await until('room/input', () => server.relay.broadcasts().includes('room/input'));
    const inside = await connect(server.url, '/moq/room');
    const track = inside.consume(Moq.Path.from('input')).subscribe('video');
    expect((await track.recvGroup())?.sequence).toBeGreaterThanOrEqual(0);
    ticking.stop();
  });

  it('drops whole groups for a subscriber that stops reading, and never stalls the publisher or others', async () => {
    const pub = await connect(server.url);
    const broadcast = new Moq.Broadcast.Producer();
    const track = broadcast.createTrack('video');
    pub.publish(Moq.Path.from('slow/cam'), broadcast);
    await until('the announcement', () => server.relay.broadcasts().includes('slow/cam'));
    const fast = (await connect(server.url)).consume(Moq.Path.from('slow/cam')).subscribe('video');
    const before = sockets.length;
    const slowConnection = await connect(server.url);
    const slowSocket = sockets[before];
    const slow = slowConnection.consume(Moq.Path.from('slow/cam')).subscribe('video');
    const big = new Uint8Array(256 * 1024);
    const write = (g: number) => {
      const group = track.appendGroup();
      big[0] = g;
      group.writeFrame({ payload: big.slice(), timestamp: Moq.Time.Timestamp.now() });
      group.close();
    };
    write(0);
    expect((await slow.recvGroup())?.sequence).toBe(0);
    expect((await fast.recvGroup())?.sequence).toBe(0);
    // The slow client's socket stops reading: TCP fills, the relay's queue towards it grows.
    (slowSocket as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();
    const dropsBefore = server.relay.stats().droppedGroups;
    let fastSeen = 0;
    for (let g = 1; g <= 60; g++) {
      write(g);
      const seen = await fast.recvGroup();
      expect(seen?.sequence).toBe(g);
      await readGroup(seen!);
      fastSeen++;
    }
    expect(fastSeen).toBe(60);
    expect(server.relay.stats().droppedGroups).toBeGreaterThan(dropsBefore);
    (slowSocket as unknown as { _socket: { resume(): void } })._socket.resume();
    // Once it reads again it catches up and gets new groups whole (groups keep coming meanwhile).
    let next = 61;
    const ticker = setInterval(() => write(next++), 20);
    let got: number[][] = [];
    let seq = 0;
    while (seq <= 60) {
      const g = await slow.recvGroup();
      if (!g) break;
      seq = g.sequence;
      got = await readGroup(g);
    }
    clearInterval(ticker);
    expect(seq).toBeGreaterThan(60);
    expect(got).toHaveLength(1);
    expect(got[0]).toHaveLength(big.length);
    broadcast.close();
  }, 30_000);
});

describe('MoQ relay tokens', () => {
  let server: TestRelay;
  beforeAll(async () => {
    server = await startTestRelay({ anonymous: false });
  });
  afterAll(async () => {
    await server.close();
  });

  it('matches moq-relay path patterns', () => {
    expect(matchesPattern('room/**', 'room/a/b')).toBe(true);
    expect(matchesPattern('room/**', 'room')).toBe(true);
    expect(matchesPattern('room/*', 'room/a')).toBe(true);
    expect(matchesPattern('room/*', 'room/a/b')).toBe(false);
    expect(matchesPattern('room', 'room/a')).toBe(true);
    expect(matchesPattern('room', 'roomy')).toBe(false);
    expect(matchesPattern('**', '')).toBe(true);
    expect(allows({ root: 'org', publish: ['room/**'], subscribe: [] }, 'publish', 'org/room/x')).toBe(true);
    expect(allows({ root: 'org', publish: ['room/**'], subscribe: [] }, 'publish', 'other/room/x')).toBe(false);
    expect(maskJwt('/moq?jwt=abc.def.ghi&x=1')).toBe('/moq?jwt=***&x=1');
  });

  it('mints tokens the relay verifies, with the old put/get names read too', async () => {
    const token = await mintToken(TEST_RELAY_SECRET, { publish: ['room/**'], subscribe: ['**'], ttlSeconds: 60 });
    const grant = await verifyToken(TEST_RELAY_SECRET, token);
    expect(grant).toMatchObject({ root: '', publish: ['room/**'], subscribe: ['**'] });
    await expect(mintToken(TEST_RELAY_SECRET, { publish: ['ro*m'] })).rejects.toThrow(/whole segment/);
    await expect(mintToken(TEST_RELAY_SECRET, {})).rejects.toThrow(/must allow something/);
  });

  it('refuses a missing, forged or expired token at connect, saying why', async () => {
    // What a client is told (a browser only sees the status; the message is for other clients).
    const routes = relayRoutes({
      relay: server.relay,
      secret: TEST_RELAY_SECRET,
      anonymous: false,
      upgrade: upgradeWebSocket,
    });
    const refused = async (query: string, path = '/moq') => {
      const res = await routes.request(`${path}${query}`, {
        headers: { upgrade: 'websocket', 'sec-websocket-protocol': 'qmux-00.moq-lite-05' },
      });
      return { status: res.status, message: ((await res.json()) as { error: { message: string } }).error.message };
    };
    const missing = await refused('');
    expect(missing.status).toBe(401);
    expect(missing.message).toMatch(/needs a token/);
    const forged = await mintToken('another-secret-0123456789abcdef', { subscribe: ['**'] });
    expect((await refused(`?jwt=${forged}`)).message).toMatch(/not signed by this server/);
    expect((await refused('?jwt=nonsense')).message).toMatch(/not a valid JWT/);
    const expired = await mintToken(TEST_RELAY_SECRET, { subscribe: ['**'], ttlSeconds: 1 }, Date.now() - 10_000);
    expect((await refused(`?jwt=${expired}`)).message).toMatch(/expired/);
    const rooted = await mintToken(TEST_RELAY_SECRET, { root: 'alice', subscribe: ['**'] });
    const wrongRoot = await refused(`?jwt=${rooted}`, '/moq/bob');
    expect(wrongRoot.status).toBe(403);
    expect(wrongRoot.message).toMatch(/root '\/alice' does not cover '\/bob'/);
    // Over a real socket: refused before the upgrade, let in with the right token.
    const status = (path: string) =>
      new Promise<number>((resolve) => {
        const ws = new WebSocket(`${server.url.replace('http', 'ws')}${path}`, ['qmux-00.moq-lite-05']);
        ws.on('open', () => {
          ws.close();
          resolve(101);
        });
        ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.on('error', () => undefined);
      });
    expect(await status('/moq')).toBe(401);
    expect(await status(`/moq?jwt=${expired}`)).toBe(401);
    expect(await status(`/moq/bob?jwt=${rooted}`)).toBe(403);
    expect(await status(`/moq/alice/room?jwt=${rooted}`)).toBe(101);
    await expect(connect(server.url, '/moq', forged)).rejects.toThrow();
  });

  it('takes in only the announcements a token may publish, and shows only what it may subscribe', async () => {
    const pubToken = await mintToken(TEST_RELAY_SECRET, { publish: ['room/**'] });
    const pub = await connect(server.url, '/moq', pubToken);
    const outside = publishTicking(pub, 'other/cam');
    const inside = publishTicking(pub, 'room/cam');
    await until('room/cam', () => server.relay.broadcasts().includes('room/cam'));
    expect(server.relay.broadcasts()).not.toContain('other/cam');

    const secretPub = await connect(server.url, '/moq', await mintToken(TEST_RELAY_SECRET, { publish: ['**'] }));
    const hidden = publishTicking(secretPub, 'secret/cam');
    await until('secret/cam', () => server.relay.broadcasts().includes('secret/cam'));
    const watcher = await connect(server.url, '/moq', await mintToken(TEST_RELAY_SECRET, { subscribe: ['room/**'] }));
    const announced = watcher.announced(Moq.Path.from(''));
    const seen = await announced.next();
    expect(seen).toMatchObject({ path: 'room/cam', active: true });
    // The hidden broadcast is not served to it even when asked for by name.
    const denied = watcher.consume(Moq.Path.from('secret/cam')).subscribe('video');
    await expect(denied.recvGroup()).rejects.toThrow();
    for (const t of [outside, inside, hidden]) t.stop();
  });

  it('estimates a subscriber backlog from bytes handed on and bytes sent', () => {
    let buffered = 0;
    const meter = new SendMeter(() => buffered);
    meter.forwarded(1000);
    meter.sent(1100); // framing: the socket count runs ahead
    expect(meter.backlog()).toBe(0);
    meter.forwarded(5000);
    expect(meter.backlog()).toBe(5000);
    meter.sent(5100);
    buffered = 300;
    expect(meter.backlog()).toBe(300);
  });
});
