import { repository } from '../../composition/repository';
import { uploadStore } from '../../composition/upload-store';
import { loadConfig } from '../../contract/env';
import { toVerificationView } from '../../domain';
import { apiHandler, jsonResponse } from '../../middleware';
import { reuseFrontAsBack } from '../../use-cases/reuse-front';

const scopes = loadConfig(['backendScope', 'clientScope']);

/** POST /verifications/{id}/document-back/reuse-front */
export const handler = apiHandler({ scopes }, async (event) => {
  const verification = await reuseFrontAsBack(
    { repository, uploads: uploadStore },
    { id: event.pathParameters?.id, auth: event.auth },
  );
  return jsonResponse(202, toVerificationView(verification));
});
