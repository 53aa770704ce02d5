import { dynamoDb, s3 } from '../../adapters/clients';
import { VerificationRepository } from '../../adapters/repository';
import { UploadStore } from '../../adapters/storage';
import { loadConfig } from '../../config';
import { buildUploadKey, createUploadBody, extensionForContentType, newNonce } from '../../domain';
import { apiHandler, jsonResponse } from '../../middleware';
import { awaitedUpload, loadOwned } from '../helpers/access';

const config = loadConfig([
  'tableName',
  'bucketName',
  'uploadUrlTtlSeconds',
  'maxUploadBytes',
  'dataRetentionDays',
  'backendScope',
  'clientScope',
]);
const repo = new VerificationRepository(dynamoDb, config.tableName, config);
const store = new UploadStore(s3, config.bucketName);

/** POST /verifications/{id}/uploads: a presigned POST for the awaited step and attempt, key chosen here. */
export const handler = apiHandler({ scopes: config, body: createUploadBody }, async (event) => {
  const verification = await loadOwned(repo, event.pathParameters?.id, event.auth);
  const { step, content_type: contentType } = event.parsedBody;
  const awaiting = awaitedUpload(verification, step);
  const key = buildUploadKey({
    verificationId: verification.id,
    step,
    attempt: awaiting.attempt,
    nonce: newNonce(),
    ext: extensionForContentType(contentType),
  });
  const upload = await store.presignUpload({
    key,
    contentType,
    maxBytes: config.maxUploadBytes,
    expiresSeconds: config.uploadUrlTtlSeconds,
  });
  return jsonResponse(201, {
    url: upload.url,
    fields: upload.fields,
    key,
    expires_at: upload.expiresAt,
    max_bytes: config.maxUploadBytes,
  });
});
