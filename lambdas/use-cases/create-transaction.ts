import type { BerbixClientFactory } from '../adapters/berbix';
import type { Repository } from '../adapters/repository';
import { VerificationGoneError, waitOpenedBy, type NextStep } from '../domain';
import { logger } from '../middleware/logger';
import { prefetch } from './prefetch';
import { asTaskError } from './task-errors';

/**
 * CreateTransaction: Berbix create with api_only_options; tokens to DynamoDB; returns the first
 * step. Email and phone are sent only when the deployment opts in (`SEND_CONTACT_DETAILS`): a
 * create whose answer is lost is repeated, and the first transaction, out of DELETE's reach, keeps
 * whatever was sent.
 */
export async function createTransaction(
  deps: {
    repository: Repository;
    berbixClient: BerbixClientFactory;
    config: { berbixTemplateKey: string; sendContactDetails: boolean; maxUploadAttempts: number };
  },
  verificationId: string,
): Promise<NextStep> {
  const { repository, config } = deps;
  // Independent reads at once: the verification, its create inputs and the Berbix client.
  const clientRead = prefetch(deps.berbixClient());
  const [verification, inputs] = await Promise.all([
    repository.get(verificationId),
    config.sendContactDetails ? repository.getCreateInputs(verificationId) : {},
  ]);
  if (!verification || verification.status === 'deleted') throw new VerificationGoneError(verificationId);
  // A retried task after the transaction was recorded: never create a second one.
  if (verification.berbixTransactionId && verification.nextStep) return verification.nextStep;
  const client = await clientRead;
  const created = await client
    .createTransaction({
      customerUid: verification.customerUid,
      templateKey: config.berbixTemplateKey,
      ...inputs,
      apiOnlyOptions: {
        ...(verification.idCountry ? { idCountry: verification.idCountry } : {}),
        ...(verification.idType ? { idType: verification.idType } : {}),
      },
    })
    .catch(asTaskError);
  const nextStep = created.firstStep ?? 'upload_document_front';
  const { firstStep: _firstStep, ...tokens } = created;
  // The first wait opens with the record: the create answers without waiting for it to be armed.
  const opens = waitOpenedBy(nextStep, verification.attempts, config.maxUploadAttempts);
  if (!(await repository.recordTransactionCreated(verificationId, { tokens, nextStep, opens }))) {
    // Deleted while Berbix was creating: the pending Berbix deletion needs these tokens.
    const handedOver = await repository.handOverTokensForDeletion(verificationId, tokens);
    logger.warn('Berbix transaction created for a deleted verification', { verificationId, handedOver });
    throw new VerificationGoneError(verificationId);
  }
  logger.info('Berbix transaction created', { verificationId, nextStep });
  return nextStep;
}
