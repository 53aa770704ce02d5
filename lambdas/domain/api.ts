import { z } from 'zod';
import { isClosed } from './status';
import type { Verification } from './verification';

/** Request bodies. Strict: unknown fields are a caller mistake, not something to ignore. */
export const createVerificationBody = z.strictObject({
  id_country: z
    .string()
    .regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 code')
    .optional(),
  id_type: z.enum(['P', 'DL', 'PRC', 'PC', 'ID']).optional(),
  email: z.email().max(254).optional(),
  phone: z
    .string()
    .regex(/^\+?[0-9][0-9 ()-]{4,24}$/, 'must be a phone number')
    .optional(),
  customer_uid: z.string().min(1).max(128).optional(),
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
    .min(4)
    .max(MAX_ID_SCAN_BASE64)
    .regex(/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/, 'must be base64'),
});
export type SubmitIdScanBody = z.infer<typeof submitIdScanBody>;

export const verificationIdParam = z.string().regex(/^vrf_[a-z2-7]{26}$/, 'must be a verification id');

/** `Idempotency-Key`: printable ASCII, bounded so it fits a DynamoDB key comfortably. */
export const idempotencyKeyHeader = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces');

export interface VerificationView {
  id: string;
  customer_uid: string;
  status: Verification['status'];
  next_step: Verification['nextStep'] | null;
  issues: Verification['issues'];
  issue_details: Verification['issueDetails'];
  attempts: Verification['attempts'];
  created_at: string;
  updated_at: string;
  completed_at?: string;
  result?: { action: string | null; flags: string[] };
  failure_reason?: string;
  /** Deleted verifications only: whether Berbix's copy is deleted yet. */
  berbix_deletion?: Verification['berbixDeletion'];
  berbix_deletion_reason?: string;
}

/** The public shape of a verification: no tokens, no keys, no personal data. */
export function toVerificationView(v: Verification): VerificationView {
  return {
    id: v.id,
    customer_uid: v.customerUid,
    status: v.status,
    next_step: v.nextStep ?? null,
    issues: v.issues,
    issue_details: v.issueDetails,
    attempts: v.attempts,
    created_at: v.createdAt,
    updated_at: v.updatedAt,
    ...(v.completedAt ? { completed_at: v.completedAt } : {}),
    ...(v.resultSummary ? { result: { action: v.resultSummary.action, flags: v.resultSummary.flags } } : {}),
    ...(v.failureReason && v.status === 'failed' ? { failure_reason: v.failureReason } : {}),
    ...(v.status === 'deleted' && v.berbixDeletion ? { berbix_deletion: v.berbixDeletion } : {}),
    ...(v.status === 'deleted' && v.berbixDeletion === 'failed' && v.berbixDeletionReason
      ? { berbix_deletion_reason: v.berbixDeletionReason }
      : {}),
  };
}

/** The client may still upload something for this verification. */
export function acceptsUploads(v: Verification): boolean {
  return !isClosed(v.status, v.nextStep);
}
