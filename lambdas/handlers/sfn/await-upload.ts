import { repository } from '../../composition/repository';
import { loadConfig } from '../../contract/env';
import { isDocumentStep, type DocumentStep } from '../../domain';
import { taskHandler } from '../../middleware';
import { awaitUpload } from '../../use-cases/await-upload';

const config = loadConfig(['maxUploadAttempts']);

/** AwaitDocumentFront / AwaitDocumentBack (`.waitForTaskToken`); resumed by upload-received. */
export const handler = taskHandler(
  async (input: { verificationId: string; step: DocumentStep; taskToken: string }): Promise<void> => {
    const { step, taskToken } = input;
    if (!isDocumentStep(step) || typeof taskToken !== 'string' || taskToken === '') {
      throw new Error('AwaitUpload needs a document step and a task token');
    }
    await awaitUpload({ repository, config }, input);
  },
);
