import { dynamoDb } from '../../adapters/clients';
import { VerificationRepository } from '../../adapters/repository';
import { loadConfig } from '../../config';
import { apiHandler, HttpError, jsonResponse } from '../../middleware';
import { loadOwned, requireBackend } from '../helpers/access';

const config = loadConfig(['tableName', 'dataRetentionDays', 'backendScope', 'clientScope']);
const repo = new VerificationRepository(dynamoDb, config.tableName, config);

/** GET /verifications/{id}/result: the cached Berbix result, backend only. Never calls Berbix. */
export const handler = apiHandler({ scopes: config }, async (event) => {
  requireBackend(event.auth);
  const verification = await loadOwned(repo, event.pathParameters?.id, event.auth);
  if (verification.status === 'deleted') {
    throw new HttpError(410, 'verification_deleted', 'This verification and its result were deleted');
  }
  const cached = verification.status === 'completed' ? await repo.getResult(verification.id) : undefined;
  if (!cached) {
    throw new HttpError(409, 'not_completed', 'The verification has no result yet', {
      status: verification.status,
    });
  }
  return jsonResponse(200, { id: verification.id, fetched_at: cached.fetchedAt, result: cached.transaction });
});
