import type { VerificationStatus } from './status';
import type { DocumentStep, NextStep, UploadStep } from './steps';

/** Berbix's upload issues, plus what the local image check adds under `bad_upload`. */
export type Issue =
  | 'bad_upload'
  | 'text_unreadable'
  | 'no_face_on_id_detected'
  | 'incomplete_barcode_detected'
  | 'unsupported_id_type'
  | 'bad_selfie';

export interface IssueDetails {
  unsupported_id_type?: { visa_page_of_passport?: boolean };
  /** Set when the upload was refused locally (Berbix was not called); `reason` is an image-check code. */
  bad_upload?: { reason: string; source: 'local' };
}

export type IdType = 'P' | 'DL' | 'PRC' | 'PC' | 'ID';

/** The upload the state machine is waiting for (token kept here, never in the execution). */
export interface Awaiting {
  step: DocumentStep;
  attempt: number;
  taskToken?: string;
  claimed: boolean;
  uploadKey?: string;
  /** The id-scan object a `POST /id-scans` stored for this wait. */
  scanKey?: string;
}

/** Where the deletion of a deleted verification's Berbix transaction stands (see docs/operations.md). */
export type BerbixDeletion = 'pending' | 'done' | 'failed';

/**
 * The object whose S3 event claimed a wait: its ETag and the event's sequencer (which orders the
 * writes to one key). A later write under the same key is a re-post to the same form.
 */
export interface ClaimedObject {
  key: string;
  eTag?: string;
  sequencer?: string;
}

export interface ResultSummary {
  action: string | null;
  flags: string[];
}

/** The `V#<id>` / `META` item (without keys). */
export interface Verification {
  id: string;
  customerUid: string;
  status: VerificationStatus;
  nextStep?: NextStep;
  issues: Issue[];
  issueDetails: IssueDetails;
  attempts: Partial<Record<UploadStep, number>>;
  idCountry?: string;
  idType?: IdType;
  berbixTransactionId?: string;
  awaiting?: Awaiting;
  acceptedKeys: Partial<Record<DocumentStep, string>>;
  /** The last key handed to Berbix (or refused locally): makes a retried submit idempotent. */
  lastSubmittedKey?: string;
  resultSummary?: ResultSummary;
  failureReason?: string;
  /** Every object claimed for a wait, with its ETag when claimed. */
  claimedObjects?: ClaimedObject[];
  createdAt: string;
  updatedAt: string;
  completedAt?: string;
  /** Set once the images were deleted after completion: whatever arrives later is deleted too. */
  imagesDeletedAt?: string;
  deletedAt?: string;
  /** On a tombstone: whether its Berbix transaction is deleted yet. */
  berbixDeletion?: BerbixDeletion;
  /** On a tombstone whose Berbix deletion failed: a reason code. */
  berbixDeletionReason?: string;
}

/** The outcome of one submitted upload, as recorded on META. */
export interface UploadOutcome {
  nextStep: NextStep;
  issues: Issue[];
  issueDetails: IssueDetails;
}
