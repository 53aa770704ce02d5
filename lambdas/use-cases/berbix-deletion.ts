import {
  BerbixAuthError,
  BerbixError,
  BerbixGoneError,
  BerbixRequestError,
  type CallOptions,
} from '../berbix';
import type { BerbixClientFactory } from '../adapters/berbix';
import type { Repository } from '../adapters/repository';
import { logger } from '../middleware/logger';
import { failureReason } from './task-errors';
import { tokenSession } from './token-session';

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
  deps: { repository: Repository; berbixClient: BerbixClientFactory },
  verificationId: string,
  call: CallOptions = {},
): Promise<BerbixDeletionAttempt> {
  const { repository } = deps;
  const tokens = await repository.getTokens(verificationId);
  if (!tokens) return { outcome: 'no_tokens' };
  let attempt: Exclude<BerbixDeletionAttempt, { outcome: 'no_tokens' }> = { outcome: 'done' };
  try {
    const client = await deps.berbixClient();
    await client.deleteTransaction(tokenSession(repository, verificationId, tokens), call);
  } catch (error) {
    attempt = verdict(error);
  }
  if (attempt.outcome === 'done') await repository.finishBerbixDeletion(verificationId, { result: 'done' });
  if (attempt.outcome === 'failed') {
    await repository.finishBerbixDeletion(verificationId, { result: 'failed', reason: attempt.reason });
  }
  return attempt;
}

/** Milliseconds since an ISO date; 0 when there is none. */
const since = (iso: string | undefined, now: number): number => {
  const at = Date.parse(iso ?? '');
  return Number.isFinite(at) ? Math.max(0, now - at) : 0;
};

/** No wait between tries is longer: an outage of hours is retried about every half hour. */
const MAX_RETRY_SECONDS = 1800;

export interface DeletionStep {
  verificationId: string;
  outcome: 'done' | 'failed' | 'retry';
  /** How long the state machine waits before the next try (0 when there is none). */
  retryInSeconds: number;
}

export interface DeletionTiming {
  berbixDeletionRetrySeconds: number;
  berbixDeletionGiveUpSeconds: number;
  berbixCreateWindowSeconds: number;
}

/**
 * DeleteBerbixTransaction (the Berbix deletion state machine): one try at deleting a tombstone's
 * Berbix transaction. While Berbix is unavailable the waits double from
 * BERBIX_DELETION_RETRY_SECONDS up to half an hour, until BERBIX_DELETION_GIVE_UP_SECONDS after the
 * execution started: then `failed` (`retries_exhausted`, the tokens kept for a re-run). Without
 * tokens, a create still in flight when the verification was deleted may bring them for up to
 * BERBIX_CREATE_WINDOW_SECONDS; after that nothing was created and the deletion is `done`.
 */
export async function deleteBerbixTransaction(
  deps: { repository: Repository; berbixClient: BerbixClientFactory; config: DeletionTiming },
  input: { verificationId: string; startedAt: string },
): Promise<DeletionStep> {
  const { repository, config } = deps;
  const { verificationId } = input;
  const step = (outcome: DeletionStep['outcome'], retryInSeconds = 0): DeletionStep => ({
    verificationId,
    outcome,
    retryInSeconds,
  });
  const tombstone = await repository.get(verificationId);
  if (tombstone?.status !== 'deleted') return step('done');
  const attempt = await attemptBerbixDeletion(deps, verificationId);
  const now = Date.now();

  if (attempt.outcome === 'no_tokens') {
    if (tombstone.berbixDeletion !== 'pending') return step(tombstone.berbixDeletion ?? 'done');
    const windowLeft = config.berbixCreateWindowSeconds * 1000 - since(tombstone.deletedAt, now);
    if (windowLeft > 0) {
      return step('retry', Math.min(config.berbixDeletionRetrySeconds, Math.ceil(windowLeft / 1000)));
    }
    await repository.finishBerbixDeletion(verificationId, { result: 'done' });
    logger.info('No Berbix transaction was created', { verificationId });
    return step('done');
  }
  if (attempt.outcome !== 'retry') {
    logger.info('Berbix deletion finished', { verificationId, ...attempt });
    return step(attempt.outcome);
  }

  const elapsedSeconds = since(input.startedAt, now) / 1000;
  const wait = Math.ceil(
    Math.min(MAX_RETRY_SECONDS, Math.max(config.berbixDeletionRetrySeconds, elapsedSeconds)),
  );
  if (elapsedSeconds + wait > config.berbixDeletionGiveUpSeconds) {
    await repository.finishBerbixDeletion(verificationId, {
      result: 'failed',
      reason: 'retries_exhausted',
      keepTokens: true,
    });
    logger.error('Berbix deletion gave up', { verificationId, lastReason: attempt.reason });
    return step('failed');
  }
  logger.warn('Berbix deletion will be retried', {
    verificationId,
    reason: attempt.reason,
    retryInSeconds: wait,
  });
  return step('retry', wait);
}
