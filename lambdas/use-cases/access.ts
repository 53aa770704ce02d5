import type { Repository } from '../adapters/repository';
import {
  acceptsUpload,
  acceptsUploads,
  isVerificationId,
  type Awaiting,
  type UploadStep,
  type Verification,
} from '../domain';
import type { AuthContext } from '../middleware/auth-context';
import { HttpError, notFound } from '../middleware/http-error';

/** The verification the caller may see: its creator's, or any for the backend. Others are 404. */
export async function loadOwned(
  repository: Pick<Repository, 'get'>,
  rawId: string | undefined,
  auth: AuthContext,
): Promise<Verification> {
  if (!isVerificationId(rawId)) throw notFound();
  const verification = await repository.get(rawId);
  if (!verification) throw notFound();
  if (!auth.isBackend && verification.customerUid !== auth.sub) throw notFound();
  return verification;
}

export function requireBackend(auth: AuthContext): void {
  if (!auth.isBackend)
    throw new HttpError(403, 'insufficient_scope', 'This operation needs the backend scope');
}

/** The 409 of an upload that comes while another is being processed. */
export const uploadInProgress = (status: Verification['status']) =>
  new HttpError(
    409,
    'upload_in_progress',
    'An upload is being processed; retry when status is awaiting_upload',
    {
      status,
    },
  );

/**
 * The wait an upload of `step` would answer, or the 409 that explains why there is none:
 * closed, not created yet, an upload being processed, or a step Berbix does not ask for now.
 */
export function awaitedUpload(verification: Verification, step: UploadStep): Awaiting {
  const { status, nextStep, awaiting } = verification;
  if (!acceptsUploads(verification)) {
    throw new HttpError(409, 'verification_closed', 'This verification accepts no more uploads', { status });
  }
  if (status === 'creating') {
    throw new HttpError(409, 'verification_not_ready', 'The verification is being created; retry shortly', {
      status,
    });
  }
  // A wait is open from the record of Berbix's answer; its task token may follow a moment later.
  if (status !== 'awaiting_upload' || !awaiting || awaiting.claimed) throw uploadInProgress(status);
  if (!nextStep || !acceptsUpload(nextStep, step)) {
    throw new HttpError(409, 'step_out_of_order', `Berbix expects ${nextStep ?? 'nothing'} now`, {
      next_step: nextStep ?? null,
    });
  }
  return awaiting;
}
