import type { Repository } from '../adapters/repository';
import type { PresignedUpload, UploadForms } from '../adapters/upload-forms';
import { buildUploadKey, extensionForContentType, newNonce, type DocumentStep } from '../domain';
import type { AuthContext } from '../middleware/auth-context';
import { awaitedUpload, loadOwned } from './access';

export interface UploadForm extends PresignedUpload {
  key: string;
  maxBytes: number;
}

/** POST /verifications/{id}/uploads: a presigned POST for the awaited step and attempt, key chosen here. */
export async function createUploadForm(
  deps: {
    repository: Pick<Repository, 'get'>;
    forms: Pick<UploadForms, 'presignUpload'>;
    config: { maxUploadBytes: number; uploadUrlTtlSeconds: number };
  },
  input: {
    id: string | undefined;
    auth: AuthContext;
    step: DocumentStep;
    contentType: 'image/jpeg' | 'image/png';
  },
): Promise<UploadForm> {
  const { step, contentType } = input;
  const verification = await loadOwned(deps.repository, input.id, input.auth);
  const awaiting = awaitedUpload(verification, step);
  const key = buildUploadKey({
    verificationId: verification.id,
    step,
    attempt: awaiting.attempt,
    nonce: newNonce(),
    ext: extensionForContentType(contentType),
  });
  const upload = await deps.forms.presignUpload({
    key,
    contentType,
    maxBytes: deps.config.maxUploadBytes,
    expiresSeconds: deps.config.uploadUrlTtlSeconds,
  });
  return { ...upload, key, maxBytes: deps.config.maxUploadBytes };
}
