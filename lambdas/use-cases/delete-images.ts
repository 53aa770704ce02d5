import type { Repository } from '../adapters/repository';
import type { UploadStore } from '../adapters/storage';
import { verificationPrefix } from '../domain';
import { logger } from '../middleware/logger';

/**
 * DeleteImages: after HoldImages, every object of the verification goes. The mark comes first:
 * an object a re-posted form brings in after it is deleted on arrival (upload-received), and the
 * sweep that follows takes everything that came before.
 */
export async function deleteImages(
  deps: { repository: Pick<Repository, 'markImagesDeleted'>; uploads: Pick<UploadStore, 'deletePrefix'> },
  verificationId: string,
): Promise<void> {
  const marked = await deps.repository.markImagesDeleted(verificationId);
  const deleted = await deps.uploads.deletePrefix(verificationPrefix(verificationId));
  logger.info('Images deleted', { verificationId, deleted, marked });
}
