import { dynamoDb } from '../../adapters/clients';
import { VerificationRepository } from '../../adapters/repository';
import { loadConfig } from '../../config';
import {
  FlowFailedError,
  isDocumentStep,
  uploadsTowardsLimit,
  VerificationGoneError,
  type DocumentStep,
} from '../../domain';
import { logger, taskHandler } from '../../middleware';

const config = loadConfig(['tableName', 'dataRetentionDays', 'maxUploadAttempts']);
const repo = new VerificationRepository(dynamoDb, config.tableName, config);

/**
 * AwaitDocumentFront / AwaitDocumentBack (`.waitForTaskToken`): keeps the task token with the
 * expected step and attempt in DynamoDB. The upload-received Lambda resumes the execution.
 * A side that has had `MAX_UPLOAD_ATTEMPTS` uploads is not awaited again: the verification fails
 * with `upload_attempts_exhausted`, which bounds every retake loop (and the execution's history).
 */
export const handler = taskHandler(
  async (input: { verificationId: string; step: DocumentStep; taskToken: string }): Promise<void> => {
    const { verificationId, step, taskToken } = input;
    if (!isDocumentStep(step) || typeof taskToken !== 'string' || taskToken === '') {
      throw new Error('AwaitUpload needs a document step and a task token');
    }
    const current = await repo.get(verificationId);
    if (!current || current.status === 'deleted') throw new VerificationGoneError(verificationId);
    const used = uploadsTowardsLimit(current.attempts, step);
    if (used >= config.maxUploadAttempts) {
      logger.info('Upload attempts exhausted', { verificationId, step, used });
      throw new FlowFailedError('upload_attempts_exhausted');
    }
    const updated = await repo.startAwaiting(verificationId, step, taskToken);
    if (!updated) throw new VerificationGoneError(verificationId);
    logger.info('Awaiting upload', { verificationId, step, attempt: updated.awaiting?.attempt });
  },
);
