/** Resident memory of a whole process tree (a process and all its descendants), sampled over time. */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';

interface ProcessRow {
  pid: number;
  ppid: number;
  rssBytes: number;
}

function procRows(): ProcessRow[] {
  const rows: ProcessRow[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // The command may hold spaces and parentheses: the fields start after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const rssPages = Number(fields[21]);
      rows.push({ pid: Number(entry), ppid: Number(fields[1]), rssBytes: rssPages * 4096 });
    } catch {
      // the process ended meanwhile
    }
  }
  return rows;
}

function psRows(): ProcessRow[] {
  return execFileSync('ps', ['-A', '-o', 'pid=,ppid=,rss='], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/).map(Number))
    .map(([pid, ppid, rssKb]) => ({ pid: pid!, ppid: ppid!, rssBytes: rssKb! * 1024 }));
}

const rows = (): ProcessRow[] => (existsSync('/proc/self/stat') ? procRows() : psRows());

/** RSS of `rootPid` and all its descendants, in bytes, and how many processes that is. */
export function treeRss(rootPid: number): { bytes: number; processes: number } {
  const all = rows();
  const children = new Map<number, ProcessRow[]>();
  for (const row of all) children.set(row.ppid, [...(children.get(row.ppid) ?? []), row]);
  const root = all.find((r) => r.pid === rootPid);
  if (!root) return { bytes: 0, processes: 0 };
  let bytes = 0;
  let processes = 0;
  const stack = [root];
  while (stack.length > 0) {
    const row = stack.pop()!;
    bytes += row.rssBytes;
    processes += 1;
    stack.push(...(children.get(row.pid) ?? []));
  }
  return { bytes, processes };
}

export interface RssSampler {
  /** The highest tree RSS seen so far, in bytes. */
  readonly peakBytes: number;
  /** The latest sample, in bytes. */
  readonly lastBytes: number;
  stop(): { peakBytes: number; lastBytes: number };
}

/** Samples the tree RSS of `rootPid` every `intervalMs` until stopped. */
export function sampleTreeRss(rootPid: number, intervalMs = 250): RssSampler {
  let peakBytes = 0;
  let lastBytes = 0;
  const sample = () => {
    lastBytes = treeRss(rootPid).bytes;
    peakBytes = Math.max(peakBytes, lastBytes);
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  return {
    get peakBytes() {
      return peakBytes;
    },
    get lastBytes() {
      return lastBytes;
    },
    stop() {
      clearInterval(timer);
      sample();
      return { peakBytes, lastBytes };
    },
  };
}

export const mb = (bytes: number): number => Math.round((bytes / 1024 / 1024) * 10) / 10;
