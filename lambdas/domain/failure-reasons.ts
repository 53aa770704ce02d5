import { CODED_TASK_ERRORS, FLOW_ERRORS, TASK_ERRORS } from '../contract/task-errors';

/**
 * Every `failure_reason` a verification can be closed with, as the pattern of its code. The keys
 * are the codes as docs/operations.md lists them (a unit test holds both lists together).
 */
export const FAILURE_REASONS = {
  // Berbix refused the request: no retry can help, the verification fails at once.
  'berbix_request_<status>': /^berbix_request_4\d\d$/,
  berbix_invalid_input: /^berbix_invalid_input$/,
  'berbix_auth_<status>': /^berbix_auth_40[13]$/,
  berbix_conflict_409: /^berbix_conflict_409$/,
  berbix_gone_410: /^berbix_gone_410$/,
  berbix_payload_too_large_413: /^berbix_payload_too_large_413$/,
  // Transient Berbix faults: written only once the retry budget is spent, naming the last fault.
  'berbix_server_<status>': /^berbix_server_5\d\d$/,
  berbix_rate_limited_429: /^berbix_rate_limited_429$/,
  'berbix_network_<failure>':
    /^berbix_network_(timeout|aborted|connection_refused|connection_reset|network)$/,
  'berbix_protocol[_<status>]': /^berbix_protocol(_\d{3})?$/,
  // The flow itself.
  upload_attempts_exhausted: /^upload_attempts_exhausted$/,
  unsupported_next_step: /^unsupported_next_step$/,
  upload_timeout: /^upload_timeout$/,
  start_failed: /^start_failed$/,
  invalid_upload_key: /^invalid_upload_key$/,
  upload_not_claimed: /^upload_not_claimed$/,
  upload_outcome_not_recorded: /^upload_outcome_not_recorded$/,
  // AWS or a bug, after the state machine's retries.
  aws_unavailable: /^aws_unavailable$/,
  lambda_unavailable: /^lambda_unavailable$/,
  task_failed: /^task_failed$/,
} as const satisfies Record<string, RegExp>;

export type FailureReasonName = keyof typeof FAILURE_REASONS;

export function isFailureReason(code: unknown): code is string {
  return typeof code === 'string' && Object.values(FAILURE_REASONS).some((pattern) => pattern.test(code));
}

/** A Lambda error's message from a Step Functions `Cause`: `{"errorType","errorMessage",…}` as JSON. */
function messageOf(cause: unknown): unknown {
  if (typeof cause !== 'string') return undefined;
  try {
    return (JSON.parse(cause) as { errorMessage?: unknown })?.errorMessage;
  } catch {
    return undefined;
  }
}

/**
 * The failure reason for the error a state caught (`{Error, Cause}` as Step Functions gives it):
 * the code a task put in its error's message, else a code for the error's name. Never free text.
 */
export function reasonForTaskError(error: unknown): string {
  const { Error: name, Cause: cause } = (error ?? {}) as { Error?: unknown; Cause?: unknown };
  if (typeof name !== 'string') return 'task_failed';
  if (CODED_TASK_ERRORS.has(name)) {
    const message = messageOf(cause);
    return isFailureReason(message) ? message : 'task_failed';
  }
  if (name === FLOW_ERRORS.unsupportedNextStep) return 'unsupported_next_step';
  if (name === TASK_ERRORS.awsTransient) return 'aws_unavailable';
  if (name.startsWith('Lambda.')) return 'lambda_unavailable';
  return 'task_failed';
}
