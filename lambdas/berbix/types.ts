/** Public types of the Berbix client. Wire names are snake_case; these are the camelCase views. */

export const NEXT_STEPS = [
  'upload_document_front',
  'upload_document_back',
  'upload_selfie_basic',
  'upload_selfie_liveness',
  'done',
] as const;
/** What Berbix expects next (`next_step` / `first_step`). */
export type NextStep = (typeof NEXT_STEPS)[number];

/** Upload issues, most important first in a response (`issues`). */
export const ISSUES = [
  'bad_upload',
  'text_unreadable',
  'no_face_on_id_detected',
  'incomplete_barcode_detected',
  'unsupported_id_type',
  'bad_selfie',
] as const;
export type Issue = (typeof ISSUES)[number];

export interface IssueDetails {
  unsupported_id_type?: { visa_page_of_passport?: boolean };
}

/** `P` passport, `DL` driver's licence, `PRC` permanent resident card, `PC` passport card, `ID` other ID card. */
export const ID_TYPES = ['P', 'DL', 'PRC', 'PC', 'ID'] as const;
export type IdType = (typeof ID_TYPES)[number];

export const IMAGE_SUBJECTS = [
  'document_front',
  'document_back',
  'document_barcode',
  'selfie_front',
  'selfie_left',
  'selfie_right',
] as const;
export type ImageSubject = (typeof IMAGE_SUBJECTS)[number];

export const IMAGE_FORMATS = ['image/jpeg', 'image/png'] as const;
export type ImageFormat = (typeof IMAGE_FORMATS)[number];

const includes =
  <T extends string>(values: readonly T[]) =>
  (value: unknown): value is T =>
    typeof value === 'string' && (values as readonly string[]).includes(value);

export const isNextStep = includes(NEXT_STEPS);
export const isIssue = includes(ISSUES);
export const isIdType = includes(ID_TYPES);
export const isImageSubject = includes(IMAGE_SUBJECTS);
export const isImageFormat = includes(IMAGE_FORMATS);

/** The tokens of one transaction. Secrets: persist them encrypted, never log them. */
export interface BerbixTokens {
  transactionId: number;
  accessToken: string;
  clientToken: string;
  refreshToken: string;
  /** Absolute expiry of the access and client tokens, epoch milliseconds. */
  expiresAt: number;
}

export interface CreatedTransaction extends BerbixTokens {
  /** Present iff the transaction was created with `apiOnlyOptions`. */
  firstStep?: NextStep;
}

/** Tokens of one transaction; refreshed tokens are handed to onTokensRefreshed to be persisted. */
export interface TokenSession {
  /** Replaced by the client with the refreshed tokens after every refresh. */
  tokens: BerbixTokens;
  onTokensRefreshed?: (tokens: BerbixTokens) => void | Promise<void>;
}

export interface UploadOutcome {
  nextStep: NextStep;
  /** Known issues, in Berbix's order (most important first). */
  issues: Issue[];
  issueDetails: IssueDetails;
  /** Issue values this client does not know yet, kept rather than dropped. Absent when none. */
  unrecognizedIssues?: string[];
}

export interface CreateTransactionInput {
  customerUid: string;
  templateKey: string;
  email?: string;
  phone?: string;
  /** Present (even empty) makes the transaction API-only. `idCountry` is ISO 3166-1 alpha-2. */
  apiOnlyOptions?: { idCountry?: string; idType?: IdType };
}

/** Bytes, or a string that is already base64. */
export type BinaryInput = Uint8Array | string;

export interface ImageUpload {
  subject: ImageSubject;
  format: ImageFormat;
  data: BinaryInput;
  extractedBarcode?: { barcodeType: 'pdf417'; extractedData: BinaryInput };
}

export interface IdScanUpload {
  scanType: 'pdf417';
  extractedData: BinaryInput;
}

/** Per-call options, every method's last argument. */
export interface CallOptions {
  /** Aborts the whole call (all attempts and waits). */
  signal?: AbortSignal;
  /** Overrides the client's per-attempt timeout for this call. */
  timeoutMs?: number;
}

// ---- GET /v0/transactions -------------------------------------------------------------------

export const KNOWN_FLAGS = [
  'id_under_18',
  'id_under_21',
  'id_expired',
  'id_expiry_extended',
  'id_expiry_unknown',
  'id_age_unknown',
  'id_user_confirmed',
  'id_sample_detected',
  'id_duplicate_possible',
  'id_duplicate_detected',
  'id_blocked_possible',
  'id_selfie_consent_declined',
  'id_no_face_detected',
  'id_no_barcode_detected',
  'id_selfie_no_face_detected',
] as const;
/** A flag Berbix documents, or another string (accounts may see new flags). */
export type Flag = (typeof KNOWN_FLAGS)[number] | (string & {});

/** `accept`, `reject` or `review` by default; dashboards can define custom actions. */
export type Action = 'accept' | 'reject' | 'review' | (string & {});

export const FIELD_NAMES = [
  'given_name',
  'middle_name',
  'family_name',
  'date_of_birth',
  'sex',
  'age',
  'nationality',
  'id_expiry_date',
  'id_issue_date',
  'id_number',
  'id_type',
  'id_issuer',
  'email_address',
  'phone_number',
  'address_street',
  'address_city',
  'address_subdivision',
  'address_postal_code',
  'address_country',
  'address_unit',
] as const;
export type FieldName = (typeof FIELD_NAMES)[number];

export interface FieldSource {
  value?: string;
  type?: string;
  confidence?: string;
}

export interface TransactionField {
  /** Dates are `YYYY-MM-DD`; numbers (e.g. `age`) are given as strings. */
  value: string;
  confidence?: string;
  sources: FieldSource[];
}

export interface TransactionImage {
  /** Short-lived URLs. */
  full_image?: string;
  cropped_image?: string;
  face_image?: string;
}

export interface TransactionImages {
  front?: TransactionImage;
  back?: TransactionImage;
  selfie?: TransactionImage;
  liveness?: TransactionImage;
}

export interface Duplicate {
  customer_uid: string;
  transaction_id: number;
}

/**
 * The verification result, `GET /v0/transactions`, in Berbix's own (snake_case) JSON shape so it
 * can be cached and served as Berbix documents it. Only extracted, entitled fields are present.
 * Personal data: never log it.
 */
export interface BerbixTransaction {
  id: number;
  entity?: string;
  customer_uid: string;
  action?: Action;
  flags: Flag[];
  fields: Partial<Record<FieldName, TransactionField>> & Record<string, TransactionField | undefined>;
  images?: TransactionImages;
  duplicates: Duplicate[];
  dashboard_url?: string;
  /** RFC 3339. */
  created_at?: string;
  /** RFC 3339; set once the transaction is complete. */
  completed_at?: string;
  /** Test mode only. */
  implementation_info?: string;
}
