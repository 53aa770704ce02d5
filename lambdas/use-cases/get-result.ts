import type { CachedResult, Repository } from '../adapters/repository';
import type { AuthContext } from '../middleware/auth-context';
import { HttpError } from '../middleware/http-error';
import { loadOwned, requireBackend } from './access';

/** GET /verifications/{id}/result: the cached Berbix result, backend only. Never calls Berbix. */
export async function getResult(
  repository: Pick<Repository, 'get' | 'getResult'>,
  rawId: string | undefined,
  auth: AuthContext,
): Promise<CachedResult & { id: string }> {
  requireBackend(auth);
  const verification = await loadOwned(repository, rawId, auth);
  if (verification.status === 'deleted') {
    throw new HttpError(410, 'verification_deleted', 'This verification and its result were deleted');
  }
  const cached =
    verification.status === 'completed' ? await repository.getResult(verification.id) : undefined;
  if (!cached) {
    throw new HttpError(409, 'not_completed', 'The verification has no result yet', {
      status: verification.status,
    });
  }
  return { id: verification.id, ...cached };
}
