/**
 * After a `--persist` restart: the tables and objects survived, the Step Functions executions did
 * not (the local emulator keeps them in memory). Every verification that an execution was moving
 * on is given a new one; the work that was in flight is redone or closed, never left hanging.
 */
import { setTimeout as sleep } from 'node:timers/promises';

/** The META item fields recovery reads (see docs/architecture.md, "DynamoDB"). */
export interface StoredVerification {
  id: string;
  status: string;
  awaiting?: { step?: string; attempt?: number; claimed?: boolean; uploadKey?: string };
  imagesDeletedAt?: string;
  /** A deleted verification's Berbix deletion: `pending` while its own state machine retries it. */
  berbixDeletion?: string;
}

export interface RecoveryDeps {
  /** Every verification's META item. */
  verifications(): Promise<StoredVerification[]>;
  get(id: string): Promise<StoredVerification | undefined>;
  /** StartExecution named after the verification, with the input CreateVerificationFn would give. */
  startExecution(verificationId: string): Promise<void>;
  /** Starts the verification's Berbix deletion again, as DeleteVerificationFn would. */
  startBerbixDeletion(verificationId: string): Promise<void>;
  /** Invokes a task function as the state machine would; false when it failed. */
  invokeTask(constructId: 'CloseVerificationFn' | 'DeleteImagesFn', payload: unknown): Promise<boolean>;
  /** Delivers an ObjectCreated event for `key` again; false when the object is gone. */
  redeliverUpload(key: string): Promise<boolean>;
  log(line: string): void;
  /** How long to wait for a resumed execution to wait again for a lost upload. @default 30 s */
  waitMs?: number;
}

export interface RecoverySummary {
  /** Given a new execution (they were creating, awaiting an upload or processing one). */
  resumed: string[];
  /** Whose claimed upload was delivered again to the new wait. */
  redelivered: string[];
  /** Closed as `failed` with reason `local_restart` (a new execution could not start). */
  closed: string[];
  /**
   * Completed ones whose images were not deleted yet (held for `imageRetention`, or their
   * deletion cut off): deleted now.
   */
  imagesDeleted: string[];
  /** Deleted ones whose Berbix deletion was still pending: started again. */
  deletionsResumed: string[];
}

/** The failure_reason of a verification that could not be resumed after a restart. */
export const LOCAL_RESTART_REASON = 'local_restart';

const OPEN_STATUSES = new Set(['creating', 'awaiting_upload', 'processing']);
const DOCUMENT_STEPS = new Set(['document_front', 'document_back']);

export async function recoverAfterRestart(deps: RecoveryDeps): Promise<RecoverySummary> {
  const summary: RecoverySummary = {
    resumed: [],
    redelivered: [],
    closed: [],
    imagesDeleted: [],
    deletionsResumed: [],
  };
  const lostUploads: { id: string; key: string; step: string; attempt: number | undefined }[] = [];
  for (const v of await deps.verifications()) {
    if (v.status === 'completed' && !v.imagesDeletedAt) {
      // The execution died after the result, in the HoldImages wait (a retention) or before its
      // DeleteImages task ran: the images are deleted now, any retention cut short, never endless.
      if (await deps.invokeTask('DeleteImagesFn', { verificationId: v.id })) summary.imagesDeleted.push(v.id);
      continue;
    }
    if (v.status === 'deleted' && v.berbixDeletion === 'pending') {
      // Its retries died with the execution; the tombstone still holds the tokens they need.
      await deps
        .startBerbixDeletion(v.id)
        .then(() => summary.deletionsResumed.push(v.id))
        .catch((error: unknown) =>
          deps.log(
            `[local-cloud] ${v.id}: its Berbix deletion did not start again (${(error as Error).name})`,
          ),
        );
      continue;
    }
    if (!OPEN_STATUSES.has(v.status)) continue;
    try {
      await deps.startExecution(v.id);
      summary.resumed.push(v.id);
    } catch (error) {
      deps.log(`[local-cloud] ${v.id}: no new execution (${(error as Error).name}); closing it`);
      await deps.invokeTask('CloseVerificationFn', {
        verificationId: v.id,
        outcome: 'failed',
        reason: LOCAL_RESTART_REASON,
      });
      summary.closed.push(v.id);
      continue;
    }
    // A claimed photo whose submit died: once the new execution waits for the same step and
    // attempt again, its S3 event is delivered again and the upload goes on as if nothing happened.
    // (A claimed id-scan needs its scan key recorded first: the client posts it again.)
    const { awaiting } = v;
    if (
      v.status === 'processing' &&
      awaiting?.claimed &&
      awaiting.uploadKey &&
      DOCUMENT_STEPS.has(awaiting.step ?? '')
    ) {
      lostUploads.push({
        id: v.id,
        key: awaiting.uploadKey,
        step: awaiting.step!,
        attempt: awaiting.attempt,
      });
    }
  }
  await Promise.all(
    lostUploads.map(async (lost) => {
      if ((await waitAgain(deps, lost)) && (await deps.redeliverUpload(lost.key)))
        summary.redelivered.push(lost.id);
    }),
  );
  return summary;
}

/** True once the verification waits, unclaimed, for the lost upload's step and attempt. */
async function waitAgain(
  deps: RecoveryDeps,
  lost: { id: string; step: string; attempt: number | undefined },
): Promise<boolean> {
  const deadline = Date.now() + (deps.waitMs ?? 30_000);
  while (Date.now() < deadline) {
    const now = await deps.get(lost.id);
    if (!now || !OPEN_STATUSES.has(now.status)) return false;
    const { awaiting } = now;
    if (now.status === 'awaiting_upload' && awaiting && !awaiting.claimed) {
      return awaiting.step === lost.step && awaiting.attempt === lost.attempt;
    }
    await sleep(100);
  }
  deps.log(`[local-cloud] ${lost.id}: the resumed execution did not wait again in time`);
  return false;
}
