import type { Repository } from '../adapters/repository';
import { FlowFailedError, uploadsTowardsLimit, VerificationGoneError, type DocumentStep } from '../domain';
import { logger } from '../middleware/logger';

/**
 * AwaitDocumentFront / AwaitDocumentBack (`.waitForTaskToken`): keeps the task token with the
 * expected step and attempt in DynamoDB. The upload-received Lambda resumes the execution.
 * A side that has had `MAX_UPLOAD_ATTEMPTS` uploads is not awaited again: the verification fails
 * with `upload_attempts_exhausted`, which bounds every retake loop (and the execution's history).
 */
export async function awaitUpload(
  deps: { repository: Pick<Repository, 'get' | 'startAwaiting'>; config: { maxUploadAttempts: number } },
  input: { verificationId: string; step: DocumentStep; taskToken: string },
): Promise<void> {
  const { verificationId, step, taskToken } = input;
  const current = await deps.repository.get(verificationId);
  if (!current || current.status === 'deleted') throw new VerificationGoneError(verificationId);
  const used = uploadsTowardsLimit(current.attempts, step);
  if (used >= deps.config.maxUploadAttempts) {
    logger.info('Upload attempts exhausted', { verificationId, step, used });
    throw new FlowFailedError('upload_attempts_exhausted');
  }
  const updated = await deps.repository.startAwaiting(verificationId, step, taskToken, current);
  if (!updated) throw new VerificationGoneError(verificationId);
  logger.info('Awaiting upload', { verificationId, step, attempt: updated.awaiting?.attempt });
}
