/**
 * Starts a local cloud in a child process (see cloud-child.ts), so whatever it runs can never keep
 * the test runner alive, and stopping it is ending a process.
 */
import { spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { LocalCloudOptions } from '../../../local/cloud';
import type { IntegrationConfig } from './config';

export type CloudAddresses = Omit<IntegrationConfig, 'logFile'>;

export interface CloudProcess {
  config: CloudAddresses;
  pid: number;
  stop(): Promise<void>;
}

const PROJECT_DIR = path.resolve(__dirname, '../../..');
const START_TIMEOUT_MS = 5 * 60_000;
const STOP_TIMEOUT_MS = 60_000;

export async function startCloudProcess(
  options: LocalCloudOptions & { logFile: string },
): Promise<CloudProcess> {
  const log = openSync(options.logFile, 'a');
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'cloud-child.ts')], {
    cwd: PROJECT_DIR,
    env: { ...process.env, LOCAL_CLOUD_OPTIONS: JSON.stringify({ ...options, projectDir: PROJECT_DIR }) },
    stdio: ['pipe', 'pipe', log],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const config = await new Promise<CloudAddresses>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error('the local cloud did not start in time')),
      START_TIMEOUT_MS,
    );
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (!line.startsWith('READY ')) return;
      clearTimeout(timer);
      resolve(JSON.parse(line.slice('READY '.length)) as CloudAddresses);
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`the local cloud exited while starting; see ${options.logFile}`));
    });
  });
  return {
    config,
    pid: child.pid!,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(killer);
    },
  };
}
