import { getBerbixClient } from '../../adapters/berbix';
import { dynamoDb, secretsManager } from '../../adapters/clients';
import { VerificationRepository } from '../../adapters/repository';
import { loadConfig } from '../../config';
import { VerificationGoneError, type NextStep } from '../../domain';
import { logger, taskHandler } from '../../middleware';
import { asTaskError, prefetch } from '../helpers/task-errors';

const config = loadConfig([
  'tableName',
  'berbixSecretArn',
  'berbixApiUrl',
  'berbixTemplateKey',
  'dataRetentionDays',
  'sendContactDetails',
]);
const repo = new VerificationRepository(dynamoDb, config.tableName, config);

/**
 * CreateTransaction: Berbix create with api_only_options; tokens to DynamoDB; returns the first
 * step. Email and phone are sent only when the deployment opts in (`SEND_CONTACT_DETAILS`): a
 * create whose answer is lost is repeated, and the first transaction, out of DELETE's reach, keeps
 * whatever was sent.
 */
export const handler = taskHandler(
  async (input: { verificationId: string }): Promise<{ verificationId: string; nextStep: NextStep }> => {
    const { verificationId } = input;
    // Independent reads at once: the verification, its create inputs and the Berbix client.
    const inputsRead = prefetch(
      config.sendContactDetails ? repo.getCreateInputs(verificationId) : Promise.resolve({}),
    );
    const clientRead = prefetch(getBerbixClient(secretsManager, config));
    const verification = await repo.get(verificationId);
    if (!verification || verification.status === 'deleted') throw new VerificationGoneError(verificationId);
    // A retried task after the transaction was recorded: never create a second one.
    if (verification.berbixTransactionId && verification.nextStep) {
      return { verificationId, nextStep: verification.nextStep };
    }
    const [inputs, client] = await Promise.all([inputsRead, clientRead]);
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
