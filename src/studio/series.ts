/**
 * The monitor's time series: per-node packet rate, bit rate and queue depth, sampled from
 * cumulative counters (from the tab's engine or a server session), timed on this page's clock.
 */
import type { NodeSeries } from './Panels';
import { MONITOR_SAMPLES } from './Panels';

/** Cumulative counters of one node. */
export interface NodeCounters {
  packets_out: number;
  bytes_out: number;
  queue_depth: number;
}

/** Returns a function that turns each counter snapshot into the next series (given the old one). */
export function seriesTracker(): (
  nodes: Record<string, NodeCounters>,
  old: Record<string, NodeSeries>,
) => Record<string, NodeSeries> | undefined {
  let last: { at: number; nodes: Record<string, NodeCounters> } | undefined = { at: performance.now(), nodes: {} };
  return (nodes, old) => {
    const prev = last;
    const now = performance.now();
    last = { at: now, nodes };
    if (!prev) return undefined;
    const dt = Math.max(0.05, (now - prev.at) / 1000);
    const next: Record<string, NodeSeries> = {};
    const push = (list: number[], v: number) => [...list, v].slice(-MONITOR_SAMPLES);
    for (const [id, n] of Object.entries(nodes)) {
      const p = prev.nodes[id];
      const s = old[id] ?? { rate: [], kbps: [], queue: [] };
      next[id] = {
        rate: push(s.rate, (n.packets_out - (p?.packets_out ?? 0)) / dt),
        kbps: push(s.kbps, ((n.bytes_out - (p?.bytes_out ?? 0)) * 8) / 1000 / dt),
        queue: push(s.queue, n.queue_depth),
      };
    }
    return next;
  };
}
