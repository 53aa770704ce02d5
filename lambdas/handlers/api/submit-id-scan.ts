import { dynamoDb, s3 } from '../../adapters/clients';
import { VerificationRepository } from '../../adapters/repository';
import { UploadStore } from '../../adapters/storage';
import { loadConfig } from '../../config';
import { buildUploadKey, newNonce, submitIdScanBody, toVerificationView } from '../../domain';
import { apiHandler, HttpError, jsonResponse } from '../../middleware';
import { awaitedUpload, loadOwned } from '../helpers/access';

const config = loadConfig(['tableName', 'bucketName', 'dataRetentionDays', 'backendScope', 'clientScope']);
const repo = new VerificationRepository(dynamoDb, config.tableName, config);
const store = new UploadStore(s3, config.bucketName);

/**
 * POST /verifications/{id}/id-scans: the barcode payload is stored as an `id_scan` object; its S3
 * event resumes the wait like any upload, so scans and photos share one path to Berbix.
 */
export const handler = apiHandler({ scopes: config, body: submitIdScanBody }, async (event) => {
  const verification = await loadOwned(repo, event.pathParameters?.id, event.auth);
  const awaiting = awaitedUpload(verification, 'id_scan');
  const key = buildUploadKey({
    verificationId: verification.id,
    step: 'id_scan',
    attempt: awaiting.attempt,
    nonce: newNonce(),
    ext: 'pdf417',
  });
  if (!(await repo.setAwaitedScanKey(verification.id, awaiting.attempt, key))) {
    throw new HttpError(
      409,
      'upload_in_progress',
      'An upload is being processed; retry when status is awaiting_upload',
      {
        status: 'processing',
      },
    );
  }
  await store.put(key, Buffer.from(event.parsedBody.data, 'base64'), 'application/octet-stream');
  return jsonResponse(202, toVerificationView(verification));
});
