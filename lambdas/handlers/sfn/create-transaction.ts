import { berbixClient } from '../../composition/berbix';
import { repository } from '../../composition/repository';
import { loadConfig } from '../../contract/env';
import type { NextStep } from '../../domain';
import { taskHandler } from '../../middleware';
import { createTransaction } from '../../use-cases/create-transaction';

const config = loadConfig(['berbixTemplateKey', 'sendContactDetails', 'maxUploadAttempts']);

/** CreateTransaction: Berbix's create; the first step goes to RouteNextStep. */
export const handler = taskHandler(
  async (input: { verificationId: string }): Promise<{ verificationId: string; nextStep: NextStep }> => {
    const nextStep = await createTransaction({ repository, berbixClient, config }, input.verificationId);
    return { verificationId: input.verificationId, nextStep };
  },
);
