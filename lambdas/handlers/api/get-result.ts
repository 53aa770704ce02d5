import { dynamoDb } from '../../adapters/clients';
import { VerificationRepository } from '../../adapters/repository';
import { loadConfig } from '../../config';
import { isVerificationId } from '../../domain';
import { apiHandler, HttpError, jsonResponse } from '../../middleware';
import { loadOwned, requireBackend } from '../helpers/access';
import { prefetch } from '../helpers/task-errors';

const config = loadConfig(['tableName', 'dataRetentionDays', 'backendScope', 'clientScope']);
const repo = new VerificationRepository(dynamoDb, config.tableName, config);

/** GET /verifications/{id}/result: the cached Berbix result, backend only. Never calls Berbix. */
export const handler = apiHandler({ scopes: config }, async (event) => {
  requireBackend(event.auth);
  const rawId = event.pathParameters?.id;
  // The result is read alongside the verification; it is answered only once the checks pass.
  const resultRead = isVerificationId(rawId) ? prefetch(repo.getResult(rawId)) : undefined;
  const verification = await loadOwned(repo, rawId, event.auth);
  if (verification.status === 'deleted') {
    throw new HttpError(410, 'verification_deleted', 'This verification and its result were deleted');
  }
  // Read before META said completed, it may predate the result: then it is read again.
  const cached =
    verification.status === 'completed'
      ? ((await resultRead) ?? (await repo.getResult(verification.id)))
      : undefined;
  if (!cached) {
    throw new HttpError(409, 'not_completed', 'The verification has no result yet', {
      status: verification.status,
    });
  }
  return jsonResponse(200, { id: verification.id, fetched_at: cached.fetchedAt, result: cached.transaction });
});
