import { getBerbixClient } from '../../adapters/berbix';
import { dynamoDb, secretsManager } from '../../adapters/clients';
import { VerificationRepository } from '../../adapters/repository';
import { loadConfig } from '../../config';
import { VerificationGoneError, type NextStep } from '../../domain';
import { logger, taskHandler } from '../../middleware';
import { asTaskError } from '../helpers/task-errors';

const config = loadConfig([
  'tableName',
  'berbixSecretArn',
  'berbixApiUrl',
  'berbixTemplateKey',
  'dataRetentionDays',
]);
const repo = new VerificationRepository(dynamoDb, config.tableName, config);

/** CreateTransaction: Berbix create with api_only_options; tokens to DynamoDB; returns the first step. */
export const handler = taskHandler(
  async (input: { verificationId: string }): Promise<{ verificationId: string; nextStep: NextStep }> => {
    const { verificationId } = input;
    const verification = await repo.get(verificationId);
    if (!verification || verification.status === 'deleted') throw new VerificationGoneError(verificationId);
    // A retried task after the transaction was recorded: never create a second one.
    if (verification.berbixTransactionId && verification.nextStep) {
      return { verificationId, nextStep: verification.nextStep };
    }
    const inputs = await repo.getCreateInputs(verificationId);
    const client = await getBerbixClient(secretsManager, config);
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
      .catch((error) => asTaskError(error, (reason) => repo.recordFailureReason(verificationId, reason)));
    const nextStep = created.firstStep ?? 'upload_document_front';
    const { firstStep: _firstStep, ...tokens } = created;
    if (!(await repo.recordTransactionCreated(verificationId, { tokens, nextStep }))) {
      // Deleted while Berbix was creating: the pending Berbix deletion needs these tokens.
      const handedOver = await repo.handOverTokensForDeletion(verificationId, tokens);
      logger.warn('Berbix transaction created for a deleted verification', { verificationId, handedOver });
      throw new VerificationGoneError(verificationId);
    }
    logger.info('Berbix transaction created', { verificationId, nextStep });
    return { verificationId, nextStep };
  },
);
