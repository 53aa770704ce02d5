import type { Repository } from '../adapters/repository';
import type { UploadStore } from '../adapters/storage';
import { buildUploadKey, newNonce, type Verification } from '../domain';
import type { AuthContext } from '../middleware/auth-context';
import { awaitedUpload, loadOwned, uploadInProgress } from './access';

/**
 * POST /verifications/{id}/id-scans: the barcode payload is stored as an `id_scan` object; its S3
 * event resumes the wait like any upload, so scans and photos share one path to Berbix.
 */
export async function submitIdScan(
  deps: { repository: Pick<Repository, 'get' | 'setAwaitedScanKey'>; uploads: Pick<UploadStore, 'put'> },
  input: { id: string | undefined; auth: AuthContext; scan: Uint8Array },
): Promise<Verification> {
  const verification = await loadOwned(deps.repository, input.id, input.auth);
  const awaiting = awaitedUpload(verification, 'id_scan');
  const key = buildUploadKey({
    verificationId: verification.id,
    step: 'id_scan',
    attempt: awaiting.attempt,
    nonce: newNonce(),
    ext: 'pdf417',
  });
  if (!(await deps.repository.setAwaitedScanKey(verification.id, awaiting.attempt, key))) {
    throw uploadInProgress('processing');
  }
  await deps.uploads.put(key, input.scan, 'application/octet-stream');
  return verification;
}
