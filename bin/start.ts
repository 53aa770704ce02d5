/**
 * `npm start`: the whole pipeline on 127.0.0.1 (see docs/local-cloud.md).
 *   npm start                   # in-memory, HTTP API on :4000, the Berbix sandbox
 *   npm start -- --persist      # keep data under .local/data across restarts
 *   npm start -- --port 4100
 * With BERBIX_API_URL, BERBIX_API_SECRET and BERBIX_TEMPLATE_KEY set, real Berbix replaces the sandbox.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_API_PORT, startLocalCloud, type LocalCloud } from '../local/cloud';
import { endDescendants } from '../local/cloud/process-tree';

const CLIENT_SCOPE = 'verifications/client';
const BACKEND_SCOPE = 'verifications/backend';
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
  const upload = [
    `upload() { curl -s -X POST "$API/verifications/$ID/uploads" -H "authorization: Bearer $TOKEN" \\`,
    `    -H 'content-type: application/json' -d "{\\"step\\":\\"$1\\",\\"content_type\\":\\"image/jpeg\\"}" \\`,
    `  | node -e 'const f=JSON.parse(require("fs").readFileSync(0,"utf8"));`,
    `      const a=Object.entries(f.fields).flatMap(([k,v])=>["--form-string",k+"="+v]);`,
    `      require("child_process").execFileSync("curl",["-s","-o","/dev/null","-w","S3 answered %{http_code}\\\\n",`,
    `        ...a,"-F","file=@"+process.argv[1]+";type=image/jpeg",f.url],{stdio:"inherit"})' "$2"; }`,
  ].join('\n');
  return `
  berbix-serverless local cloud is up
  ──────────────────────────────────────────────────────────────────────────────
  HTTP API        ${api}
  ${berbix}
  DynamoDB Local  ${cloud.endpoints.dynamodb}   table  ${cloud.tableName}
  S3              ${cloud.endpoints.s3}   bucket ${cloud.bucketName}
  Step Functions  ${cloud.endpoints.sfn}
  JWT issuer      ${cloud.issuer}  (audience ${cloud.audience})
  Data            ${persistDir ? `kept in ${persistDir}` : 'in memory (npm start -- --persist to keep it)'}

  Tokens (${TOKEN_HOURS} h; more with: npm run -s mint-token -- --sub <user> [--backend]):
  export API=${api}
  export TOKEN=${clientToken}
  export BACKEND_TOKEN=${backendToken}

  One verification, copy-paste (bash):
  npm run -s test-images -- .local/images
  ID=$(curl -s -X POST $API/verifications -H "authorization: Bearer $TOKEN" \\
    -H 'content-type: application/json' -d '{"id_country":"US","id_type":"DL"}' \\
    | node -pe 'JSON.parse(require("fs").readFileSync(0,"utf8")).id'); echo $ID
  ${upload.split('\n').join('\n  ')}
  upload document_front .local/images/drivers-license-front.jpg
  curl -s $API/verifications/$ID -H "authorization: Bearer $TOKEN"     # next_step: upload_document_back
  upload document_back .local/images/drivers-license-back.jpg
  curl -s $API/verifications/$ID -H "authorization: Bearer $TOKEN"     # status: completed
  curl -s $API/verifications/$ID/result -H "authorization: Bearer $BACKEND_TOKEN"

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
  console.log(banner(started, clientToken, backendToken, persistDir));
}

main().catch((err: unknown) => {
  console.error(`The local cloud could not start: ${(err as Error).message}`);
  void endDescendants(0).finally(() => process.exit(1));
});
