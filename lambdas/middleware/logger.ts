import { Logger } from '@aws-lambda-powertools/logger';
import { LOGGER_ENV, SERVICE_NAME } from '../contract/env';
import { TASK_ERRORS } from '../contract/task-errors';

/**
 * One structured logger per function. Log identifiers, steps, statuses and error names only:
 * never tokens, image bytes, presigned URLs, emails, phones or extracted fields.
 */
export const logger = new Logger({ serviceName: process.env[LOGGER_ENV.serviceName] ?? SERVICE_NAME });

/** Errors whose message is ours and holds a code at most, never personal data. */
const SAFE_TO_LOG: ReadonlySet<string> = new Set([
  TASK_ERRORS.berbixTransient,
  TASK_ERRORS.berbixRefused,
  TASK_ERRORS.verificationGone,
  'HttpError',
]);

/** What may be logged about an error: its name and, for our own errors, its code-only message. */
export function errorSummary(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { errorName: typeof error };
  return SAFE_TO_LOG.has(error.name)
    ? { errorName: error.name, errorMessage: error.message }
    : { errorName: error.name };
}
