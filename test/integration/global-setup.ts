/**
 * Starts the local cloud once for the integration tests (sandbox Berbix, free ports) and shares
 * its addresses with the test files through a JSON file named in the environment.
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startLocalCloud, type LocalCloud } from '../../local/cloud';
import { CONFIG_ENV, configFileFor, type IntegrationConfig } from './support/config';

declare global {
  var __berbixLocalCloud: { cloud: LocalCloud; configFile: string } | undefined;
}

export default async function globalSetup(): Promise<void> {
  const logFile = path.join(os.tmpdir(), `berbix-serverless-integration-${process.pid}.log`);
  writeFileSync(logFile, '');
  const cloud = await startLocalCloud({
    port: 0,
    quiet: true,
    logFile,
    berbix: 'sandbox',
    projectDir: path.resolve(__dirname, '../..'),
  });
  const config: IntegrationConfig = {
    apiUrl: cloud.apiUrl,
    sandboxUrl: cloud.sandbox!.httpUrl,
    tableName: cloud.tableName,
    bucketName: cloud.bucketName,
    endpoints: cloud.endpoints,
    credentials: cloud.credentials,
    logFile,
  };
  const configFile = configFileFor(process.pid);
  writeFileSync(configFile, JSON.stringify(config, null, 2));
  // Test workers are started after this and inherit the environment.
  process.env[CONFIG_ENV] = configFile;
  globalThis.__berbixLocalCloud = { cloud, configFile };
}
