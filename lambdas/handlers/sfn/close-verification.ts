import { dynamoDb, s3 } from '../../adapters/clients';
import { VerificationRepository } from '../../adapters/repository';
import { UploadStore } from '../../adapters/storage';
import { loadConfig } from '../../config';
import { verificationPrefix } from '../../domain';
import { logger, taskHandler } from '../../middleware';

const config = loadConfig(['tableName', 'bucketName', 'dataRetentionDays']);
const repo = new VerificationRepository(dynamoDb, config.tableName, config);
const store = new UploadStore(s3, config.bucketName);

/** Only code-like reasons (error names) are stored; anything else would be free text from somewhere. */
const safeReason = (reason: unknown): string =>
  typeof reason === 'string' && /^[A-Za-z0-9_.:-]{1,100}$/.test(reason) ? reason : 'unknown';

/**
 * CloseAsFailed / CloseAsAbandoned: records the outcome (a reason recorded earlier by the failing
 * task wins), drops the wait so late uploads resume nothing, and deletes the images.
 */
export const handler = taskHandler(
  async (input: {
    verificationId: string;
    outcome: 'failed' | 'abandoned';
    reason?: string;
  }): Promise<{ verificationId: string }> => {
    const { verificationId } = input;
    const outcome = input.outcome === 'abandoned' ? 'abandoned' : 'failed';
    const verification = await repo.get(verificationId);
    if (!verification || verification.status === 'deleted') return { verificationId };
    const closed = await repo.close(verificationId, outcome, safeReason(input.reason));
    await store.deletePrefix(verificationPrefix(verificationId));
    logger.info('Verification closed', { verificationId, outcome, closed });
    return { verificationId };
  },
);
