/**
 * The project under measurement, seen from a benchmark: its local cloud in a child process (see
 * cloud-child.ts) or just its synthesized functions. The child runs with cwd = the project and the
 * project's own tsx, so any checkout can be measured with this checkout's benchmarks.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';

export interface FunctionInfo {
  name: string;
  assetDir: string;
  handler: string;
  memorySize: number;
  timeoutSeconds: number;
  environment: Record<string, string>;
}

export interface CloudInfo {
  apiUrl: string;
  sandbox: { httpUrl: string; httpsUrl: string; apiSecret: string; caCertPem: string };
  templateKey: string;
  endpoints: { dynamodb: string; s3: string; sfn: string; secretsManager: string; eventBridge: string };
  tableName: string;
  bucketName: string;
  stateMachineArn: string;
  credentials: { accessKeyId: string; secretAccessKey: string; region: string };
  functions: FunctionInfo[];
}

export interface BenchCloud extends CloudInfo {
  /** The child process running the cloud (its process tree is the local cloud). */
  pid: number;
  logFile: string;
  stop(): Promise<void>;
}

const CHILD = path.join(__dirname, 'cloud-child.ts');
const START_TIMEOUT_MS = 5 * 60_000;

function runChild(projectDir: string, options: Record<string, unknown>, logFile: string): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', CHILD], {
    cwd: projectDir,
    env: { ...process.env, BENCH_CLOUD_OPTIONS: JSON.stringify({ projectDir, ...options }) },
    stdio: ['pipe', 'pipe', openSync(logFile, 'a')],
  });
}

function readyLine<T>(child: ChildProcess, logFile: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no READY within ${START_TIMEOUT_MS} ms`)),
      START_TIMEOUT_MS,
    );
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (!line.startsWith('READY ')) return;
      clearTimeout(timer);
      resolve(JSON.parse(line.slice('READY '.length)) as T);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the bench child exited (code ${code}) before it was ready; see ${logFile}`));
    });
  });
}

export function benchTmpDir(prefix: string): string {
  return mkdtempSync(path.join(os.tmpdir(), `berbix-bench-${prefix}-`));
}

/** Starts the project's local cloud (sandbox Berbix, free ports, quiet; function logs to `logFile`). */
export async function startBenchCloud(
  projectDir: string,
  options: { envOverrides?: Record<string, string>; logFile?: string } = {},
): Promise<BenchCloud> {
  const logFile = options.logFile ?? path.join(benchTmpDir('cloud'), 'cloud.log');
  const child = runChild(projectDir, { envOverrides: options.envOverrides, logFile }, logFile);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const info = await readyLine<CloudInfo>(child, logFile).catch(async (err: unknown) => {
    child.kill('SIGKILL');
    throw err;
  });
  return {
    ...info,
    pid: child.pid!,
    logFile,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      await exited;
      clearTimeout(killer);
    },
  };
}

/** The project's functions as the local cloud synthesizes them (no cloud started). */
export async function synthesizedFunctions(
  projectDir: string,
): Promise<{ cdkOutDir: string; functions: FunctionInfo[] }> {
  const logFile = path.join(benchTmpDir('synth'), 'synth.log');
  const child = runChild(projectDir, { templateOnly: true }, logFile);
  const result = await readyLine<{ cdkOutDir: string; functions: FunctionInfo[] }>(child, logFile);
  child.stdin?.end();
  return result;
}
