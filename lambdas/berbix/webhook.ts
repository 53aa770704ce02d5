/**
 * Berbix webhook signatures: header `X-Berbix-Signature: v0,<unix seconds>,<hex>` where hex is
 * lowercase hex HMAC-SHA256, key = the webhook secret, message = `<ts>,<secret>,<raw body>`.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Berbix's SDKs reject timestamps older than this (their CLOCK_DRIFT). */
export const WEBHOOK_TOLERANCE_SECONDS = 300;

export interface VerifyWebhookSignatureInput {
  /** The webhook's own secret (not the API secret). */
  secret: string;
  /** The body exactly as received: a parsed and re-serialised body will not verify. */
  rawBody: string | Uint8Array;
  /** The `X-Berbix-Signature` header. */
  signatureHeader: string | undefined;
  /** @default Date.now() / 1000 */
  nowSeconds?: number;
  /** Accepted clock difference in both directions. @default 300 */
  toleranceSeconds?: number;
}

const HEADER = /^v0,(\d{1,12}),([0-9a-fA-F]{64})$/;

function hmacHex(secret: string, timestamp: string, rawBody: string | Uint8Array): string {
  return createHmac('sha256', secret).update(`${timestamp},${secret},`).update(rawBody).digest('hex');
}

/**
 * True iff the header is a well-formed `v0` signature of this raw body, made with this secret,
 * at most `toleranceSeconds` old. Berbix's SDKs only bound the past; we also refuse timestamps
 * more than the same tolerance in the future, since a legitimate sender cannot produce those and
 * they would otherwise stay replayable for longer than the window. Compared in constant time.
 */
export function verifyWebhookSignature(input: VerifyWebhookSignatureInput): boolean {
  const { secret, rawBody, signatureHeader } = input;
  if (typeof rawBody !== 'string' && !(rawBody instanceof Uint8Array)) {
    throw new TypeError(
      'verifyWebhookSignature: rawBody must be the raw request body (string or bytes), not a parsed object',
    );
  }
  if (typeof secret !== 'string' || secret.length === 0)
    throw new TypeError('verifyWebhookSignature: secret is required');
  if (typeof signatureHeader !== 'string') return false;
  const match = HEADER.exec(signatureHeader.trim());
  if (!match) return false;
  const [, timestamp = '', signature = ''] = match;

  const now = input.nowSeconds ?? Date.now() / 1000;
  const tolerance = input.toleranceSeconds ?? WEBHOOK_TOLERANCE_SECONDS;
  const ts = Number(timestamp);
  if (ts < now - tolerance || ts > now + tolerance) return false;

  const expected = Buffer.from(hmacHex(secret, timestamp, rawBody), 'hex');
  const given = Buffer.from(signature, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** The complete header value, `v0,<timestamp>,<hex>`, for a body sent at `timestamp` (unix seconds). */
export function computeWebhookSignature(
  secret: string,
  timestamp: number,
  rawBody: string | Uint8Array,
): string {
  if (!Number.isInteger(timestamp) || timestamp < 0)
    throw new TypeError('computeWebhookSignature: timestamp must be whole unix seconds');
  return `v0,${timestamp},${hmacHex(secret, String(timestamp), rawBody)}`;
}
