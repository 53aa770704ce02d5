import { dynamoDb, s3 } from '../../adapters/clients';
import { VerificationRepository } from '../../adapters/repository';
import { UploadStore } from '../../adapters/storage';
import { loadConfig } from '../../config';
import { verificationPrefix } from '../../domain';
import { logger, taskHandler } from '../../middleware';

const config = loadConfig(['tableName', 'bucketName', 'dataRetentionDays']);
const repo = new VerificationRepository(dynamoDb, config.tableName, config);
const store = new UploadStore(s3, config.bucketName);

/**
 * DeleteImages: after HoldImages, every object of the verification goes. The mark comes first:
 * an object a re-posted form brings in after it is deleted on arrival (upload-received), and the
 * sweep that follows takes everything that came before.
 */
export const handler = taskHandler(
  async (input: { verificationId: string }): Promise<{ verificationId: string }> => {
    const { verificationId } = input;
    const marked = await repo.markImagesDeleted(verificationId);
    const deleted = await store.deletePrefix(verificationPrefix(verificationId));
    logger.info('Images deleted', { verificationId, deleted, marked });
    return { verificationId };
  },
);
