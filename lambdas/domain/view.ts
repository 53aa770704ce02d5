import { isClosed } from './status';
import type { Verification } from './verification';

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
