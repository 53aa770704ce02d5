/**
 * `npm start`: the whole pipeline on 127.0.0.1 (see docs/local-cloud.md).
 *   npm start                   # in-memory, HTTP API on :4000, the Berbix sandbox
 *   npm start -- --persist      # keep data under .local/data across restarts
 *   npm start -- --port 4100
 * With BERBIX_API_URL, BERBIX_API_SECRET and BERBIX_TEMPLATE_KEY set, real Berbix replaces the sandbox.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { removeDiscoveryFile, writeDiscoveryFile } from '../cli/local-cloud';
import { quickStartCommands } from '../cli/quick-start';
import { DEFAULT_API_PORT, startLocalCloud, type LocalCloud } from '../local/cloud';
import { DEFAULT_SCOPES } from '../lambdas/contract/scopes';
import { endDescendants } from '../local/cloud/process-tree';

const { client: CLIENT_SCOPE, backend: BACKEND_SCOPE } = DEFAULT_SCOPES;
const TOKEN_HOURS = 12;
/** How often we look whether our parent is still there. */
const PARENT_CHECK_MS = 500;
/** Longer than a clean stop takes; then every child is killed. */
const STOP_TIMEOUT_MS = 20_000;

function banner(cloud: LocalCloud, clientToken: string, backendToken: string, persistDir?: string): string {
  const api = cloud.apiUrl;
  const berbix = cloud.sandbox
    ? `Berbix sandbox  ${cloud.sandbox.httpUrl}  (HTTPS ${cloud.sandbox.httpsUrl}; controls under /_sandbox/)`
    : `Berbix          ${cloud.berbix.apiUrl} (REAL Berbix, template ${cloud.berbix.templateKey})`;
  return `
  berbix-serverless local cloud is up
  ──────────────────────────────────────────────────────────────────────────────
  HTTP API        ${api}
  Web client      ${cloud.webClientUrl}
  ${berbix}
  DynamoDB Local  ${cloud.endpoints.dynamodb}   table  ${cloud.tableName}
  S3              ${cloud.endpoints.s3}   bucket ${cloud.bucketName}
  Step Functions  ${cloud.endpoints.sfn}
  JWT issuer      ${cloud.issuer}  (audience ${cloud.audience})
  Data            ${persistDir ? `kept in ${persistDir}` : 'in memory (npm start -- --persist to keep it)'}

  Tokens (${TOKEN_HOURS} h; more with: npm run -s cli -- token --sub <user> [--backend]):
  export API=${api}
  export TOKEN=${clientToken}
  export BACKEND_TOKEN=${backendToken}

  One verification, copy-paste (the CLI finds this cloud and mints its own token; the
  first front is blurry, so Berbix asks for a retake and the second --front is sent):
  ${quickStartCommands().join('\n').split('\n').join('\n  ')}

  Function output is prefixed [FunctionName]; completion events print as [events].
  The funnel so far: curl ${api}/_local/metrics (printed again on stop). Ctrl-C stops everything.
`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      persist: { type: 'boolean', default: false },
      port: { type: 'string', default: String(DEFAULT_API_PORT) },
    },
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`--port: not a port: ${values.port}`);
  const persistDir = values.persist ? path.resolve('.local', 'data') : undefined;

  // Whatever stops us — Ctrl-C, a signal, or the parent (npm) going away — stops every child too,
  // also while still starting (a synth, esbuild or java may be running then).
  const running: { cloud?: LocalCloud } = {};
  let stoppingSince = 0;
  const stop = (why: string) => {
    if (stoppingSince) {
      // npm passes the terminal's Ctrl-C on too: only a deliberate second one forces the exit.
      if (Date.now() - stoppingSince < 2000) return;
      console.log('Forced exit.');
      void endDescendants(0).finally(() => process.exit(130));
      return;
    }
    stoppingSince = Date.now();
    console.log(`\n${why}: stopping the local cloud…`);
    // What the functions' metrics say about this session (GET /_local/metrics while running).
    if (running.cloud) console.log(running.cloud.metricsSummary());
    removeDiscoveryFile(process.cwd());
    // A stop that hangs must not leave the children running.
    setTimeout(() => void endDescendants(0).finally(() => process.exit(1)), STOP_TIMEOUT_MS).unref();
    (running.cloud ? running.cloud.stop() : Promise.resolve())
      .then(() => endDescendants())
      .then(() => process.exit(0))
      .catch((err: unknown) => {
        console.error(err);
        void endDescendants(0).finally(() => process.exit(1));
      });
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => stop(signal));
  // npm does not pass SIGHUP on, and nothing is passed on when it is killed: we are orphaned then.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) stop('The parent process exited');
  }, PARENT_CHECK_MS).unref();

  console.log('Starting the local cloud…');
  const started = await startLocalCloud({ port, dataDir: persistDir });
  if (stoppingSince) {
    await started.stop();
    return;
  }
  running.cloud = started;

  const [clientToken, backendToken] = await Promise.all([
    started.mintToken('demo-user', [CLIENT_SCOPE], TOKEN_HOURS * 3600),
    started.mintToken('demo-backend', [BACKEND_SCOPE], TOKEN_HOURS * 3600),
  ]);
  // The CLI finds this cloud through it (removed on stop).
  writeDiscoveryFile(process.cwd(), started.apiUrl);
  console.log(banner(started, clientToken, backendToken, persistDir));
}

main().catch((err: unknown) => {
  console.error(`The local cloud could not start: ${(err as Error).message}`);
  void endDescendants(0).finally(() => process.exit(1));
});
