import { metrics } from '../../composition/metrics';
import { repository } from '../../composition/repository';
import { uploadStore } from '../../composition/upload-store';
import { taskHandler } from '../../middleware';
import { closeVerification, type CloseInput } from '../../use-cases/close-verification';

/** CloseAsFailed / CloseAsAbandoned. */
export const handler = taskHandler(async (input: CloseInput): Promise<{ verificationId: string }> => {
  await closeVerification({ repository, uploads: uploadStore, funnel: metrics }, input);
  return { verificationId: input.verificationId };
});
