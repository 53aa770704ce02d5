/**
 * The processes a process started, and theirs: what must stop when the local cloud stops (the
 * DynamoDB Local java process, a `cdk synth` still running and the esbuild it started).
 * Read from `ps`, which Linux and macOS both have.
 */
import { execFileSync } from 'node:child_process';

/** Every descendant of `rootPid` (children first, then theirs), alive when asked. */
export function descendantPids(rootPid: number = process.pid): number[] {
  let table: string;
  try {
    table = execFileSync('ps', ['-A', '-o', 'pid=,ppid='], { encoding: 'utf8' });
  } catch {
    return [];
  }
  const children = new Map<number, number[]>();
  for (const line of table.trim().split('\n')) {
    const [pid, ppid] = line.trim().split(/\s+/).map(Number);
    if (pid === undefined || ppid === undefined) continue;
    children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  }
  const out: number[] = [];
  const queue = [...(children.get(rootPid) ?? [])];
  while (queue.length > 0) {
    const pid = queue.shift()!;
    out.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return out;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Sends `signal` to each process (ignoring those already gone). */
export function signalAll(pids: number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/**
 * Ends every descendant of this process: SIGTERM, then SIGKILL for those still there after
 * `graceMs`. Resolves once none is left (or after the SIGKILL).
 */
export async function endDescendants(graceMs = 3000): Promise<void> {
  const pids = descendantPids();
  if (pids.length === 0) return;
  signalAll(pids, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (pids.some(isAlive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  signalAll(pids.filter(isAlive), 'SIGKILL');
}
