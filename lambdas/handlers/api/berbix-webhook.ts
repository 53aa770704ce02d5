import { createHash } from 'node:crypto';
import { BerbixError, verifyWebhookSignature, WEBHOOK_TOLERANCE_SECONDS } from '../../berbix';
import { getBerbixClient, tokenSession } from '../../adapters/berbix';
import { dynamoDb, secretsManager } from '../../adapters/clients';
import { VerificationRepository } from '../../adapters/repository';
import { getBerbixSecrets } from '../../adapters/secrets';
import { loadConfig } from '../../config';
import { VerificationGoneError } from '../../domain';
import { HttpError, jsonResponse, logger, publicHandler, rawBody } from '../../middleware';

const config = loadConfig(['tableName', 'berbixSecretArn', 'berbixApiUrl', 'dataRetentionDays']);
const repo = new VerificationRepository(dynamoDb, config.tableName, config);

const received = () => jsonResponse(200, { received: true });

/**
 * A delivery is its signed timestamp and body: a replay repeats both, while Berbix signs each of
 * its own retries afresh. Remembered until its signature can no longer be accepted, and then some.
 */
function delivery(signatureHeader: string, body: string): { id: string; expiresAtSeconds: number } {
  const timestamp = signatureHeader.trim().split(',')[1] ?? '';
  return {
    id: createHash('sha256').update(`${timestamp},`).update(body).digest('hex'),
    expiresAtSeconds: Number(timestamp) + 2 * WEBHOOK_TOLERANCE_SECONDS,
  };
}

/**
 * POST /webhooks/berbix: the signature is checked on the raw body before anything is parsed.
 * For a completed verification whose action Berbix reports as changed (e.g. by a manual review), or
 * does not report, the cached result is fetched again, once per delivery: a replayed delivery
 * changes nothing and calls Berbix no more. Unknown, deleted and unfinished verifications are
 * acknowledged without a write (the state machine fetches the result once Berbix says `done`).
 */
export const handler = publicHandler(async (event) => {
  const { webhookSecret } = await getBerbixSecrets(secretsManager, config.berbixSecretArn);
  if (!webhookSecret) throw new Error('The Berbix secret has no webhookSecret');
  const body = rawBody(event);
  const signatureHeader = event.headers?.['x-berbix-signature'];
  if (!verifyWebhookSignature({ secret: webhookSecret, rawBody: body, signatureHeader })) {
    throw new HttpError(401, 'invalid_signature', 'The Berbix signature is missing, invalid or too old');
  }
  let payload: { transaction_id?: unknown; action?: unknown };
  try {
    payload = (JSON.parse(body) ?? {}) as typeof payload;
  } catch {
    throw new HttpError(400, 'invalid_request', 'The body is not valid JSON');
  }
  const transactionId = payload.transaction_id;
  if (typeof transactionId !== 'number' && typeof transactionId !== 'string') {
    throw new HttpError(400, 'invalid_request', 'The body has no transaction_id');
  }
  const id = await repo.findIdByBerbixTransaction(String(transactionId));
  const verification = id ? await repo.get(id) : undefined;
  if (!verification || verification.status !== 'completed') return received();
  // The completion webhook repeats the action we cached when the verification finished: nothing changed.
  if (typeof payload.action === 'string' && payload.action === verification.resultSummary?.action)
    return received();

  const { id: deliveryId, expiresAtSeconds } = delivery(signatureHeader ?? '', body);
  const claim = await repo.claimWebhookDelivery(deliveryId, verification.id, expiresAtSeconds);
  if (claim !== 'claimed') {
    logger.info('Webhook ignored', { verificationId: verification.id, why: claim });
    return received();
  }
  try {
    const session = await tokenSession(repo, verification.id);
    const transaction = await (await getBerbixClient(secretsManager, config)).getTransaction(session);
    const refreshed = await repo.refreshResult(verification.id, transaction, {
      action: transaction.action ?? null,
      flags: transaction.flags ?? [],
    });
    logger.info('Result refreshed from webhook', { verificationId: verification.id, refreshed });
  } catch (error) {
    // Not handled after all: Berbix's retry of this delivery must be.
    await repo.releaseWebhookDelivery(deliveryId);
    if (error instanceof VerificationGoneError) return received();
    if (error instanceof BerbixError) {
      throw new HttpError(502, 'berbix_unavailable', 'Berbix could not be asked for the result; retry later');
    }
    throw error;
  }
  return received();
});
