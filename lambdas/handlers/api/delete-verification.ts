import { BerbixError, BerbixGoneError } from '../../berbix';
import { getBerbixClient, tokenSession } from '../../adapters/berbix';
import { dynamoDb, s3, secretsManager, sfn } from '../../adapters/clients';
import { VerificationRepository } from '../../adapters/repository';
import { UploadStore } from '../../adapters/storage';
import { Workflow } from '../../adapters/workflow';
import { loadConfig } from '../../config';
import { verificationPrefix, VerificationGoneError } from '../../domain';
import { apiHandler, errorSummary, HttpError, logger, type ApiResult } from '../../middleware';
import { loadOwned, requireBackend } from '../helpers/access';

const config = loadConfig([
  'tableName',
  'bucketName',
  'stateMachineArn',
  'berbixSecretArn',
  'berbixApiUrl',
  'dataRetentionDays',
  'backendScope',
  'clientScope',
]);
const repo = new VerificationRepository(dynamoDb, config.tableName, config);
const store = new UploadStore(s3, config.bucketName);
const workflow = new Workflow(sfn, config.stateMachineArn);

/** Berbix's DELETE; an already deleted transaction is fine, anything else leaves ours intact for a retry. */
async function deleteAtBerbix(verificationId: string): Promise<void> {
  try {
    const session = await tokenSession(repo, verificationId);
    await (await getBerbixClient(secretsManager, config)).deleteTransaction(session);
  } catch (error) {
    if (error instanceof VerificationGoneError || error instanceof BerbixGoneError) return;
    if (error instanceof BerbixError && error.status === 404) return;
    logger.error('Berbix delete failed', { verificationId, ...errorSummary(error) });
    throw new HttpError(502, 'berbix_unavailable', 'Berbix could not delete the transaction; retry later');
  }
}

/**
 * DELETE /verifications/{id} (backend): stops the execution, deletes the transaction at Berbix,
 * the images, tokens and cached personal data, and leaves a `deleted` tombstone. Idempotent.
 */
export const handler = apiHandler({ scopes: config }, async (event) => {
  requireBackend(event.auth);
  const verification = await loadOwned(repo, event.pathParameters?.id, event.auth);
  if (verification.status !== 'deleted') {
    const id = verification.id;
    await workflow.stop(id, 'Deleted through the API');
    if (verification.berbixTransactionId) await deleteAtBerbix(id);
    await store.deletePrefix(verificationPrefix(id));
    await repo.tombstone(id);
    logger.info('Verification deleted', { verificationId: id });
  }
  return { statusCode: 204, body: '' } satisfies ApiResult;
});
