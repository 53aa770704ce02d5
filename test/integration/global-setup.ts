/**
 * Starts the local cloud once for the integration tests (its own process: sandbox Berbix, free
 * ports) and shares its addresses with the test files through a JSON file named in the environment.
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CONFIG_ENV, configFileFor, type IntegrationConfig } from './support/config';
import { startCloudProcess, type CloudProcess } from './support/cloud-process';

declare global {
  var __berbixLocalCloud: { cloud: CloudProcess; configFile: string } | undefined;
}

export default async function globalSetup(): Promise<void> {
  const logFile = path.join(os.tmpdir(), `berbix-serverless-integration-${process.pid}.log`);
  writeFileSync(logFile, '');
  const cloud = await startCloudProcess({ port: 0, logFile });
  const config: IntegrationConfig = { ...cloud.config, logFile };
  const configFile = configFileFor(process.pid);
  writeFileSync(configFile, JSON.stringify(config, null, 2));
  // Test workers are started after this and inherit the environment.
  process.env[CONFIG_ENV] = configFile;
  globalThis.__berbixLocalCloud = { cloud, configFile };
}
