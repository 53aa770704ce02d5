/**
 * Runs one local cloud in its own process for the integration tests: prints `READY <json>` once up,
 * and stops everything, then exits, on SIGTERM/SIGINT or when its parent goes away (stdin closes).
 */
import { startLocalCloud, type LocalCloudOptions } from '../../../local/cloud';

async function main(): Promise<void> {
  const options = JSON.parse(process.env.LOCAL_CLOUD_OPTIONS ?? '{}') as LocalCloudOptions;
  const cloud = await startLocalCloud({ ...options, berbix: 'sandbox', quiet: true });
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    cloud.stop().finally(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.stdin.on('end', stop);
  process.stdin.on('close', stop);
  process.stdin.resume();
  const ready = {
    apiUrl: cloud.apiUrl,
    sandboxUrl: cloud.sandbox!.httpUrl,
    tableName: cloud.tableName,
    bucketName: cloud.bucketName,
    endpoints: cloud.endpoints,
    credentials: cloud.credentials,
    webhookSecret: cloud.webhookSecret,
  };
  process.stdout.write(`READY ${JSON.stringify(ready)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`local cloud failed to start: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
