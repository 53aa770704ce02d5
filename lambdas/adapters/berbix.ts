import { BerbixClient } from '../berbix';
import { loadOnce } from './once';
import type { BerbixSecrets } from './secrets';

/**
 * One Berbix call, its retries and a token refresh included, ends well inside the shortest timeout
 * of a function that calls Berbix (30 s for the API functions, whose caller API Gateway cuts off at
 * 30 s anyway); the state machine's Retry takes over from there.
 */
export const CALL_BUDGET_MS = 20_000;

/** Hands out the Berbix client, built once the API secret has been read. */
export type BerbixClientFactory = () => Promise<BerbixClient>;

/**
 * One Berbix client per cold start. Creates and uploads are repeated after ambiguous faults too
 * (`converge`): every caller here converges on a repeat.
 */
export function berbixClientFactory(
  secrets: () => Promise<BerbixSecrets>,
  berbixApiUrl: string,
): BerbixClientFactory {
  return loadOnce(async () => {
    const { apiSecret } = await secrets();
    return new BerbixClient({
      apiSecret,
      baseUrl: berbixApiUrl,
      retry: { maxTotalMs: CALL_BUDGET_MS, unsafe: 'converge' },
    });
  });
}
