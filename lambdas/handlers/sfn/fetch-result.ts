import type { Context } from 'aws-lambda';
import { berbixClient } from '../../composition/berbix';
import { metrics } from '../../composition/metrics';
import { repository } from '../../composition/repository';
import { verificationEvents } from '../../composition/verification-events';
import { taskHandler } from '../../middleware';
import { fetchResult } from '../../use-cases/fetch-result';

/** FetchResult: Berbix's result, cached, then the VerificationCompleted event. */
export const handler = taskHandler(
  async (input: { verificationId: string }, context: Context): Promise<{ verificationId: string }> => {
    // The function's ARN names this deployment in the event: rules tell deployments on one bus apart.
    await fetchResult(
      {
        repository,
        berbixClient,
        events: verificationEvents,
        funnel: metrics,
        publisher: context.invokedFunctionArn,
      },
      input.verificationId,
    );
    return { verificationId: input.verificationId };
  },
);
