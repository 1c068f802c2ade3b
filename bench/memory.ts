/**
 * Peak memory of a process tree, sampled from /proc (Linux): the sum of each process's
 * proportional set size (PSS: shared pages split between their users), so a browser's many
 * processes are not counted several times over.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** How often the tree is sampled. */
const SAMPLE_INTERVAL_MS = 100;

/** The pid and its descendants. */
export function processTree(root: number): number[] {
  const parents = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    try {
      // Fields after the parenthesised name: state, ppid, …
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = parents.get(ppid) ?? [];
      list.push(pid);
      parents.set(ppid, list);
    } catch {
      // the process ended while we read
    }
  }
  const tree: number[] = [];
  const visit = (pid: number) => {
    tree.push(pid);
    for (const child of parents.get(pid) ?? []) visit(child);
  };
  visit(root);
  return tree;
}

/** PSS of one process in bytes (0 when it is gone). */
function pss(pid: number): number {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Samples the tree under `root` until `stop()`, which returns the peak in bytes. */
export function samplePeak(root: number | undefined): { stop(): number } {
  let peak = 0;
  const sample = () => {
    if (root === undefined) return;
    peak = Math.max(
      peak,
      processTree(root).reduce((sum, pid) => sum + pss(pid), 0),
    );
  };
  sample();
  const timer = setInterval(sample, SAMPLE_INTERVAL_MS);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return peak;
    },
  };
}
