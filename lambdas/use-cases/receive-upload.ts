import type { Repository } from '../adapters/repository';
import type { UploadStore } from '../adapters/storage';
import type { Workflow } from '../adapters/workflow';
import {
  arrivedObjectFate,
  isDocumentStep,
  parseUploadKey,
  pollDelayMs,
  type ObjectWrite,
  type UploadKey,
  type Verification,
} from '../domain';
import { logger } from '../middleware/logger';
import { sleep, type Sleep } from './sleep';

/**
 * How long an upload waits for its wait's task token: the state machine arms a wait a few
 * milliseconds after the record that opened it, so a client this quick is rare. Past it, the
 * event fails and Lambda delivers it again (twice, then to the dead-letter queue).
 */
export const ARM_WAIT_MS = 5_000;
/** The slowest pace of the claims tried while the wait is being armed. */
const ARM_POLL_MAX_MS = 250;

/** The wait was opened for this upload but not yet armed with its task token. */
export class WaitNotArmedError extends Error {
  override name = 'WaitNotArmedError';
  constructor(key: string) {
    super(`No task token came for ${key} within ${ARM_WAIT_MS} ms`);
  }
}

/** Waiting for this upload (its side or its scan, its attempt), not claimed, armed or not yet. */
function waitsFor(v: Verification | undefined, upload: UploadKey, key: string): boolean {
  const awaiting = v?.awaiting;
  if (v?.status !== 'awaiting_upload' || !awaiting || awaiting.claimed) return false;
  const forThis = upload.step === 'id_scan' ? awaiting.scanKey === key : awaiting.step === upload.step;
  return forThis && awaiting.attempt === upload.attempt;
}

/**
 * Claims the upload's wait: the task token to resume, or, when the claim is refused, the
 * verification as it is (a duplicate, stale or late upload). An upload quicker than the state
 * machine finds its wait open but not yet armed: it claims again once the token is there.
 */
async function claim(
  deps: { repository: Repository; sleep?: Sleep; now?: () => number },
  upload: UploadKey,
  key: string,
  write: ObjectWrite,
): Promise<{ taskToken?: string; verification?: Verification }> {
  const { repository } = deps;
  const claimed = await repository.claimUpload(upload, key, write);
  if (claimed) return { taskToken: claimed };
  const pause = deps.sleep ?? sleep;
  const now = deps.now ?? Date.now;
  const started = now();
  for (;;) {
    const verification = await repository.get(upload.verificationId);
    if (!waitsFor(verification, upload, key)) return { verification };
    if (now() - started >= ARM_WAIT_MS) throw new WaitNotArmedError(key);
    // Armed between the claim and the read: claim again at once.
    if (!verification!.awaiting!.taskToken)
      await pause(pollDelayMs(now() - started, { minMs: 10, maxMs: ARM_POLL_MAX_MS }));
    const taskToken = await repository.claimUpload(upload, key, write);
    if (taskToken) {
      // How often clients beat the wait task, and by how much (no metric: rare on AWS).
      logger.info('Upload claimed once its wait was armed', {
        verificationId: upload.verificationId,
        waitedMs: now() - started,
      });
      return { taskToken };
    }
  }
}

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
    sleep?: Sleep;
    now?: () => number;
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
  const { taskToken, verification } = await claim(deps, upload, key, write);
  if (taskToken) {
    // An error other than "the task is gone" throws: Lambda retries the event, which resumes again.
    if (await workflow.resume(taskToken, { key })) return 'resumed';
    // The wait ended between the claim and the resume (timed out, or the execution stopped): give
    // the wait back so the verification is not left `processing`; the execution closes it if it ended.
    await repository.releaseClaim(upload.verificationId, key);
    await uploads.delete(key);
    return 'released';
  }
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
