/** What a project's global setup shares with its test files (they run in other processes). */
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
  /** The secret the cloud checks Berbix webhooks with (a local one), to sign deliveries in tests. */
  webhookSecret: string;
  logFile: string;
}

/**
 * Each jest project that runs on a local cloud (integration, reliability, browser) starts its own, so a
 * fault injected by one never reaches the other. The project's name comes from its jest `globals`.
 */
export type CloudName = 'integration' | 'reliability' | 'browser';

declare global {
  var __LOCAL_CLOUD_NAME__: CloudName | undefined;
}

/** The environment variable naming the config file of this run's cloud for `name`. */
export const configEnvFor = (name: CloudName): string => `BERBIX_SERVERLESS_${name.toUpperCase()}_CONFIG`;

export const configFileFor = (name: CloudName, pid: number): string =>
  path.join(os.tmpdir(), `berbix-serverless-${name}-${pid}.json`);

let cached: IntegrationConfig | undefined;

export function integrationConfig(): IntegrationConfig {
  if (cached) return cached;
  const env = configEnvFor(globalThis.__LOCAL_CLOUD_NAME__ ?? 'integration');
  const file = process.env[env];
  if (!file)
    throw new Error(`${env} is not set: run through a jest project with a local cloud (global-setup)`);
  cached = JSON.parse(readFileSync(file, 'utf8')) as IntegrationConfig;
  return cached;
}
