import type { S3Event } from 'aws-lambda';
import { dynamoDb, s3, sfn } from '../../adapters/clients';
import { VerificationRepository } from '../../adapters/repository';
import { UploadStore } from '../../adapters/storage';
import { Workflow } from '../../adapters/workflow';
import { loadConfig } from '../../config';
import { parseUploadKey } from '../../domain';
import { logger, taskHandler } from '../../middleware';

const config = loadConfig(['tableName', 'bucketName', 'stateMachineArn', 'dataRetentionDays']);
const repo = new VerificationRepository(dynamoDb, config.tableName, config);
const store = new UploadStore(s3, config.bucketName);
const workflow = new Workflow(sfn, config.stateMachineArn);

/** S3 event keys are URL-encoded with `+` for spaces. */
const decodeKey = (key: string) => decodeURIComponent(key.replace(/\+/g, ' '));

type Disposition = 'resumed' | 'duplicate' | 'discarded';

async function receive(key: string): Promise<Disposition> {
  const upload = parseUploadKey(key);
  if (!upload) {
    await store.delete(key); // the server chooses every key: anything else is foreign
    return 'discarded';
  }
  const taskToken = await repo.claimUpload(upload, key);
  if (taskToken) {
    if (await workflow.resume(taskToken, { key })) return 'resumed';
    await store.delete(key); // the wait ended between the claim and the resume
    return 'discarded';
  }
  const verification = await repo.get(upload.verificationId);
  if (verification?.awaiting?.uploadKey === key && verification.awaiting.taskToken) {
    // A redelivery of the claimed object: resume again in case the first resume did not land.
    await workflow.resume(verification.awaiting.taskToken, { key });
    return 'duplicate';
  }
  const inUse =
    verification?.lastSubmittedKey === key || Object.values(verification?.acceptedKeys ?? {}).includes(key);
  if (inUse) return 'duplicate';
  await store.delete(key); // stale attempt, a step no longer awaited, or a late upload
  return 'discarded';
}

/**
 * ObjectCreated under `uploads/`: exactly one object resumes each wait (a conditional claim on
 * META.awaiting). S3 delivers at least once; duplicates, stale and late uploads resume nothing,
 * and objects nobody waits for are deleted.
 */
export const handler = taskHandler(async (event: S3Event): Promise<void> => {
  for (const record of event.Records ?? []) {
    const key = decodeKey(record.s3.object.key);
    const disposition = await receive(key);
    const parsed = parseUploadKey(key);
    logger.info('Upload received', {
      verificationId: parsed?.verificationId,
      step: parsed?.step,
      attempt: parsed?.attempt,
      disposition,
    });
  }
});
