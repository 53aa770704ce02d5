import type { S3Event, S3EventRecord } from 'aws-lambda';
import { dynamoDb, s3, sfn } from '../../adapters/clients';
import { VerificationRepository } from '../../adapters/repository';
import { UploadStore } from '../../adapters/storage';
import { Workflow } from '../../adapters/workflow';
import { loadConfig } from '../../config';
import { arrivedObjectFate, isDocumentStep, parseUploadKey, type ObjectWrite } from '../../domain';
import { logger, taskHandler } from '../../middleware';

const config = loadConfig(['tableName', 'bucketName', 'stateMachineArn', 'dataRetentionDays']);
const repo = new VerificationRepository(dynamoDb, config.tableName, config);
const store = new UploadStore(s3, config.bucketName);
const workflow = new Workflow(sfn, config.stateMachineArn);

/** S3 event keys are URL-encoded with `+` for spaces. */
const decodeKey = (key: string) => decodeURIComponent(key.replace(/\+/g, ' '));

type Disposition = 'resumed' | 'released' | 'duplicate' | 'discarded';

async function receive(key: string, write: ObjectWrite): Promise<Disposition> {
  const upload = parseUploadKey(key);
  if (!upload) {
    await store.delete(key); // the server chooses every key: anything else is foreign
    return 'discarded';
  }
  const taskToken = await repo.claimUpload(upload, key, write);
  if (taskToken) {
    // An error other than "the task is gone" throws: Lambda retries the event, which resumes again.
    if (await workflow.resume(taskToken, { key })) return 'resumed';
    // The wait ended between the claim and the resume (timed out, or the execution stopped): give
    // the wait back so the verification is not left `processing`; the execution closes it if it ended.
    await repo.releaseClaim(upload.verificationId, key);
    await store.delete(key);
    return 'released';
  }
  const verification = await repo.get(upload.verificationId);
  const fate = arrivedObjectFate(verification, key, write);
  if (fate === 'resume_again' && verification?.awaiting?.taskToken) {
    // A redelivery of the claimed object: resume again in case the first resume did not land. If
    // the task is gone, the first resume may have been the one that landed: the claim stays.
    await workflow.resume(verification.awaiting.taskToken, { key });
    return 'duplicate';
  }
  if (fate === 'keep') return 'duplicate';
  // Stale, late or unexpected; a re-post over a submitted object; or the images are gone for good.
  await store.delete(key);
  if (fate === 'overwritten' && isDocumentStep(upload.step)) {
    await repo.forgetAcceptedKey(upload.verificationId, upload.step, key);
  }
  return 'discarded';
}

/**
 * ObjectCreated under `uploads/`: exactly one object resumes each wait (a conditional claim on
 * META.awaiting, which records the write's ETag and sequencer). S3 delivers at least once; duplicates, stale and
 * late uploads resume nothing, and objects nobody waits for, re-posts over submitted objects and
 * anything arriving after the images were deleted are deleted.
 */
export const handler = taskHandler(async (event: S3Event): Promise<void> => {
  for (const record of event.Records ?? []) {
    const key = decodeKey(record.s3.object.key);
    const disposition = await receive(key, writeOf(record));
    const parsed = parseUploadKey(key);
    logger.info('Upload received', {
      verificationId: parsed?.verificationId,
      step: parsed?.step,
      attempt: parsed?.attempt,
      disposition,
    });
  }
});

/** The event's ETag and sequencer, when it has them. */
function writeOf(record: S3EventRecord): ObjectWrite {
  const { eTag, sequencer } = record.s3.object as { eTag?: unknown; sequencer?: unknown };
  const present = (v: unknown): v is string => typeof v === 'string' && v !== '';
  return { ...(present(eTag) ? { eTag } : {}), ...(present(sequencer) ? { sequencer } : {}) };
}
