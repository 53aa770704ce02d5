import { repository } from '../../composition/repository';
import { uploadStore } from '../../composition/upload-store';
import { taskHandler } from '../../middleware';
import { deleteImages } from '../../use-cases/delete-images';

/** DeleteImages: after HoldImages, every object of the verification goes. */
export const handler = taskHandler(
  async (input: { verificationId: string }): Promise<{ verificationId: string }> => {
    await deleteImages({ repository, uploads: uploadStore }, input.verificationId);
    return { verificationId: input.verificationId };
  },
);
