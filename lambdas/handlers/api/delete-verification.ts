import { getBerbixClient } from '../../adapters/berbix';
import { BerbixDeletionWorkflow } from '../../adapters/berbix-deletion-workflow';
import { dynamoDb, s3, secretsManager, sfn } from '../../adapters/clients';
import { VerificationRepository } from '../../adapters/repository';
import { UploadStore } from '../../adapters/storage';
import { Workflow } from '../../adapters/workflow';
import { loadConfig } from '../../config';
import { toVerificationView, verificationPrefix } from '../../domain';
import { apiHandler, errorSummary, jsonResponse, logger, type ApiResult } from '../../middleware';
import { loadOwned, requireBackend } from '../helpers/access';
import { attemptBerbixDeletion } from '../helpers/berbix-deletion';

const config = loadConfig([
  'tableName',
  'bucketName',
  'stateMachineArn',
  'berbixDeletionStateMachineArn',
  'berbixDeletionRetrySeconds',
  'berbixSecretArn',
  'berbixApiUrl',
  'dataRetentionDays',
  'backendScope',
  'clientScope',
]);
const repo = new VerificationRepository(dynamoDb, config.tableName, config);
const store = new UploadStore(s3, config.bucketName);
const workflow = new Workflow(sfn, config.stateMachineArn);
const deletions = new BerbixDeletionWorkflow(sfn, config.berbixDeletionStateMachineArn);

/** The first try at Berbix's DELETE stays short: when Berbix is slow, the durable run carries on. */
const FIRST_TRY_MS = 5_000;

/** Berbix's DELETE once, right away; anything but a settled outcome leaves it to the running retries. */
async function firstTryAtBerbix(verificationId: string): Promise<void> {
  try {
    const attempt = await attemptBerbixDeletion(
      { repo, client: () => getBerbixClient(secretsManager, config) },
      verificationId,
      { signal: AbortSignal.timeout(FIRST_TRY_MS) },
    );
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
 * write back; then the Berbix deletion is made durable (its own state machine), the execution
 * stopped, the images deleted, and Berbix's DELETE tried once. 204 when nothing is left anywhere,
 * 202 with the tombstone (`berbix_deletion: pending`) while Berbix's copy waits for its retries.
 * Idempotent: a repeat finishes whatever an interrupted one left.
 */
export const handler = apiHandler({ scopes: config }, async (event) => {
  requireBackend(event.auth);
  const { id } = await loadOwned(repo, event.pathParameters?.id, event.auth);
  let tombstone = await repo.tombstone(id);
  const pending = () => tombstone?.berbixDeletion === 'pending';
  if (pending())
    await deletions.start({ verificationId: id, retryInSeconds: config.berbixDeletionRetrySeconds });
  await workflow.stop(id, 'Deleted through the API');
  await store.deletePrefix(verificationPrefix(id));
  if (pending()) {
    await firstTryAtBerbix(id);
    tombstone = (await repo.get(id)) ?? tombstone;
  }
  logger.info('Verification deleted', { verificationId: id, berbixDeletion: tombstone?.berbixDeletion });
  if (tombstone && pending()) return jsonResponse(202, toVerificationView(tombstone));
  return { statusCode: 204, body: '' } satisfies ApiResult;
});
