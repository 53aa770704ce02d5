import type { ParsedBarcode } from './aamva';
import type { DocumentKind, ImageDescription } from './description';
import type { SandboxTemplate } from './templates';

export type NextStep = 'upload_document_front' | 'upload_document_back' | 'done';
export type Issue =
  | 'bad_upload'
  | 'text_unreadable'
  | 'no_face_on_id_detected'
  | 'incomplete_barcode_detected'
  | 'unsupported_id_type';
export type IdType = 'P' | 'DL' | 'PRC' | 'PC' | 'ID';
export const ID_TYPES: readonly IdType[] = ['P', 'DL', 'PRC', 'PC', 'ID'];

/** Most important first: a document Berbix cannot accept at all, then unreadable text, then the rest. */
export const ISSUE_ORDER: readonly Issue[] = [
  'unsupported_id_type',
  'text_unreadable',
  'no_face_on_id_detected',
  'incomplete_barcode_detected',
  'bad_upload',
];

export interface IssueDetails {
  unsupported_id_type?: { visa_page_of_passport: boolean };
}

export interface UploadOutcome {
  next_step: NextStep;
  issues: Issue[];
  issue_details: IssueDetails;
}

export type DocumentSide = 'front' | 'back';

export interface AcceptedImage {
  format: 'image/jpeg' | 'image/png';
  bytes: Buffer;
  description?: ImageDescription;
  /** The issues that were waived because the step's attempts ran out. */
  waivedIssues: Issue[];
}

export interface Transaction {
  id: number;
  customerUid: string;
  templateKey: string;
  template: Required<SandboxTemplate>;
  apiOnly: boolean;
  idType?: IdType;
  idCountry?: string;
  email?: string;
  phone?: string;
  nextStep: NextStep;
  attempts: Record<DocumentSide, number>;
  createdAt: Date;
  completedAt?: Date;
  deletedAt?: Date;
  front?: AcceptedImage;
  back?: AcceptedImage;
  scan?: ParsedBarcode;
  /** Set by PATCH /v0/transactions (a manual review decision). */
  action?: string;
  note?: string;
  /** Set by PATCH /v0/transactions/override. */
  override?: { idType?: IdType; flags?: string[]; fields?: Record<string, string> };
}

const UNSUPPORTED: ReadonlySet<DocumentKind> = new Set([
  'military_id',
  'social_security_card',
  'passport_visa_page',
]);

const STEP_OF_SIDE: Record<DocumentSide, NextStep> = {
  front: 'upload_document_front',
  back: 'upload_document_back',
};

export function sideOfStep(step: NextStep): DocumentSide | undefined {
  return step === 'upload_document_front' ? 'front' : step === 'upload_document_back' ? 'back' : undefined;
}

function sortIssues(issues: Iterable<Issue>): Issue[] {
  return [...new Set(issues)].sort((a, b) => ISSUE_ORDER.indexOf(a) - ISSUE_ORDER.indexOf(b));
}

/**
 * Judges a decodable image for the side Berbix asked for, from its embedded description. With no
 * description it is a readable document of that side.
 */
export function judgeImage(
  side: DocumentSide,
  description: ImageDescription | undefined,
): { issues: Issue[]; issueDetails: IssueDetails } {
  if (!description) return { issues: [], issueDetails: {} };
  const document = description.document;
  if (document && UNSUPPORTED.has(document)) {
    return {
      issues: ['unsupported_id_type'],
      issueDetails: { unsupported_id_type: { visa_page_of_passport: document === 'passport_visa_page' } },
    };
  }
  const shownSide = description.side ?? side;
  const issues: Issue[] = [];
  if (description.quality === 'blurry') issues.push('text_unreadable');
  if (side === 'front') {
    if (!(description.face ?? shownSide === 'front')) issues.push('no_face_on_id_detected');
  } else if (document !== 'passport') {
    // A passport has no back: the photo page sent again as the back lets the flow proceed.
    const barcode = description.barcode ?? (shownSide === 'back' ? 'ok' : 'missing');
    if (barcode !== 'ok' || description.quality === 'blurry') issues.push('incomplete_barcode_detected');
  }
  return { issues: sortIssues(issues), issueDetails: {} };
}

/** The step after an accepted side, by template and the id_type given at creation. */
function stepAfter(tx: Transaction, side: DocumentSide): NextStep {
  if (side === 'back' || tx.template.documentSteps === 'front_only' || tx.idType === 'P') return 'done';
  return 'upload_document_back';
}

/**
 * Applies a judged image to the step it was uploaded for. Issues keep the step until its last
 * allowed attempt, which moves on regardless with `issues: []` (the image is accepted with its
 * issues waived).
 */
export function applyImage(
  tx: Transaction,
  side: DocumentSide,
  image: Omit<AcceptedImage, 'waivedIssues'>,
  now: Date,
): UploadOutcome {
  const judged = judgeImage(side, image.description);
  tx.attempts[side] += 1;
  const exhausted = tx.attempts[side] >= tx.template.maxAttempts;
  if (judged.issues.length > 0 && !exhausted) {
    return { next_step: STEP_OF_SIDE[side], issues: judged.issues, issue_details: judged.issueDetails };
  }
  tx[side] = { ...image, waivedIssues: judged.issues };
  moveTo(tx, stepAfter(tx, side), now);
  return { next_step: tx.nextStep, issues: [], issue_details: {} };
}

/** A parsed barcode scan completes the document steps. */
export function applyScan(tx: Transaction, scan: ParsedBarcode, now: Date): UploadOutcome {
  tx.scan = scan;
  moveTo(tx, 'done', now);
  return { next_step: 'done', issues: [], issue_details: {} };
}

/** An unreadable scan falls back to photos of the document. */
export function scanFallback(tx: Transaction): UploadOutcome {
  return { next_step: tx.nextStep, issues: ['incomplete_barcode_detected'], issue_details: {} };
}

export function moveTo(tx: Transaction, step: NextStep, now: Date): void {
  tx.nextStep = step;
  if (step === 'done' && !tx.completedAt) tx.completedAt = now;
}
