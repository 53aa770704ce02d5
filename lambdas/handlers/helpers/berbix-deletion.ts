import {
  BerbixAuthError,
  BerbixError,
  BerbixGoneError,
  BerbixRequestError,
  type BerbixClient,
  type CallOptions,
} from '../../berbix';
import type { VerificationRepository } from '../../adapters/repository';
import { failureReason } from './task-errors';

/**
 * One try at deleting a tombstone's Berbix transaction:
 * - `done`: Berbix deleted it, or already had (404, 410); recorded, tokens dropped;
 * - `failed`: Berbix refused for good (401 even after a token refresh, 403, another 4xx);
 *   recorded with the reason code, tokens dropped: nothing more can be done with them;
 * - `retry`: Berbix was unavailable (5xx, 429, timeout, dropped connection); nothing recorded;
 * - `no_tokens`: no transaction is known (none was created, or its create has not come back yet).
 */
export type BerbixDeletionAttempt =
  | { outcome: 'done' }
  | { outcome: 'failed'; reason: string }
  | { outcome: 'retry'; reason: string }
  | { outcome: 'no_tokens' };

function verdict(error: unknown): Exclude<BerbixDeletionAttempt, { outcome: 'no_tokens' }> {
  if (!(error instanceof BerbixError)) throw error;
  if (error instanceof BerbixGoneError || error.status === 404) return { outcome: 'done' };
  const reason = failureReason(error);
  if (error instanceof BerbixAuthError || error instanceof BerbixRequestError)
    return { outcome: 'failed', reason };
  return { outcome: 'retry', reason };
}

/**
 * Deletes the transaction with the tokens kept for it; a refreshed token is written back only
 * while the deletion is pending. Shared by the DELETE route (a first, bounded try) and the Berbix
 * deletion state machine (the durable retries).
 */
export async function attemptBerbixDeletion(
  deps: { repo: VerificationRepository; client: () => Promise<BerbixClient> },
  verificationId: string,
  call: CallOptions = {},
): Promise<BerbixDeletionAttempt> {
  const { repo } = deps;
  const tokens = await repo.getTokens(verificationId);
  if (!tokens) return { outcome: 'no_tokens' };
  let attempt: Exclude<BerbixDeletionAttempt, { outcome: 'no_tokens' }> = { outcome: 'done' };
  try {
    const session = {
      tokens,
      onTokensRefreshed: (fresh: typeof tokens) => repo.putTokens(verificationId, fresh),
    };
    await (await deps.client()).deleteTransaction(session, call);
  } catch (error) {
    attempt = verdict(error);
  }
  if (attempt.outcome === 'done') await repo.finishBerbixDeletion(verificationId, { result: 'done' });
  if (attempt.outcome === 'failed') {
    await repo.finishBerbixDeletion(verificationId, { result: 'failed', reason: attempt.reason });
  }
  return attempt;
}
