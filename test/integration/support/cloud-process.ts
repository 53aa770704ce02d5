/**
 * Starts a local cloud in a child process (see cloud-child.ts), so whatever it runs can never keep
 * the test runner alive, and stopping it is ending a process.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, openSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { LocalCloudOptions } from '../../../local/cloud';
import type { IntegrationConfig } from './config';
import { observationsDir, recordCloud, registerPipelineOrigins } from './observations';

export type CloudAddresses = Omit<IntegrationConfig, 'logFile'>;

export interface CloudProcess {
  config: CloudAddresses;
  pid: number;
  stop(): Promise<void>;
}

const PROJECT_DIR = path.resolve(__dirname, '../../..');
const START_TIMEOUT_MS = 5 * 60_000;
const STOP_TIMEOUT_MS = 60_000;

/**
 * Starts a cloud in a child process. In a jest project on a local cloud, the cloud is observed for
 * the leak scan just before it stops (`observeInto`, by default the project's observations
 * directory; see observations.ts), and its answers to the tests are recorded.
 */
export async function startCloudProcess({
  observeInto = observationsDir(),
  ...options
}: LocalCloudOptions & { logFile: string; observeInto?: string }): Promise<CloudProcess> {
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
      // Whatever else the cloud prints joins its log, so the log is its whole console.
      if (!line.startsWith('READY ')) return appendFileSync(options.logFile, `${line}\n`);
      clearTimeout(timer);
      resolve(JSON.parse(line.slice('READY '.length)) as CloudAddresses);
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`the local cloud exited while starting; see ${options.logFile}`));
    });
  });
  if (observeInto) registerPipelineOrigins(config);
  let observed = !observeInto;
  return {
    config,
    pid: child.pid!,
    async stop() {
      if (!observed) {
        observed = true;
        const running = child.exitCode === null && child.signalCode === null;
        await recordCloud(observeInto!, config, options.logFile, running ? undefined : 'it had exited');
      }
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(killer);
    },
  };
}
