/**
 * Global setup and teardown of a jest project that runs on a local cloud: one cloud per project,
 * in its own process (sandbox Berbix, free ports), its addresses shared with the test files through
 * a JSON file named in the environment.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { LocalCloudOptions } from '../../../local/cloud';
import { startCloudProcess, type CloudProcess } from './cloud-process';
import { configEnvFor, configFileFor, type CloudName, type IntegrationConfig } from './config';

declare global {
  var __berbixLocalClouds:
    Partial<Record<CloudName, { cloud: CloudProcess; configFile: string }>> | undefined;
}

export function cloudGlobalSetup(name: CloudName, options: Omit<LocalCloudOptions, 'port' | 'logFile'> = {}) {
  return async function globalSetup(): Promise<void> {
    const logFile = path.join(os.tmpdir(), `berbix-serverless-${name}-${process.pid}.log`);
    writeFileSync(logFile, '');
    const cloud = await startCloudProcess({ ...options, port: 0, logFile });
    const config: IntegrationConfig = { ...cloud.config, logFile };
    const configFile = configFileFor(name, process.pid);
    writeFileSync(configFile, JSON.stringify(config, null, 2));
    // Test workers are started after this and inherit the environment.
    process.env[configEnvFor(name)] = configFile;
    globalThis.__berbixLocalClouds = { ...globalThis.__berbixLocalClouds, [name]: { cloud, configFile } };
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

/** Stops the cloud the project's setup started, and checks nothing of it is left running. */
export function cloudGlobalTeardown(name: CloudName) {
  return async function globalTeardown(): Promise<void> {
    const started = globalThis.__berbixLocalClouds?.[name];
    if (!started) return;
    delete globalThis.__berbixLocalClouds![name];
    const { cloud, configFile } = started;
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
      throw new Error(
        `The ${name} local cloud left something behind: process ${alive ? 'alive' : 'gone'}, open: ${open.join(', ')}`,
      );
    }
  };
}
