/** Stops everything global-setup started: emulators, workers, the sandbox and DynamoDB Local's java. */
import { rmSync } from 'node:fs';

export default async function globalTeardown(): Promise<void> {
  const started = globalThis.__berbixLocalCloud;
  if (!started) return;
  globalThis.__berbixLocalCloud = undefined;
  await started.cloud.stop();
  rmSync(started.configFile, { force: true });
}
