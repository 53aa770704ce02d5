import { dynamoDb, s3 } from '../../adapters/clients';
import { VerificationRepository } from '../../adapters/repository';
import { UploadStore } from '../../adapters/storage';
import { loadConfig } from '../../config';
import { isFailureReason, reasonForTaskError, verificationPrefix } from '../../domain';
import { logger, taskHandler } from '../../middleware';

const config = loadConfig(['tableName', 'bucketName', 'dataRetentionDays']);
const repo = new VerificationRepository(dynamoDb, config.tableName, config);
const store = new UploadStore(s3, config.bucketName);

/**
 * CloseAsFailed / CloseAsAbandoned: records the outcome with a documented reason code (for a
 * failure, the one the failing task put in its error; a reason recorded earlier wins), drops the
 * wait so late uploads resume nothing, and deletes the images.
 */
export const handler = taskHandler(
  async (input: {
    verificationId: string;
    outcome: 'failed' | 'abandoned';
    reason?: string;
    /** The caught error, `{Error, Cause}`, for a failure. */
    error?: unknown;
  }): Promise<{ verificationId: string }> => {
    const { verificationId } = input;
    const outcome = input.outcome === 'abandoned' ? 'abandoned' : 'failed';
    const reason =
      outcome === 'abandoned'
        ? isFailureReason(input.reason)
          ? input.reason
          : 'upload_timeout'
        : reasonForTaskError(input.error);
    const verification = await repo.get(verificationId);
    if (!verification || verification.status === 'deleted') return { verificationId };
    const closed = await repo.close(verificationId, outcome, reason);
    await store.deletePrefix(verificationPrefix(verificationId));
    logger.info('Verification closed', { verificationId, outcome, reason, closed });
    return { verificationId };
  },
);
