import { verifyWebhookSignature } from '../../berbix';
import { berbixClient, berbixSecrets } from '../../composition/berbix';
import { repository } from '../../composition/repository';
import { HttpError, jsonResponse, publicHandler, rawBody } from '../../middleware';
import { refreshResultFromWebhook, webhookDelivery } from '../../use-cases/refresh-result';

/**
 * POST /webhooks/berbix: the signature is checked on the raw body before anything is parsed; then
 * the cached result is refreshed if Berbix changed it. Every delivery handled is acknowledged.
 */
export const handler = publicHandler(async (event) => {
  const { webhookSecret } = await berbixSecrets();
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
  await refreshResultFromWebhook(
    { repository, berbixClient },
    {
      transactionId: String(transactionId),
      action: payload.action,
      delivery: webhookDelivery(signatureHeader ?? '', body),
    },
  );
  return jsonResponse(200, { received: true });
});
