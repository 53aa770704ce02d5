// Berbix's `next_step` vocabulary is the only source of truth for what comes next: one list, the client's.
import { NEXT_STEPS, type NextStep } from '../berbix/types';

export { NEXT_STEPS, type NextStep };

/** A document image a client can upload through a presigned POST. */
export const DOCUMENT_STEPS = ['document_front', 'document_back'] as const;
export type DocumentStep = (typeof DOCUMENT_STEPS)[number];

/** Every kind of object stored under `uploads/`: the two image sides and barcode scans. */
export const UPLOAD_STEPS = ['document_front', 'document_back', 'id_scan'] as const;
export type UploadStep = (typeof UPLOAD_STEPS)[number];

export function isDocumentStep(value: unknown): value is DocumentStep {
  return typeof value === 'string' && (DOCUMENT_STEPS as readonly string[]).includes(value);
}

/** The document side Berbix asks for, or undefined when it asks for none (done, selfies). */
export function documentStepFor(nextStep: NextStep): DocumentStep | undefined {
  switch (nextStep) {
    case 'upload_document_front':
      return 'document_front';
    case 'upload_document_back':
      return 'document_back';
    default:
      return undefined;
  }
}

export function nextStepFor(step: DocumentStep): NextStep {
  return step === 'document_front' ? 'upload_document_front' : 'upload_document_back';
}

/**
 * Whether an upload of `step` is what Berbix asks for now. A barcode scan is offered at any
 * document step: Berbix answers a scan it does not want with a 409 carrying the step it expects.
 */
export function acceptsUpload(nextStep: NextStep, step: UploadStep): boolean {
  const awaited = documentStepFor(nextStep);
  if (awaited === undefined) return false;
  return step === 'id_scan' || step === awaited;
}

/**
 * The uploads that count towards a side's attempt limit: every submitted upload of that side
 * (local refusals, `bad_upload` and 409s included) plus every barcode scan, which answers either
 * wait. So each wait is entered at most `limit` times and a whole flow has at most 2 × limit
 * submissions, whatever Berbix answers.
 */
export function uploadsTowardsLimit(
  attempts: Partial<Record<UploadStep, number>>,
  step: DocumentStep,
): number {
  return (attempts[step] ?? 0) + (attempts.id_scan ?? 0);
}

/** A wait the record of Berbix's answer opens: the side and the attempt an upload must carry. */
export interface OpenedWait {
  step: DocumentStep;
  attempt: number;
}

/**
 * The wait Berbix's `nextStep` opens once recorded, given the attempts counted with that answer:
 * the side it asks for, one attempt on; none when it asks for no side or that side's uploads are
 * used up (the wait task then ends the flow with `upload_attempts_exhausted`). Opened with the
 * record, the wait is visible to clients before the state machine arms it with a task token, so
 * they need not wait for that hop; the upload that arrives first is claimed once it is armed.
 */
export function waitOpenedBy(
  nextStep: NextStep,
  attempts: Partial<Record<UploadStep, number>>,
  maxUploadAttempts: number,
): OpenedWait | undefined {
  const step = documentStepFor(nextStep);
  if (step === undefined || uploadsTowardsLimit(attempts, step) >= maxUploadAttempts) return undefined;
  return { step, attempt: (attempts[step] ?? 0) + 1 };
}
