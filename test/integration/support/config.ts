/** What global-setup shares with the test files (they run in other processes). */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface IntegrationConfig {
  apiUrl: string;
  sandboxUrl: string;
  tableName: string;
  bucketName: string;
  endpoints: { dynamodb: string; s3: string; sfn: string };
  credentials: { accessKeyId: string; secretAccessKey: string; region: string };
  logFile: string;
}

/** The environment variable naming the config file of this run. */
export const CONFIG_ENV = 'BERBIX_SERVERLESS_INTEGRATION_CONFIG';

export const configFileFor = (pid: number): string =>
  path.join(os.tmpdir(), `berbix-serverless-integration-${pid}.json`);

let cached: IntegrationConfig | undefined;

export function integrationConfig(): IntegrationConfig {
  if (cached) return cached;
  const file = process.env[CONFIG_ENV];
  if (!file) throw new Error(`${CONFIG_ENV} is not set: run through the integration project (global-setup)`);
  cached = JSON.parse(readFileSync(file, 'utf8')) as IntegrationConfig;
  return cached;
}
