import type { BerbixDeletionWorkflow } from '../adapters/berbix-deletion-workflow';
import type { BerbixClientFactory } from '../adapters/berbix';
import type { Funnel } from '../adapters/metrics';
import type { Repository } from '../adapters/repository';
import type { UploadStore } from '../adapters/storage';
import type { Workflow } from '../adapters/workflow';
import { verificationPrefix, type Verification } from '../domain';
import type { AuthContext } from '../middleware/auth-context';
import { errorSummary, logger } from '../middleware/logger';
import { loadOwned, requireBackend } from './access';
import { attemptBerbixDeletion } from './berbix-deletion';

export interface DeleteDeps {
  repository: Repository;
  uploads: Pick<UploadStore, 'deletePrefix'>;
  workflow: Pick<Workflow, 'stop'>;
  berbixDeletions: Pick<BerbixDeletionWorkflow, 'start'>;
  berbixClient: BerbixClientFactory;
  funnel: Pick<Funnel, 'deleted'>;
  config: { berbixDeletionRetrySeconds: number };
}

/** The first try at Berbix's DELETE stays short: when Berbix is slow, the durable run carries on. */
const FIRST_TRY_MS = 5_000;

/** Berbix's DELETE once, right away; anything but a settled outcome leaves it to the running retries. */
async function firstTryAtBerbix(deps: DeleteDeps, verificationId: string): Promise<void> {
  try {
    const attempt = await attemptBerbixDeletion(deps, verificationId, {
      signal: AbortSignal.timeout(FIRST_TRY_MS),
    });
    if (attempt.outcome === 'retry')
      logger.warn('Berbix delete will be retried', { verificationId, reason: attempt.reason });
    if (attempt.outcome === 'failed')
      logger.error('Berbix refused the delete', { verificationId, reason: attempt.reason });
  } catch (error) {
    logger.warn('Berbix delete will be retried', { verificationId, ...errorSummary(error) });
  }
}

/**
 * DELETE /verifications/{id} (backend). The tombstone comes first, so nothing still running can
 * write back; then, side by side, the Berbix deletion is made durable (its own state machine), the
 * execution stopped and the images deleted; last, Berbix's DELETE is tried once. Returns the
 * tombstone while Berbix's copy waits for its retries (`berbixDeletion: pending`), else nothing.
 * Idempotent: a repeat finishes whatever an interrupted one left.
 */
export async function deleteVerification(
  deps: DeleteDeps,
  input: { id: string | undefined; auth: AuthContext },
): Promise<Verification | undefined> {
  requireBackend(input.auth);
  const { id, status } = await loadOwned(deps.repository, input.id, input.auth);
  let tombstone = await deps.repository.tombstone(id);
  // A repeated DELETE finishes the first one's work; only the first counts.
  if (status !== 'deleted' && tombstone?.status === 'deleted') deps.funnel.deleted();
  const pending = () => tombstone?.berbixDeletion === 'pending';
  await Promise.all([
    pending() &&
      deps.berbixDeletions.start({
        verificationId: id,
        retryInSeconds: deps.config.berbixDeletionRetrySeconds,
      }),
    deps.workflow.stop(id, 'Deleted through the API'),
    deps.uploads.deletePrefix(verificationPrefix(id)),
  ]);
  if (pending()) {
    await firstTryAtBerbix(deps, id);
    tombstone = (await deps.repository.get(id)) ?? tombstone;
  }
  logger.info('Verification deleted', { verificationId: id, berbixDeletion: tombstone?.berbixDeletion });
  return tombstone && pending() ? tombstone : undefined;
}
