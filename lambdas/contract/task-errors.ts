/**
 * Error names the state machines match (`Retry`, `Catch`) or name themselves. A task's error
 * `name` is the contract: renaming one here renames it on both sides, and a test fails when the
 * ASL names one that is not here.
 */
export const TASK_ERRORS = {
  /** A Berbix fault worth another try that outlasted the client's retries: retried by the ASL. */
  berbixTransient: 'BerbixTransientError',
  /** Berbix refused the request (a 4xx): failed at once. */
  berbixRefused: 'BerbixRefusedError',
  /** The flow cannot go on for a reason of its own (an attempt limit, a broken invariant). */
  flowFailed: 'FlowFailedError',
  /** The verification was deleted meanwhile: the execution ends quietly. */
  verificationGone: 'VerificationGoneError',
  /** An AWS fault that outlasted the SDK's retries: retried by the ASL. */
  awsTransient: 'AwsTransientError',
} as const;

/** Errors the state machines raise themselves (a `Pass` result, a `Fail` state, a stop). */
export const FLOW_ERRORS = {
  /** Berbix asked for a step this deployment does not collect (selfies). */
  unsupportedNextStep: 'UnsupportedNextStep',
  /** A verification ended as failed (its reason is recorded in DynamoDB). */
  verificationFailed: 'VerificationFailed',
  /** The Berbix deletion state machine gave up or was refused. */
  berbixDeletionFailed: 'BerbixDeletionFailed',
  /** DELETE stopped the verification's execution. */
  verificationDeleted: 'VerificationDeleted',
} as const;

/** Task errors whose message is a failure reason code (docs/operations.md). */
export const CODED_TASK_ERRORS: ReadonlySet<string> = new Set([
  TASK_ERRORS.berbixTransient,
  TASK_ERRORS.berbixRefused,
  TASK_ERRORS.flowFailed,
]);
