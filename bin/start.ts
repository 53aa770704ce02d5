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

const CLIENT_SCOPE = 'verifications/client';
const BACKEND_SCOPE = 'verifications/backend';
const TOKEN_HOURS = 12;

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

  Function output is prefixed [FunctionName]; completion events print as [events]. Ctrl-C stops everything.
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

  console.log('Starting the local cloud…');
  const cloud = await startLocalCloud({ port, dataDir: persistDir });

  let stoppingSince = 0;
  const stop = (signal: string) => {
    if (stoppingSince) {
      // npm and tsx pass the terminal's Ctrl-C on too: only a deliberate second one forces the exit.
      if (Date.now() - stoppingSince < 2000) return;
      console.log('Forced exit.');
      process.exit(130);
    }
    stoppingSince = Date.now();
    console.log(`\n${signal}: stopping the local cloud…`);
    removeDiscoveryFile(process.cwd());
    cloud
      .stop()
      .then(() => process.exit(0))
      .catch((err: unknown) => {
        console.error(err);
        process.exit(1);
      });
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));

  const [clientToken, backendToken] = await Promise.all([
    cloud.mintToken('demo-user', [CLIENT_SCOPE], TOKEN_HOURS * 3600),
    cloud.mintToken('demo-backend', [BACKEND_SCOPE], TOKEN_HOURS * 3600),
  ]);
  // The CLI finds this cloud through it (removed on stop).
  writeDiscoveryFile(process.cwd(), cloud.apiUrl);
  console.log(banner(cloud, clientToken, backendToken, persistDir));
}

main().catch((err: unknown) => {
  console.error(`The local cloud could not start: ${(err as Error).message}`);
  process.exit(1);
});
