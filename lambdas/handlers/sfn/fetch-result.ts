import { berbixClient } from '../../composition/berbix';
import { repository } from '../../composition/repository';
import { verificationEvents } from '../../composition/verification-events';
import { taskHandler } from '../../middleware';
import { fetchResult } from '../../use-cases/fetch-result';

/** FetchResult: Berbix's result, cached, then the VerificationCompleted event. */
export const handler = taskHandler(
  async (input: { verificationId: string }): Promise<{ verificationId: string }> => {
    await fetchResult({ repository, berbixClient, events: verificationEvents }, input.verificationId);
    return { verificationId: input.verificationId };
  },
);
