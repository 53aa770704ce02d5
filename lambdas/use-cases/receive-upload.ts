import type { Repository } from '../adapters/repository';
import type { UploadStore } from '../adapters/storage';
import type { Workflow } from '../adapters/workflow';
import { arrivedObjectFate, isDocumentStep, parseUploadKey, type ObjectWrite } from '../domain';

/** What became of an object that arrived under `uploads/`. */
export type Disposition = 'resumed' | 'released' | 'duplicate' | 'discarded';

/**
 * An object arrived under `uploads/`: exactly one object resumes each wait (a conditional claim on
 * META.awaiting, which records the write's ETag and sequencer). S3 delivers at least once;
 * duplicates, stale and late uploads resume nothing, and objects nobody waits for, re-posts over
 * submitted objects and anything arriving after the images were deleted are deleted.
 */
export async function receiveUpload(
  deps: {
    repository: Repository;
    uploads: Pick<UploadStore, 'delete'>;
    workflow: Pick<Workflow, 'resume'>;
  },
  key: string,
  write: ObjectWrite,
): Promise<Disposition> {
  const { repository, uploads, workflow } = deps;
  const upload = parseUploadKey(key);
  if (!upload) {
    await uploads.delete(key); // the server chooses every key: anything else is foreign
    return 'discarded';
  }
  const taskToken = await repository.claimUpload(upload, key, write);
  if (taskToken) {
    // An error other than "the task is gone" throws: Lambda retries the event, which resumes again.
    if (await workflow.resume(taskToken, { key })) return 'resumed';
    // The wait ended between the claim and the resume (timed out, or the execution stopped): give
    // the wait back so the verification is not left `processing`; the execution closes it if it ended.
    await repository.releaseClaim(upload.verificationId, key);
    await uploads.delete(key);
    return 'released';
  }
  const verification = await repository.get(upload.verificationId);
  const fate = arrivedObjectFate(verification, key, write);
  if (fate === 'resume_again' && verification?.awaiting?.taskToken) {
    // A redelivery of the claimed object: resume again in case the first resume did not land. If
    // the task is gone, the first resume may have been the one that landed: the claim stays.
    await workflow.resume(verification.awaiting.taskToken, { key });
    return 'duplicate';
  }
  if (fate === 'keep') return 'duplicate';
  // Stale, late or unexpected; a re-post over a submitted object; or the images are gone for good.
  // A re-posted accepted front is forgotten before it is deleted, so reuse-front never copies a
  // key that is about to vanish.
  if (fate === 'overwritten' && isDocumentStep(upload.step)) {
    await repository.forgetAcceptedKey(upload.verificationId, upload.step, key);
  }
  await uploads.delete(key);
  return 'discarded';
}
