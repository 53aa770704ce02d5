/** What every benchmark is given, and how its figures are written. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AwsMeter } from './aws-meter';
import type { BenchCloud } from './cloud';

export interface BenchContext {
  /** The checkout being measured (its lambdas, stack and local cloud). */
  projectDir: string;
  /** Tiny N, to prove the benchmark works (npm test), not to measure. */
  quick: boolean;
  /** Overrides the benchmark's sample count. */
  n?: number;
  /** Where `<name>.json` goes. @default bench/results */
  resultsDir: string;
  log(line: string): void;
  /** A local cloud to share instead of starting one (quick runs), metered by `sharedMeter`. */
  sharedCloud?: BenchCloud;
  sharedMeter?: AwsMeter;
}

export interface BenchResult<T> {
  bench: string;
  quick: boolean;
  startedAt: string;
  finishedAt: string;
  machine: MachineInfo;
  project: ProjectInfo;
  results: T;
}

export interface MachineInfo {
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  platform: string;
  /** 1-, 5- and 15-minute load averages when the benchmark started and ended. */
  loadAverageStart: number[];
  loadAverageEnd: number[];
}

export interface ProjectInfo {
  dir: string;
  commit: string | null;
  branch: string | null;
  dirty: boolean | null;
}

const git = (dir: string, args: string[]): string | null => {
  try {
    return execFileSync('git', args, {
      cwd: dir,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return null;
  }
};

export function projectInfo(dir: string): ProjectInfo {
  const status = git(dir, ['status', '--porcelain', '--untracked-files=no']);
  return {
    dir,
    commit: git(dir, ['rev-parse', '--short', 'HEAD']),
    branch: git(dir, ['rev-parse', '--abbrev-ref', 'HEAD']),
    dirty: status === null ? null : status.length > 0,
  };
}

const load = () => os.loadavg().map((l) => Math.round(l * 100) / 100);

export function machineInfo(loadAverageStart: number[]): MachineInfo {
  return {
    cpus: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    loadAverageStart,
    loadAverageEnd: load(),
  };
}

/** Runs one benchmark and writes its figures to `<resultsDir>/<name>.json`. */
export async function runBench<T>(
  ctx: BenchContext,
  name: string,
  body: () => Promise<T>,
): Promise<BenchResult<T>> {
  const startedAt = new Date().toISOString();
  const loadAverageStart = load();
  ctx.log(`\n== ${name}${ctx.quick ? ' (quick)' : ''}: ${ctx.projectDir}`);
  const results = await body();
  const out: BenchResult<T> = {
    bench: name,
    quick: ctx.quick,
    startedAt,
    finishedAt: new Date().toISOString(),
    machine: machineInfo(loadAverageStart),
    project: projectInfo(ctx.projectDir),
    results,
  };
  mkdirSync(ctx.resultsDir, { recursive: true });
  writeFileSync(path.join(ctx.resultsDir, `${name}.json`), `${JSON.stringify(out, null, 2)}\n`);
  return out;
}

/** Prints rows as an aligned text table. */
export function table(rows: Record<string, unknown>[]): string {
  if (rows.length === 0) return '(no rows)';
  const keys = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const cell = (v: unknown) => (v === null || v === undefined ? '–' : String(v));
  const widths = keys.map((k) => Math.max(k.length, ...rows.map((r) => cell(r[k]).length)));
  const line = (values: string[]) => values.map((v, i) => v.padEnd(widths[i]!)).join('  ');
  return [
    line(keys),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map((r) => line(keys.map((k) => cell(r[k])))),
  ].join('\n');
}
