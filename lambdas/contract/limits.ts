/** The largest upload a presigned form accepts and the image check lets through: Berbix's 20 MiB. */
export const MAX_UPLOAD_BYTES = 20 * 1024 * 1024;

/**
 * Uploads one document side accepts before the verification fails (`MAX_UPLOAD_ATTEMPTS`): the
 * stack's default and the range it allows.
 */
export const UPLOAD_ATTEMPTS = { default: 10, min: 1, max: 50 } as const;
