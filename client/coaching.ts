/** What to tell the person holding the document, for each issue Berbix (or the image check) reports. */
import { MAX_IMAGE_BYTES, MAX_IMAGE_SIDE, type ImageRejection } from '../lambdas/domain/image-check';
import type { BadUploadReason, Issue, IssueDetails, NextStep, UploadStep, Verification } from './types';

/** Why an image cannot be sent, for the image check's reasons and the server's `bad_upload` reasons. */
export function describeImageProblem(reason: ImageRejection | BadUploadReason): string {
  switch (reason) {
    case 'empty':
      return 'The file is empty.';
    case 'missing':
      return 'The upload arrived without an image.';
    case 'too_large':
      return `The image is larger than ${MAX_IMAGE_BYTES / 1024 / 1024} MiB: send a smaller photo.`;
    case 'unsupported_format':
      return 'The file is not a JPEG or PNG image.';
    case 'truncated':
      return 'The image is incomplete (cut off): send the whole file again.';
    case 'invalid_header':
      return 'The image is damaged (its header cannot be read): take the photo again.';
    case 'dimensions_too_large':
      return `The image is more than ${MAX_IMAGE_SIDE.toLocaleString('en')} pixels on a side: send a smaller photo.`;
  }
}

/** One sentence of coaching for an issue; `details` refines `unsupported_id_type` and `bad_upload`. */
export function coachingFor(issue: Issue, details: IssueDetails = {}): string {
  switch (issue) {
    case 'text_unreadable':
      return 'The text could not be read: hold the document flat in good light, in focus, with all of it in the frame and no glare.';
    case 'no_face_on_id_detected':
      return 'No face was found on the document: photograph the side with the portrait, uncovered and in focus.';
    case 'incomplete_barcode_detected':
      return 'The barcode could not be read: photograph the back with the whole barcode in the frame, flat and sharp.';
    case 'unsupported_id_type':
      return details.unsupported_id_type?.visa_page_of_passport
        ? "This is a visa page: photograph the passport's photo page instead."
        : "This document is not accepted: use a driver's licence, an ID card, a passport or a residence permit.";
    case 'bad_upload':
      return details.bad_upload
        ? describeImageProblem(details.bad_upload.reason)
        : 'The upload could not be used: send a JPEG or PNG photo of the document.';
    case 'bad_selfie':
      return 'The selfie could not be used: face the camera in good light, with nothing covering your face.';
  }
}

/** Coaching for every issue of the last upload, most important first (the order Berbix gives). */
export const coachingLines = (v: Pick<Verification, 'issues' | 'issue_details'>): string[] =>
  v.issues.map((issue) => coachingFor(issue, v.issue_details));

/** The upload step a `next_step` asks for, if it is one this API takes. */
export function uploadStepFor(nextStep: NextStep | null): UploadStep | undefined {
  if (nextStep === 'upload_document_front') return 'document_front';
  if (nextStep === 'upload_document_back') return 'document_back';
  return undefined;
}

/** "front" or "back", for messages. */
export const sideName = (step: UploadStep): string => (step === 'document_front' ? 'front' : 'back');
