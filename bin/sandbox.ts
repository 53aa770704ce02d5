/**
 * `npm run sandbox`: the local Berbix sandbox on its own. Environment:
 *   SANDBOX_HOST (127.0.0.1), SANDBOX_HTTP_PORT (4010), SANDBOX_HTTPS_PORT (4011),
 *   SANDBOX_API_SECRET, SANDBOX_TOKEN_TTL_SECONDS (3600),
 *   SANDBOX_WEBHOOK_URL + SANDBOX_WEBHOOK_SECRET, SANDBOX_DIR (.local/sandbox: where the CA is kept).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { generateCa, startSandbox, type CertificateAuthority } from '../local/sandbox';

const env = process.env;
const dir = resolve(env.SANDBOX_DIR ?? '.local/sandbox');
const caCertPath = join(dir, 'ca.pem');
const caKeyPath = join(dir, 'ca-key.pem');

// The CA is kept across restarts so a NODE_EXTRA_CA_CERTS pointing at it stays valid.
function loadOrCreateCa(): CertificateAuthority {
  if (existsSync(caCertPath) && existsSync(caKeyPath)) {
    return { certPem: readFileSync(caCertPath, 'utf8'), keyPem: readFileSync(caKeyPath, 'utf8') };
  }
  const ca = generateCa();
  mkdirSync(dir, { recursive: true });
  writeFileSync(caCertPath, ca.certPem);
  writeFileSync(caKeyPath, ca.keyPem, { mode: 0o600 });
  return ca;
}

function port(value: string | undefined, fallback: number): number {
  const n = value === undefined ? fallback : Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`not a port: ${value}`);
  return n;
}

async function main() {
  const webhookSecret = env.SANDBOX_WEBHOOK_SECRET ?? 'whsec_sandbox_0123456789abcdef';
  const sandbox = await startSandbox({
    host: env.SANDBOX_HOST ?? '127.0.0.1',
    httpPort: port(env.SANDBOX_HTTP_PORT, 4010),
    httpsPort: port(env.SANDBOX_HTTPS_PORT, 4011),
    apiSecret: env.SANDBOX_API_SECRET,
    tokenTtlSeconds: env.SANDBOX_TOKEN_TTL_SECONDS ? Number(env.SANDBOX_TOKEN_TTL_SECONDS) : undefined,
    webhook: env.SANDBOX_WEBHOOK_URL ? { url: env.SANDBOX_WEBHOOK_URL, secret: webhookSecret } : undefined,
    ca: loadOrCreateCa(),
  });
  console.log(`Berbix sandbox (local, test mode)
  HTTP            ${sandbox.httpUrl}
  HTTPS           ${sandbox.httpsUrl}
  API secret      ${sandbox.apiSecret}
  Webhook secret  ${env.SANDBOX_WEBHOOK_URL ? `${webhookSecret} (→ ${env.SANDBOX_WEBHOOK_URL})` : `${webhookSecret} (no webhook URL; PUT /_sandbox/config to set one)`}
  Templates       front+back ${sandbox.templateKeys.frontBack}
                  barcode    ${sandbox.templateKeys.barcode}
                  front only ${sandbox.templateKeys.frontOnly}
  CA certificate  ${caCertPath}   (NODE_EXTRA_CA_CERTS=${caCertPath})
  Controls        ${sandbox.httpUrl}/_sandbox/info  (calls, faults, config: docs/sandbox.md)
Ctrl-C to stop.`);
  const stop = () => {
    sandbox.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(`sandbox failed to start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
