import { dynamoDb } from '../../adapters/clients';
import { VerificationRepository } from '../../adapters/repository';
import { loadConfig } from '../../config';
import { isDocumentStep, VerificationGoneError, type DocumentStep } from '../../domain';
import { logger, taskHandler } from '../../middleware';

const config = loadConfig(['tableName', 'dataRetentionDays']);
const repo = new VerificationRepository(dynamoDb, config.tableName, config);

/**
 * AwaitDocumentFront / AwaitDocumentBack (`.waitForTaskToken`): keeps the task token with the
 * expected step and attempt in DynamoDB. The upload-received Lambda resumes the execution.
 */
export const handler = taskHandler(
  async (input: { verificationId: string; step: DocumentStep; taskToken: string }): Promise<void> => {
    const { verificationId, step, taskToken } = input;
    if (!isDocumentStep(step) || typeof taskToken !== 'string' || taskToken === '') {
      throw new Error('AwaitUpload needs a document step and a task token');
    }
    const updated = await repo.startAwaiting(verificationId, step, taskToken);
    if (!updated) throw new VerificationGoneError(verificationId);
    logger.info('Awaiting upload', { verificationId, step, attempt: updated.awaiting?.attempt });
  },
);
