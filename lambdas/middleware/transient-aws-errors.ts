import type { MiddlewareObj } from '@middy/core';
import { TASK_ERRORS } from '../contract/task-errors';

interface SdkErrorShape {
  $fault?: 'client' | 'server';
  $retryable?: { throttling?: boolean };
}

/** Throttling error names across the services the handlers call (the SDK classifies them by name too). */
const THROTTLING = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'RequestThrottledException',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'SlowDown',
]);

/** Throttling, a timeout, or a fault on AWS's side: worth another try later. Caller mistakes are not. */
export function isTransientAwsError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const sdk = error as Error & SdkErrorShape;
  return (
    sdk.$retryable !== undefined ||
    sdk.$fault === 'server' ||
    THROTTLING.has(error.name) ||
    error.name === 'TimeoutError'
  );
}

/**
 * Task errors are matched by name in the ASL. An AWS SDK error that is throttling or a server
 * fault is renamed `AwsTransientError`, so the state machine retries the task with backoff
 * instead of ending the verification as failed; every other error keeps its name.
 */
export function transientAwsErrors(): MiddlewareObj {
  return {
    onError: (request) => {
      const { error } = request;
      if (error && isTransientAwsError(error)) error.name = TASK_ERRORS.awsTransient;
    },
  };
}
