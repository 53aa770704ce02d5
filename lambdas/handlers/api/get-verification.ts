import { repository } from '../../composition/repository';
import { loadConfig } from '../../contract/env';
import { toVerificationView } from '../../domain';
import { apiHandler, jsonResponse } from '../../middleware';
import { loadOwned } from '../../use-cases/access';

const scopes = loadConfig(['backendScope', 'clientScope']);

/** GET /verifications/{id} */
export const handler = apiHandler({ scopes }, async (event) => {
  const verification = await loadOwned(repository, event.pathParameters?.id, event.auth);
  return jsonResponse(200, toVerificationView(verification));
});
