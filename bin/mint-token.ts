/**
 * Prints a token from the running local cloud's dev issuer (`npm start` first):
 *   npm run -s mint-token -- --sub alice                      # end-user app (client scope)
 *   npm run -s mint-token -- --sub acme-backend --backend     # the customer's backend
 *   npm run -s mint-token -- --sub bob --scope a --scope b --expires-in 600 --api http://127.0.0.1:4000
 */
import { parseArgs } from 'node:util';
import { DEFAULT_SCOPES } from '../lambdas/contract/scopes';

const { client: CLIENT_SCOPE, backend: BACKEND_SCOPE } = DEFAULT_SCOPES;

const usage =
  'usage: mint-token --sub <subject> [--backend | --scope <scope>...] [--expires-in <seconds>] [--api <url>]';

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        sub: { type: 'string' },
        scope: { type: 'string', multiple: true },
        backend: { type: 'boolean', default: false },
        'expires-in': { type: 'string', default: '3600' },
        api: { type: 'string', default: process.env.LOCAL_API_URL ?? 'http://127.0.0.1:4000' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (err) {
    console.error(`${(err as Error).message}\n${usage}`);
    return 2;
  }
  if (values.help || !values.sub) {
    console.error(usage);
    return values.help ? 0 : 2;
  }
  const scopes = values.scope ?? [values.backend ? BACKEND_SCOPE : CLIENT_SCOPE];
  const url = `${values.api.replace(/\/$/, '')}/_local/tokens`;
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sub: values.sub, scopes, expires_in: Number(values['expires-in']) }),
    });
  } catch {
    console.error(`No local cloud answers at ${values.api}: start it with \`npm start\` (or pass --api).`);
    return 1;
  }
  const body = (await res.json().catch(() => ({}))) as { token?: string; error?: { message?: string } };
  if (!res.ok || !body.token) {
    console.error(
      `Could not mint a token (HTTP ${res.status}): ${body.error?.message ?? 'unexpected answer'}`,
    );
    return 1;
  }
  console.log(body.token);
  return 0;
}

main().then((code) => process.exit(code));
