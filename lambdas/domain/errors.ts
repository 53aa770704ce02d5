import { TASK_ERRORS } from '../contract/task-errors';

/**
 * Errors a state-machine task throws. Their `name` is what the ASL's Retry / Catch match, so the
 * names come from the contract. Messages carry codes only: never a token, image or field.
 */
export class BerbixTransientError extends Error {
  override name = TASK_ERRORS.berbixTransient;
}

/** Berbix refused the request (a 4xx): no retry can help. The message is the failure reason code. */
export class BerbixRefusedError extends Error {
  override name = TASK_ERRORS.berbixRefused;
}

/**
 * The flow cannot go on for a reason of its own (an attempt limit, a broken invariant). The
 * message is the failure reason code; the state machine closes the verification as failed.
 */
export class FlowFailedError extends Error {
  override name = TASK_ERRORS.flowFailed;
}

/** The verification was deleted (or never existed): the execution ends quietly. */
export class VerificationGoneError extends Error {
  override name = TASK_ERRORS.verificationGone;
  constructor(verificationId: string) {
    super(`verification ${verificationId} no longer exists`);
  }
}
