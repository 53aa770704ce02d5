/**
 * Errors a state-machine task throws. Their `name` is what the ASL's Retry / Catch match, so the
 * names are part of the contract. Messages carry codes only: never a token, image or field.
 */
export class BerbixTransientError extends Error {
  override name = 'BerbixTransientError';
}

export class BerbixPermanentError extends Error {
  override name = 'BerbixPermanentError';
}

/**
 * The flow cannot go on for a reason of its own (an attempt limit, a broken invariant). The
 * message is the failure reason code; the state machine closes the verification as failed.
 */
export class FlowFailedError extends Error {
  override name = 'FlowFailedError';
}

/** The verification was deleted (or never existed): the execution ends quietly. */
export class VerificationGoneError extends Error {
  override name = 'VerificationGoneError';
  constructor(verificationId: string) {
    super(`verification ${verificationId} no longer exists`);
  }
}
