import { getBerbixClient, tokenSession } from '../../adapters/berbix';
import { dynamoDb, eventBridge, secretsManager } from '../../adapters/clients';
import { VerificationEvents } from '../../adapters/events';
import { VerificationRepository } from '../../adapters/repository';
import { loadConfig } from '../../config';
import { VerificationGoneError, type Verification } from '../../domain';
import { logger, taskHandler } from '../../middleware';
import { asTaskError, prefetch } from '../helpers/task-errors';

const config = loadConfig([
  'tableName',
  'berbixSecretArn',
  'berbixApiUrl',
  'eventBusName',
  'dataRetentionDays',
]);
const repo = new VerificationRepository(dynamoDb, config.tableName, config);
const events = new VerificationEvents(eventBridge, config.eventBusName);

const publish = (v: Verification) =>
  events.completed({
    verificationId: v.id,
    customerUid: v.customerUid,
    action: v.resultSummary?.action ?? null,
    completedAt: v.completedAt ?? v.updatedAt,
  });

/**
 * FetchResult: Berbix GET once, cached in DynamoDB (RESULT item + summary on META), then the
 * VerificationCompleted event. A retry after completion only publishes again (at least once).
 * The verification, the tokens and the Berbix client are read at once.
 */
export const handler = taskHandler(
  async (input: { verificationId: string }): Promise<{ verificationId: string }> => {
    const { verificationId } = input;
    const sessionRead = prefetch(tokenSession(repo, verificationId));
    const clientRead = prefetch(getBerbixClient(secretsManager, config));
    const verification = await repo.get(verificationId);
    if (!verification || verification.status === 'deleted') throw new VerificationGoneError(verificationId);
    if (verification.status === 'completed') {
      await publish(verification);
      return { verificationId };
    }
    const [session, client] = await Promise.all([sessionRead, clientRead]);
    const transaction = await client.getTransaction(session).catch(asTaskError);
    const summary = { action: transaction.action ?? null, flags: transaction.flags ?? [] };
    const completed = await repo.recordResult(verificationId, transaction, summary, verification);
    if (!completed) throw new VerificationGoneError(verificationId);
    await publish(completed);
    logger.info('Verification completed', {
      verificationId,
      action: completed.resultSummary?.action ?? null,
    });
    return { verificationId };
  },
);
