import type { Funnel } from '../adapters/metrics';
import type { Repository } from '../adapters/repository';
import type { UploadStore } from '../adapters/storage';
import { isFailureReason, reasonForTaskError, verificationPrefix } from '../domain';
import { logger } from '../middleware/logger';

export interface CloseInput {
  verificationId: string;
  outcome: 'failed' | 'abandoned';
  reason?: string;
  /** The caught error, `{Error, Cause}`, for a failure. */
  error?: unknown;
}

/**
 * CloseAsFailed / CloseAsAbandoned: records the outcome with a documented reason code (for a
 * failure, the one the failing task put in its error; a reason recorded earlier wins), drops the
 * wait so late uploads resume nothing, and deletes the images.
 */
export async function closeVerification(
  deps: {
    repository: Pick<Repository, 'get' | 'close'>;
    uploads: Pick<UploadStore, 'deletePrefix'>;
    funnel: Pick<Funnel, 'failed' | 'abandoned'>;
  },
  input: CloseInput,
): Promise<void> {
  const { verificationId } = input;
  const outcome = input.outcome === 'abandoned' ? 'abandoned' : 'failed';
  const reason =
    outcome === 'abandoned'
      ? isFailureReason(input.reason)
        ? input.reason
        : 'upload_timeout'
      : reasonForTaskError(input.error);
  const verification = await deps.repository.get(verificationId);
  if (!verification || verification.status === 'deleted') return;
  const closed = await deps.repository.close(verificationId, outcome, reason);
  // Only the close that changed the status counts (the close states retry); a reason recorded
  // earlier is the one kept.
  if (closed && outcome === 'abandoned') deps.funnel.abandoned();
  if (closed && outcome === 'failed') deps.funnel.failed(verification.failureReason ?? reason);
  await deps.uploads.deletePrefix(verificationPrefix(verificationId));
  logger.info('Verification closed', { verificationId, outcome, reason, closed });
}
