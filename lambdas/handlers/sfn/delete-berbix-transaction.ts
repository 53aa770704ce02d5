import { getBerbixClient } from '../../adapters/berbix';
import { dynamoDb, secretsManager } from '../../adapters/clients';
import { VerificationRepository } from '../../adapters/repository';
import { loadConfig } from '../../config';
import { logger, taskHandler } from '../../middleware';
import { attemptBerbixDeletion } from '../helpers/berbix-deletion';

const config = loadConfig([
  'tableName',
  'berbixSecretArn',
  'berbixApiUrl',
  'dataRetentionDays',
  'berbixDeletionRetrySeconds',
  'berbixDeletionGiveUpSeconds',
  'berbixCreateWindowSeconds',
]);
const repo = new VerificationRepository(dynamoDb, config.tableName, config);

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

/**
 * DeleteBerbixTransaction (the Berbix deletion state machine): one try at deleting a tombstone's
 * Berbix transaction. While Berbix is unavailable the waits double from
 * BERBIX_DELETION_RETRY_SECONDS up to half an hour, until BERBIX_DELETION_GIVE_UP_SECONDS after the
 * execution started: then `failed` (`retries_exhausted`, the tokens kept for a re-run). Without
 * tokens, a create still in flight when the verification was deleted may bring them for up to
 * BERBIX_CREATE_WINDOW_SECONDS; after that nothing was created and the deletion is `done`.
 */
export const handler = taskHandler(
  async (input: { verificationId: string; startedAt: string }): Promise<DeletionStep> => {
    const { verificationId } = input;
    const step = (outcome: DeletionStep['outcome'], retryInSeconds = 0): DeletionStep => ({
      verificationId,
      outcome,
      retryInSeconds,
    });
    const tombstone = await repo.get(verificationId);
    if (tombstone?.status !== 'deleted') return step('done');
    const attempt = await attemptBerbixDeletion(
      { repo, client: () => getBerbixClient(secretsManager, config) },
      verificationId,
    );
    const now = Date.now();

    if (attempt.outcome === 'no_tokens') {
      if (tombstone.berbixDeletion !== 'pending') return step(tombstone.berbixDeletion ?? 'done');
      const windowLeft = config.berbixCreateWindowSeconds * 1000 - since(tombstone.deletedAt, now);
      if (windowLeft > 0) {
        return step('retry', Math.min(config.berbixDeletionRetrySeconds, Math.ceil(windowLeft / 1000)));
      }
      await repo.finishBerbixDeletion(verificationId, { result: 'done' });
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
      await repo.finishBerbixDeletion(verificationId, {
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
  },
);
