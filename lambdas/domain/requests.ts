/**
 * Request bodies and headers, checked at the edge. Only the functions that parse a body import this
 * module (the domain's index does not), so only they bundle the validator: zod's mini build, with
 * its English messages, which are the ones callers read in `details`.
 */
import * as z from 'zod/mini';
import { en } from 'zod/locales';
import { COUNTRY_CODES } from '../berbix/countries';

z.config(en());

/**
 * `customer_uid`: 1 to 128 printable ASCII characters without spaces (`!` to `~`), so ids such as
 * `auth0|5f7c`, `user@example.com` or a UUID fit, and no control character, NUL or blank reaches
 * DynamoDB, the logs or Berbix.
 */
export const CUSTOMER_UID_PATTERN = /^[\x21-\x7e]{1,128}$/;

/**
 * `email`: zod's practical address pattern (dot-separated atoms of letters, digits and `_'+-`, a
 * domain with a top-level label of two letters or more), published as is in docs/openapi.yaml.
 */
export const EMAIL_PATTERN = z.regexes.email;

/** Request bodies. Strict: unknown fields are a caller mistake, not something to ignore. */
export const createVerificationBody = z.strictObject({
  id_country: z.optional(
    z.enum(COUNTRY_CODES, { error: 'must be an assigned ISO 3166-1 alpha-2 code, upper case' }),
  ),
  id_type: z.optional(z.enum(['P', 'DL', 'PRC', 'PC', 'ID'])),
  email: z.optional(z.email({ pattern: EMAIL_PATTERN }).check(z.maxLength(254))),
  phone: z.optional(z.string().check(z.regex(/^\+?[0-9][0-9 ()-]{4,24}$/, 'must be a phone number'))),
  customer_uid: z.optional(
    z
      .string()
      .check(z.regex(CUSTOMER_UID_PATTERN, 'must be 1 to 128 printable ASCII characters without spaces')),
  ),
});
export type CreateVerificationBody = z.infer<typeof createVerificationBody>;

export const createUploadBody = z.strictObject({
  step: z.enum(['document_front', 'document_back']),
  content_type: z.enum(['image/jpeg', 'image/png']),
});
export type CreateUploadBody = z.infer<typeof createUploadBody>;

/** A PDF417 payload is at most ~1.1 KB; 16 KiB of base64 leaves room and bounds the object. */
export const MAX_ID_SCAN_BASE64 = 16 * 1024;
export const submitIdScanBody = z.strictObject({
  scan_type: z.literal('pdf417'),
  data: z
    .string()
    .check(
      z.minLength(4),
      z.maxLength(MAX_ID_SCAN_BASE64),
      z.regex(/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/, 'must be base64'),
    ),
});
export type SubmitIdScanBody = z.infer<typeof submitIdScanBody>;

/** `Idempotency-Key`: printable ASCII, bounded so it fits a DynamoDB key comfortably. */
export const idempotencyKeyHeader = z
  .string()
  .check(
    z.minLength(1),
    z.maxLength(255),
    z.regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces'),
  );
