import type { Context } from 'aws-lambda';
import { getBerbixClient, tokenSession } from '../../adapters/berbix';
import { dynamoDb, eventBridge, secretsManager } from '../../adapters/clients';
import { VerificationEvents } from '../../adapters/events';
import { VerificationRepository } from '../../adapters/repository';
import { loadConfig } from '../../config';
import { VerificationGoneError, type Verification } from '../../domain';
import { logger, taskHandler } from '../../middleware';
import { asTaskError } from '../helpers/task-errors';

const config = loadConfig([
  'tableName',
  'berbixSecretArn',
  'berbixApiUrl',
  'eventBusName',
  'dataRetentionDays',
]);
const repo = new VerificationRepository(dynamoDb, config.tableName, config);
const events = new VerificationEvents(eventBridge, config.eventBusName);

const publish = (v: Verification, context: Context) =>
  events.completed(
    {
      verificationId: v.id,
      customerUid: v.customerUid,
      action: v.resultSummary?.action ?? null,
      completedAt: v.completedAt ?? v.updatedAt,
    },
    context.invokedFunctionArn,
  );

/**
 * FetchResult: Berbix GET once, cached in DynamoDB (RESULT item + summary on META), then the
 * VerificationCompleted event. A retry after completion only publishes again (at least once).
 */
export const handler = taskHandler(
  async (input: { verificationId: string }, context: Context): Promise<{ verificationId: string }> => {
    const { verificationId } = input;
    const verification = await repo.get(verificationId);
    if (!verification || verification.status === 'deleted') throw new VerificationGoneError(verificationId);
    if (verification.status === 'completed') {
      await publish(verification, context);
      return { verificationId };
    }
    const session = await tokenSession(repo, verificationId);
    const client = await getBerbixClient(secretsManager, config);
    const transaction = await client.getTransaction(session).catch(asTaskError);
    const completed = await repo.recordResult(verificationId, transaction, {
      action: transaction.action ?? null,
      flags: transaction.flags ?? [],
    });
    if (!completed) throw new VerificationGoneError(verificationId);
    await publish(completed, context);
    logger.info('Verification completed', {
      verificationId,
      action: completed.resultSummary?.action ?? null,
    });
    return { verificationId };
  },
);
