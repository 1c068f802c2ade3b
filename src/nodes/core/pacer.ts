import { z } from 'zod';
import type { Packet } from '../../engine';
import { END_OF_STREAM, PacketQueue, defineNode, micros } from '../../engine';

const params = z.strictObject({
  /** Playback speed: 2 sends twice as fast as real time. Live-tunable. */
  speed: z.number().positive().max(100).default(1),
  /** Packets read ahead of the pacing point, so upstream is not blocked while the pacer waits. */
  buffer_size: z.number().int().min(1).max(4096).default(16),
  /** Packets sent at once before pacing starts (primes downstream buffers). */
  initial_burst_packets: z.number().int().min(0).default(0),
});

/**
 * `core::pacer`: releases packets at wall-clock speed (times `speed`) following their timestamps,
 * or their accumulated durations when they carry no timestamp.
 */
export const pacer = defineNode({
  kind: 'core::pacer',
  version: 1,
  description: 'Releases packets in real time (scaled by speed) according to their timestamps or durations.',
  categories: ['core', 'timing'],
  params,
  liveParams: ['speed'],
  inputs: [{ name: 'in', accepts: [{ kind: 'any' }], cardinality: 'one' }],
  outputs: [{ name: 'out', produces: { kind: 'passthrough' }, cardinality: 'broadcast' }],
  create(ctx) {
    let speed = ctx.params.speed;
    // Pacing baseline: media position `origin` was due at wall time `wallOrigin`.
    let baseline: { origin: number; wallOrigin: number } | undefined;
    let position = 0;
    const ahead = new PacketQueue('reliable', ctx.params.buffer_size);

    const positionOf = (packet: Packet): number => {
      const ts = packet.meta.timestamp;
      if (ts !== undefined) {
        position = ts + (packet.meta.duration ?? 0);
        return ts;
      }
      const at = position;
      position += packet.meta.duration ?? 0;
      return at;
    };

    return {
      tune(next) {
        // Re-anchor so the change applies from now on, without a jump.
        if (baseline) baseline = { origin: position, wallOrigin: ctx.clock.now() };
        speed = next.speed;
      },
      async run(io) {
        const input = io.input('in');
        const out = io.output('out');
        const reader = (async () => {
          for await (const packet of input) await ahead.push(packet);
          ahead.end();
        })();
        reader.catch((error: unknown) => ahead.fail(error));
        let sent = 0;
        for (;;) {
          const packet = await ahead.pull();
          if (packet === END_OF_STREAM) break;
          const at = positionOf(packet);
          if (sent >= ctx.params.initial_burst_packets) {
            baseline ??= { origin: at, wallOrigin: ctx.clock.now() };
            const due = baseline.wallOrigin + (at - baseline.origin) / speed;
            const wait = due - ctx.clock.now();
            if (wait > 0) {
              try {
                await ctx.clock.sleep(micros(wait), io.signal);
              } catch (error) {
                ahead.fail(error);
                throw error;
              }
            }
          }
          await out.send(packet);
          sent++;
        }
        await reader;
      },
    };
  },
});
