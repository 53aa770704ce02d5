import { repository } from '../../composition/repository';
import { loadConfig } from '../../contract/env';
import { apiHandler, jsonResponse } from '../../middleware';
import { getResult } from '../../use-cases/get-result';

const scopes = loadConfig(['backendScope', 'clientScope']);

/** GET /verifications/{id}/result (backend) */
export const handler = apiHandler({ scopes }, async (event) => {
  const { id, fetchedAt, transaction } = await getResult(repository, event.pathParameters?.id, event.auth);
  return jsonResponse(200, { id, fetched_at: fetchedAt, result: transaction });
});
