export * from './types';
export * from './countries';
export * from './errors';
export { BerbixClient, type BerbixClientOptions, type BerbixFetch, type BerbixRetryOptions } from './client';
export { isRetryable, parseRetryAfter, type RequestSafety, type UnsafeRetry } from './retry';
export {
  computeWebhookSignature,
  verifyWebhookSignature,
  WEBHOOK_TOLERANCE_SECONDS,
  type VerifyWebhookSignatureInput,
} from './webhook';
