/**
 * Global setup and teardown of a jest project that runs on a local cloud: one cloud per project,
 * in its own process (sandbox Berbix, free ports), its addresses shared with the test files through
 * a JSON file named in the environment. The teardown also runs the project's leak scan
 * (observations.ts, leak-scan.ts) and fails the run on any finding.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { LocalCloudOptions } from '../../../local/cloud';
import { startCloudProcess, type CloudProcess } from './cloud-process';
import { configEnvFor, configFileFor, type CloudName, type IntegrationConfig } from './config';
import { observationsEnvFor, scanObservations } from './observations';

declare global {
  var __berbixLocalClouds:
    Partial<Record<CloudName, { cloud: CloudProcess; configFile: string; observed: string }>> | undefined;
  /** What the teardowns that ran so far found wrong, thrown by the last one. */
  var __berbixTeardownProblems: string[] | undefined;
}

export function cloudGlobalSetup(name: CloudName, options: Omit<LocalCloudOptions, 'port' | 'logFile'> = {}) {
  return async function globalSetup(): Promise<void> {
    const logFile = path.join(os.tmpdir(), `berbix-serverless-${name}-${process.pid}.log`);
    writeFileSync(logFile, '');
    const observed = mkdtempSync(path.join(os.tmpdir(), `berbix-serverless-${name}-observed-`));
    const cloud = await startCloudProcess({ ...options, port: 0, logFile, observeInto: observed });
    const config: IntegrationConfig = { ...cloud.config, logFile };
    const configFile = configFileFor(name, process.pid);
    writeFileSync(configFile, JSON.stringify(config, null, 2));
    // Test workers are started after this and inherit the environment.
    process.env[configEnvFor(name)] = configFile;
    process.env[observationsEnvFor(name)] = observed;
    globalThis.__berbixLocalClouds = {
      ...globalThis.__berbixLocalClouds,
      [name]: { cloud, configFile, observed },
    };
  };
}

const refusesConnections = (endpoint: string) =>
  new Promise<boolean>((resolve) => {
    const { hostname, port } = new URL(endpoint);
    const socket = connect(Number(port), hostname);
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });

/**
 * Stops the cloud the project's setup started (observing it first), checks nothing of it is left
 * running, and scans what the project made observable for leaks. Jest runs every project's
 * teardown after all tests, one after the other, and skips the rest once one throws: so each
 * teardown keeps its problems, and the last one to stop a cloud throws them all.
 */
export function cloudGlobalTeardown(name: CloudName) {
  return async function globalTeardown(): Promise<void> {
    const started = globalThis.__berbixLocalClouds?.[name];
    if (!started) return;
    const problems = (globalThis.__berbixTeardownProblems ??= []);
    try {
      problems.push(...(await stopAndScan(name, started)));
    } catch (err) {
      problems.push(`The ${name} teardown failed: ${(err as Error).stack ?? String(err)}`);
    }
    delete globalThis.__berbixLocalClouds![name];
    if (Object.keys(globalThis.__berbixLocalClouds!).length > 0 || problems.length === 0) return;
    globalThis.__berbixTeardownProblems = undefined;
    throw new Error(problems.join('\n\n'));
  };
}

async function stopAndScan(
  name: CloudName,
  { cloud, configFile, observed }: { cloud: CloudProcess; configFile: string; observed: string },
): Promise<string[]> {
  const problems: string[] = [];
  await cloud.stop();
  rmSync(configFile, { force: true });

  let alive = true;
  try {
    process.kill(cloud.pid, 0);
  } catch {
    alive = false;
  }
  const { endpoints, apiUrl, sandboxUrl } = cloud.config;
  const open = [];
  for (const endpoint of [apiUrl, sandboxUrl, endpoints.dynamodb, endpoints.s3, endpoints.sfn]) {
    if (!(await refusesConnections(endpoint))) open.push(endpoint);
  }
  if (alive || open.length > 0) {
    problems.push(
      `The ${name} local cloud left something behind: process ${alive ? 'alive' : 'gone'}, open: ${open.join(', ')}`,
    );
  }

  const scan = scanObservations(name, observed);
  console.log(scan.summary);
  problems.push(...scan.problems);
  // Kept for a look when something was found (they hold only this run's test secrets).
  if (scan.problems.length === 0) rmSync(observed, { recursive: true, force: true });
  return problems;
}
