import {
  BerbixConflictError,
  BerbixError,
  BerbixNetworkError,
  BerbixProtocolError,
  BerbixRateLimitedError,
  BerbixServerError,
  type NextStep,
  type UploadOutcome as BerbixUploadOutcome,
} from '../berbix';
import { BerbixRefusedError, BerbixTransientError, FlowFailedError, type UploadOutcome } from '../domain';
import { sleep } from './sleep';

/**
 * The longest Retry-After a task waits out itself before handing the retry to the state machine
 * (whose backoff then adds its own wait). Well inside every task function's timeout.
 */
export const MAX_RETRY_AFTER_WAIT_MS = 10_000;

/** The client checked its input and refused to send the request (no HTTP status). */
const isRefusedLocally = (error: BerbixError): boolean =>
  error.status === undefined && error.code === 'invalid_input';

/**
 * The failure reason code of a Berbix error (see docs/operations.md): `BerbixRequestError` with
 * HTTP 400 → `berbix_request_400`, a timeout → `berbix_network_timeout`. A code, never a message.
 */
export function failureReason(error: BerbixError): string {
  const name = error.name
    .replace(/Error$/, '')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase();
  if (error instanceof BerbixNetworkError) return `${name}_${error.failure}`;
  if (isRefusedLocally(error)) return 'berbix_invalid_input';
  return error.status === undefined ? name : `${name}_${error.status}`;
}

/**
 * Faults worth another try, whatever the call: a 5xx, a 429, no answer at all, or an answer that
 * could not be read. A repeat of an upload Berbix already took is answered 409 with its
 * `next_step` (see `uploadOutcome`), and a repeated create costs at most an orphan transaction that
 * holds nothing but the `customer_uid` (unless contact details are sent, see docs/operations.md).
 */
export function isTransientBerbixError(error: BerbixError): boolean {
  return (
    error instanceof BerbixServerError ||
    error instanceof BerbixRateLimitedError ||
    error instanceof BerbixNetworkError ||
    error instanceof BerbixProtocolError
  );
}

/**
 * Berbix errors become the names the state machine knows, each with the reason code as its message:
 * transient ones are retried by the ASL's Retry (after waiting out a Retry-After the client had no
 * budget left for); Berbix's refusals (a 4xx) and input the client refused to send end the
 * verification as failed. Either way the code becomes the failure reason if the verification fails.
 */
export async function asTaskError(error: unknown): Promise<never> {
  if (!(error instanceof BerbixError)) throw error;
  const reason = failureReason(error);
  // The client refused to send it: nothing was asked of Berbix, and a retry would send the same.
  if (isRefusedLocally(error)) throw new FlowFailedError(reason);
  if (!isTransientBerbixError(error)) throw new BerbixRefusedError(reason);
  const retryAfterMs = (error as { retryAfterMs?: number }).retryAfterMs;
  if (retryAfterMs !== undefined && retryAfterMs > 0) {
    await sleep(Math.min(retryAfterMs, MAX_RETRY_AFTER_WAIT_MS));
  }
  throw new BerbixTransientError(reason);
}

/** An upload Berbix answered: 200 as it is, a 409 as "go to the step Berbix expects", nothing else. */
export async function uploadOutcome(call: () => Promise<BerbixUploadOutcome>): Promise<UploadOutcome> {
  try {
    const { nextStep, issues, issueDetails } = await call();
    return { nextStep, issues, issueDetails };
  } catch (error) {
    if (error instanceof BerbixConflictError && error.nextStep) {
      return { nextStep: error.nextStep satisfies NextStep, issues: [], issueDetails: {} };
    }
    return asTaskError(error);
  }
}
