import { berbixClient } from '../../composition/berbix';
import { metrics } from '../../composition/metrics';
import { repository } from '../../composition/repository';
import { uploadStore } from '../../composition/upload-store';
import { loadConfig } from '../../contract/env';
import type { NextStep } from '../../domain';
import { taskHandler } from '../../middleware';
import { submitUpload } from '../../use-cases/submit-upload';

const config = loadConfig(['maxUploadAttempts']);

/** SubmitUpload: the claimed object, checked, to Berbix; its next step goes to RouteNextStep. */
export const handler = taskHandler(
  async (input: {
    verificationId: string;
    key: string;
  }): Promise<{ verificationId: string; nextStep: NextStep }> => {
    const nextStep = await submitUpload(
      { repository, uploads: uploadStore, berbixClient, funnel: metrics, config },
      input,
    );
    return { verificationId: input.verificationId, nextStep };
  },
);
