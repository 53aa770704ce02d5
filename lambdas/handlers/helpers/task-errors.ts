import {
  BerbixConflictError,
  BerbixError,
  BerbixNetworkError,
  type NextStep,
  type UploadOutcome as BerbixUploadOutcome,
} from '../../berbix';
import { BerbixPermanentError, BerbixTransientError, type UploadOutcome } from '../../domain';

/** `BerbixRequestError` (HTTP 400) → `berbix_request_error_400`: a reason code, never a message. */
export function failureReason(error: BerbixError): string {
  const name = error.name
    .replace(/Error$/, '')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase();
  return error.status === undefined ? name : `${name}_${error.status}`;
}

/**
 * Berbix errors become the two names the state machine knows: retryable ones are retried by the
 * ASL's Retry, the rest end the verification as failed (the reason is recorded by `onPermanent`).
 *
 * An upload cut off after it may have reached Berbix is not repeated by the client, but the state
 * machine may repeat it: if Berbix already moved on, it answers 409 with its `next_step`, which
 * routes the flow; at worst the repeat costs the user one attempt, which beats failing outright.
 */
export async function asTaskError(
  error: unknown,
  onPermanent: (reason: string) => Promise<void>,
): Promise<never> {
  if (!(error instanceof BerbixError)) throw error;
  const reason = failureReason(error);
  if (error.retryable || (error instanceof BerbixNetworkError && error.mayHaveReachedBerbix)) {
    throw new BerbixTransientError(reason);
  }
  await onPermanent(reason);
  throw new BerbixPermanentError(reason);
}

/** An upload Berbix answered: 200 as it is, a 409 as "go to the step Berbix expects", nothing else. */
export async function uploadOutcome(
  call: () => Promise<BerbixUploadOutcome>,
  onPermanent: (reason: string) => Promise<void>,
): Promise<UploadOutcome> {
  try {
    const { nextStep, issues, issueDetails } = await call();
    return { nextStep, issues, issueDetails };
  } catch (error) {
    if (error instanceof BerbixConflictError && error.nextStep) {
      return { nextStep: error.nextStep satisfies NextStep, issues: [], issueDetails: {} };
    }
    return asTaskError(error, onPermanent);
  }
}
