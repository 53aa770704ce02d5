/**
 * The events the pipeline puts on its event bus (FetchResultFn) and that the construct's
 * `onVerificationCompleted` rule matches.
 */

/** `source` of the events the pipeline puts on its event bus. */
export const EVENT_SOURCE = 'berbix-serverless';

/** `detail-type` of the event put once a verification has its result. */
export const VERIFICATION_COMPLETED = 'VerificationCompleted';
