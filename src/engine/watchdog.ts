/**
 * The stall watchdog of oneshot runs: when no packet moves for a while, the run fails with a list
 * of the unfinished nodes. It runs on the session's clock (tests drive it), and a node that is
 * still initializing (a model loading for 30 s) holds the run without counting as a stall.
 */
import type { NodeState, NodeStats, RuntimeNode } from './runtime-node';
import type { Clock } from './time';
import { fromMillis } from './time';

/** The longest interval between two watchdog checks. */
const MAX_CHECK_INTERVAL_MS = 1_000;
/** The shortest interval between two watchdog checks. */
const MIN_CHECK_INTERVAL_MS = 10;

/** A run that stopped making progress; the message lists each unfinished node with its queue state. */
export class StalledError extends Error {
  override readonly name = 'StalledError';
  /** The unfinished nodes, most suspicious first (holding queued input it does not consume). */
  readonly nodes: { node: string; kind: string; state: NodeState; stats: NodeStats }[];
  constructor(ms: number, nodes: StalledError['nodes']) {
    const lines = nodes.map(
      (n) =>
        `[${n.kind}#${n.node}] ${n.state}: ${n.stats.queue_depth} queued in, ${n.stats.packets_in} in, ${n.stats.packets_out} out`,
    );
    super(`the pipeline stalled: no packet moved for ${ms} ms\n  ${lines.join('\n  ')}`);
    this.nodes = nodes;
  }
}

/** Watches `nodes()` on `clock`; calls `onStall` once when nothing moved for `timeoutMs`. Returns stop. */
export function startWatchdog(
  clock: Clock,
  timeoutMs: number,
  nodes: () => Iterable<RuntimeNode>,
  onStall: (error: StalledError) => void,
): () => void {
  const period = fromMillis(Math.min(MAX_CHECK_INTERVAL_MS, Math.max(MIN_CHECK_INTERVAL_MS, timeoutMs / 4)));
  const timeout = fromMillis(timeoutMs);
  let last = -1;
  let since = clock.now();
  let cancel: (() => void) | undefined;
  const check = (): void => {
    let moved = 0;
    let initializing = false;
    for (const node of nodes()) {
      moved += node.counters.packets_in + node.counters.packets_out;
      if (node.state === 'initializing') initializing = true;
    }
    const now = clock.now();
    if (moved !== last || initializing) {
      last = moved;
      since = now;
    } else if (now - since >= timeout) {
      const stuck = [...nodes()]
        .filter((n) => n.state !== 'done' && n.state !== 'failed')
        .map((n) => ({ node: n.id, kind: n.kind, state: n.state, stats: n.stats(now) }))
        .sort((a, b) => b.stats.queue_depth - a.stats.queue_depth);
      cancel = undefined;
      onStall(new StalledError(timeoutMs, stuck));
      return;
    }
    cancel = clock.after(period, check);
  };
  cancel = clock.after(period, check);
  return () => cancel?.();
}
