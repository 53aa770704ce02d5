import { createHash } from 'node:crypto';
import { BerbixError, WEBHOOK_TOLERANCE_SECONDS } from '../berbix';
import type { BerbixClientFactory } from '../adapters/berbix';
import type { Repository } from '../adapters/repository';
import { VerificationGoneError } from '../domain/errors';
import { HttpError } from '../middleware/http-error';
import { logger } from '../middleware/logger';
import { tokenSession } from './token-session';

/** One webhook delivery: its id and how long a replay of it must be recognised. */
export interface WebhookDelivery {
  id: string;
  expiresAtSeconds: number;
}

/**
 * A delivery is its signed timestamp and body: a replay repeats both, while Berbix signs each of
 * its own retries afresh. Remembered until its signature can no longer be accepted, and then some.
 */
export function webhookDelivery(signatureHeader: string, body: string): WebhookDelivery {
  const timestamp = signatureHeader.trim().split(',')[1] ?? '';
  return {
    id: createHash('sha256').update(`${timestamp},`).update(body).digest('hex'),
    expiresAtSeconds: Number(timestamp) + 2 * WEBHOOK_TOLERANCE_SECONDS,
  };
}

/**
 * A signed Berbix webhook about a transaction. For a completed verification whose action Berbix
 * reports as changed (e.g. by a manual review), or does not report, the cached result is fetched
 * again, once per delivery: a replayed delivery changes nothing and calls Berbix no more. Unknown,
 * deleted and unfinished verifications are left alone (the state machine fetches the result once
 * Berbix says `done`).
 */
export async function refreshResultFromWebhook(
  deps: { repository: Repository; berbixClient: BerbixClientFactory },
  input: { transactionId: string; action: unknown; delivery: WebhookDelivery },
): Promise<void> {
  const { repository } = deps;
  const id = await repository.findIdByBerbixTransaction(input.transactionId);
  const verification = id ? await repository.get(id) : undefined;
  if (!verification || verification.status !== 'completed') return;
  // The completion webhook repeats the action we cached when the verification finished: nothing changed.
  if (typeof input.action === 'string' && input.action === verification.resultSummary?.action) return;

  const { delivery } = input;
  const claim = await repository.claimWebhookDelivery(
    delivery.id,
    verification.id,
    delivery.expiresAtSeconds,
  );
  if (claim !== 'claimed') {
    logger.info('Webhook ignored', { verificationId: verification.id, why: claim });
    return;
  }
  try {
    const session = tokenSession(repository, verification.id, await repository.getTokens(verification.id));
    const transaction = await (await deps.berbixClient()).getTransaction(session);
    const refreshed = await repository.refreshResult(verification.id, transaction, {
      action: transaction.action ?? null,
      flags: transaction.flags ?? [],
    });
    logger.info('Result refreshed from webhook', { verificationId: verification.id, refreshed });
  } catch (error) {
    // Not handled after all: Berbix's retry of this delivery must be.
    await repository.releaseWebhookDelivery(delivery.id);
    if (error instanceof VerificationGoneError) return;
    if (error instanceof BerbixError) {
      throw new HttpError(502, 'berbix_unavailable', 'Berbix could not be asked for the result; retry later');
    }
    throw error;
  }
}
