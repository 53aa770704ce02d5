import type { NextStep } from './steps';

export const STATUSES = [
  'creating',
  'awaiting_upload',
  'processing',
  'completed',
  'failed',
  'abandoned',
  'deleted',
] as const;
export type VerificationStatus = (typeof STATUSES)[number];

/** Statuses a verification never leaves, except for `deleted`. */
export const TERMINAL_STATUSES: readonly VerificationStatus[] = [
  'completed',
  'failed',
  'abandoned',
  'deleted',
];

const TRANSITIONS: Record<VerificationStatus, readonly VerificationStatus[]> = {
  creating: ['creating', 'awaiting_upload', 'processing', 'failed', 'abandoned', 'deleted'],
  awaiting_upload: ['awaiting_upload', 'processing', 'failed', 'abandoned', 'deleted'],
  processing: ['processing', 'awaiting_upload', 'completed', 'failed', 'abandoned', 'deleted'],
  completed: ['completed', 'deleted'],
  failed: ['deleted'],
  abandoned: ['deleted'],
  deleted: [],
};

export function canTransition(from: VerificationStatus, to: VerificationStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/** Statuses from which `to` may be entered: what the repository's conditional writes require. */
export function allowedPredecessors(to: VerificationStatus): VerificationStatus[] {
  return STATUSES.filter((from) => canTransition(from, to));
}

export function isTerminal(status: VerificationStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

/** No more uploads: Berbix said `done`, or the verification has ended. */
export function isClosed(status: VerificationStatus, nextStep: NextStep | undefined): boolean {
  return isTerminal(status) || nextStep === 'done';
}
