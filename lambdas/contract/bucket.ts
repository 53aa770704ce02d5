/**
 * The prefix of every raw upload (`uploads/<verificationId>/<step>/<attempt>-<nonce>.<ext>`): the
 * bucket notifies, expires and grants under it only.
 */
export const UPLOADS_PREFIX = 'uploads/';
