import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { BerbixClient, type BerbixTokens, type TokenSession } from '../berbix';
import { VerificationGoneError } from '../domain';
import type { VerificationRepository } from './repository';
import { getBerbixSecrets } from './secrets';

/**
 * One Berbix call, its retries and a token refresh included, ends well inside the shortest timeout
 * of a function that calls Berbix (30 s for the API functions, whose caller API Gateway cuts off at
 * 30 s anyway); the state machine's Retry takes over from there.
 */
export const CALL_BUDGET_MS = 20_000;

let client: Promise<BerbixClient> | undefined;

/**
 * One Berbix client per cold start, built once the API secret has been read. Creates and uploads
 * are repeated after ambiguous faults too (`converge`): every caller here converges on a repeat.
 */
export function getBerbixClient(
  secrets: SecretsManagerClient,
  config: { berbixSecretArn: string; berbixApiUrl: string },
): Promise<BerbixClient> {
  client ??= getBerbixSecrets(secrets, config.berbixSecretArn).then(
    ({ apiSecret }) =>
      new BerbixClient({
        apiSecret,
        baseUrl: config.berbixApiUrl,
        retry: { maxTotalMs: CALL_BUDGET_MS, unsafe: 'converge' },
      }),
  );
  client.catch(() => (client = undefined));
  return client;
}

/** For tests: forget the client (e.g. when the fake Berbix moves to another port). */
export function resetBerbixClient(): void {
  client = undefined;
}

/** The transaction's tokens, with refreshed tokens written back to DynamoDB as soon as Berbix issues them. */
export async function tokenSession(
  repo: VerificationRepository,
  verificationId: string,
): Promise<TokenSession> {
  const tokens = await repo.getTokens(verificationId);
  if (!tokens) throw new VerificationGoneError(verificationId);
  return {
    tokens,
    onTokensRefreshed: (fresh: BerbixTokens) => repo.putTokens(verificationId, fresh),
  };
}
