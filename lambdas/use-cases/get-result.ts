import type { CachedResult, Repository } from '../adapters/repository';
import { isVerificationId } from '../domain';
import type { AuthContext } from '../middleware/auth-context';
import { HttpError } from '../middleware/http-error';
import { loadOwned, requireBackend } from './access';
import { prefetch } from './prefetch';

/**
 * GET /verifications/{id}/result: the cached Berbix result, backend only. Never calls Berbix. The
 * result is read alongside the verification; it is answered only once the checks pass.
 */
export async function getResult(
  repository: Pick<Repository, 'get' | 'getResult'>,
  rawId: string | undefined,
  auth: AuthContext,
): Promise<CachedResult & { id: string }> {
  requireBackend(auth);
  const resultRead = isVerificationId(rawId) ? prefetch(repository.getResult(rawId)) : undefined;
  const verification = await loadOwned(repository, rawId, auth);
  if (verification.status === 'deleted') {
    throw new HttpError(410, 'verification_deleted', 'This verification and its result were deleted');
  }
  // Read before META said completed, it may predate the result: then it is read again.
  const cached =
    verification.status === 'completed'
      ? ((await resultRead) ?? (await repository.getResult(verification.id)))
      : undefined;
  if (!cached) {
    throw new HttpError(409, 'not_completed', 'The verification has no result yet', {
      status: verification.status,
    });
  }
  return { id: verification.id, ...cached };
}
