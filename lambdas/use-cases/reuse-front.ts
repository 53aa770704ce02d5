import type { Repository } from '../adapters/repository';
import type { UploadStore } from '../adapters/storage';
import { buildUploadKey, newNonce, parseUploadKey, type Verification } from '../domain';
import type { AuthContext } from '../middleware/auth-context';
import { HttpError } from '../middleware/http-error';
import { awaitedUpload, loadOwned } from './access';

/**
 * POST /verifications/{id}/document-back/reuse-front: a passport's photo page has no back, yet
 * Berbix may ask for one when the id type was not given; sending the front again satisfies it.
 * The stored front is copied to a new document_back key, whose S3 event resumes the wait.
 */
export async function reuseFrontAsBack(
  deps: { repository: Pick<Repository, 'get'>; uploads: Pick<UploadStore, 'copy'> },
  input: { id: string | undefined; auth: AuthContext },
): Promise<Verification> {
  const verification = await loadOwned(deps.repository, input.id, input.auth);
  const awaiting = awaitedUpload(verification, 'document_back');
  const frontKey = verification.acceptedKeys.document_front;
  const front = frontKey ? parseUploadKey(frontKey) : undefined;
  const notAvailable = () =>
    new HttpError(409, 'front_not_available', 'No accepted front image is stored for this verification');
  if (!frontKey || !front || front.ext === 'pdf417') throw notAvailable();
  const backKey = buildUploadKey({
    verificationId: verification.id,
    step: 'document_back',
    attempt: awaiting.attempt,
    nonce: newNonce(),
    ext: front.ext,
  });
  // The front may have gone since it was read (a re-post over it is discarded with it).
  if (!(await deps.uploads.copy(frontKey, backKey))) throw notAvailable();
  return verification;
}
