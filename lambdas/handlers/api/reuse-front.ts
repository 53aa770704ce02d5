import { dynamoDb, s3 } from '../../adapters/clients';
import { VerificationRepository } from '../../adapters/repository';
import { UploadStore } from '../../adapters/storage';
import { loadConfig } from '../../config';
import { buildUploadKey, newNonce, parseUploadKey, toVerificationView } from '../../domain';
import { apiHandler, HttpError, jsonResponse } from '../../middleware';
import { awaitedUpload, loadOwned } from '../helpers/access';

const config = loadConfig(['tableName', 'bucketName', 'dataRetentionDays', 'backendScope', 'clientScope']);
const repo = new VerificationRepository(dynamoDb, config.tableName, config);
const store = new UploadStore(s3, config.bucketName);

/**
 * POST /verifications/{id}/document-back/reuse-front: a passport's photo page has no back, yet
 * Berbix may ask for one when the id type was not given; sending the front again satisfies it.
 * The stored front is copied to a new document_back key, whose S3 event resumes the wait.
 */
export const handler = apiHandler({ scopes: config }, async (event) => {
  const verification = await loadOwned(repo, event.pathParameters?.id, event.auth);
  const awaiting = awaitedUpload(verification, 'document_back');
  const frontKey = verification.acceptedKeys.document_front;
  const front = frontKey ? parseUploadKey(frontKey) : undefined;
  if (!frontKey || !front || front.ext === 'pdf417') {
    throw new HttpError(
      409,
      'front_not_available',
      'No accepted front image is stored for this verification',
    );
  }
  const backKey = buildUploadKey({
    verificationId: verification.id,
    step: 'document_back',
    attempt: awaiting.attempt,
    nonce: newNonce(),
    ext: front.ext,
  });
  await store.copy(frontKey, backKey);
  return jsonResponse(202, toVerificationView(verification));
});
