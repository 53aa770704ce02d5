import type { BerbixClientFactory } from '../adapters/berbix';
import type { VerificationEvents } from '../adapters/events';
import type { Funnel } from '../adapters/metrics';
import type { Repository } from '../adapters/repository';
import { VerificationGoneError, type Verification } from '../domain';
import { logger } from '../middleware/logger';
import { prefetch } from './prefetch';
import { asTaskError } from './task-errors';
import { tokenSession } from './token-session';

/**
 * FetchResult: Berbix GET once, cached in DynamoDB (RESULT item + summary on META), then the
 * VerificationCompleted event. A retry after completion only publishes again (at least once).
 * The verification, the tokens and the Berbix client are read at once.
 */
export async function fetchResult(
  deps: {
    repository: Repository;
    berbixClient: BerbixClientFactory;
    events: Pick<VerificationEvents, 'completed'>;
    funnel: Pick<Funnel, 'completed'>;
    /** The ARN of the function putting the event (its `resources`). */
    publisher: string;
  },
  verificationId: string,
): Promise<void> {
  const { repository } = deps;
  const publish = (v: Verification) =>
    deps.events.completed(
      {
        verificationId: v.id,
        customerUid: v.customerUid,
        action: v.resultSummary?.action ?? null,
        completedAt: v.completedAt ?? v.updatedAt,
      },
      deps.publisher,
    );
  // Independent reads at once: the verification, its tokens and the Berbix client.
  const clientRead = prefetch(deps.berbixClient());
  const [verification, tokens] = await Promise.all([
    repository.get(verificationId),
    repository.getTokens(verificationId),
  ]);
  if (!verification || verification.status === 'deleted') throw new VerificationGoneError(verificationId);
  if (verification.status === 'completed') {
    await publish(verification);
    return;
  }
  const session = tokenSession(repository, verificationId, tokens);
  const transaction = await (await clientRead).getTransaction(session).catch(asTaskError);
  const summary = { action: transaction.action ?? null, flags: transaction.flags ?? [] };
  // The completed verification is built from the one read above, not read again.
  const completed = await repository.recordResult(verificationId, transaction, summary, verification);
  if (!completed) throw new VerificationGoneError(verificationId);
  // Once: a retry after completion takes the early return above.
  deps.funnel.completed(completed.resultSummary?.action ?? null);
  await publish(completed);
  logger.info('Verification completed', {
    verificationId,
    action: completed.resultSummary?.action ?? null,
  });
}
