import { Logger } from '@aws-lambda-powertools/logger';

/**
 * One structured logger per function. Log identifiers, steps, statuses and error names only:
 * never tokens, image bytes, presigned URLs, emails, phones or extracted fields.
 */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'berbix-serverless' });

/** What may be logged about an error: its name and, for our own errors, its code-only message. */
export function errorSummary(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { errorName: typeof error };
  const safe = ['BerbixTransientError', 'BerbixPermanentError', 'VerificationGoneError', 'HttpError'];
  return safe.includes(error.name)
    ? { errorName: error.name, errorMessage: error.message }
    : { errorName: error.name };
}
