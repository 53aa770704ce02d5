/** The words of the page: what each issue means for the person holding the document. */
import type { ImageRejection } from '../../lambdas/domain/image-check';
import type { BadUploadReason, IdType, Issue, IssueDetails, UploadStep } from './api';

export const DOCUMENT_TYPES: { value: IdType | ''; label: string }[] = [
  { value: '', label: "I don't know" },
  { value: 'DL', label: "Driver's licence" },
  { value: 'P', label: 'Passport' },
  { value: 'ID', label: 'ID card' },
  { value: 'PRC', label: 'Residence permit' },
  { value: 'PC', label: 'Passport card' },
];

export const sideName = (step: UploadStep): string => (step === 'document_front' ? 'front' : 'back');

/** "your driver's licence", or "your document" when the type is not known. */
export function documentName(idType: IdType | undefined): string {
  const label = DOCUMENT_TYPES.find((t) => t.value === idType && idType)?.label;
  return label ? `your ${label.charAt(0).toLowerCase()}${label.slice(1)}` : 'your document';
}

/** Why a photo cannot be sent, for a local check's reason or the server's `bad_upload` reason. */
export function imageProblem(reason: ImageRejection | BadUploadReason): string {
  switch (reason) {
    case 'empty':
    case 'missing':
      return 'The file is empty. Choose the photo again.';
    case 'unsupported_format':
      return 'This file is not a JPEG or PNG photo. Choose a JPEG or PNG photo instead.';
    case 'truncated':
      return 'This photo is incomplete: the file was cut off. Choose it again or take a new photo.';
    case 'invalid_header':
      return 'This photo is damaged and cannot be read. Take a new photo.';
    case 'too_large':
    case 'dimensions_too_large':
      return 'This photo is too large to send. Take a new photo or choose a smaller one.';
  }
}

/** One sentence per issue; `details` refines `unsupported_id_type` and `bad_upload`. */
export function coachingFor(issue: Issue, details: IssueDetails, step: UploadStep): string {
  switch (issue) {
    case 'text_unreadable':
      return 'The text could not be read. Hold the document flat in good light, keep it in focus and fill the frame with it.';
    case 'no_face_on_id_detected':
      return 'No face was found on the document. Photograph the side with your portrait, without covering it.';
    case 'incomplete_barcode_detected':
      return step === 'document_back'
        ? 'The barcode could not be read. Photograph the back with the whole barcode in the frame, flat and sharp.'
        : 'The barcode could not be read. Try again with the whole document in the frame.';
    case 'unsupported_id_type':
      return details.unsupported_id_type?.visa_page_of_passport
        ? "This is a visa page. Photograph your passport's photo page instead."
        : "This document can't be used. Use a driver's licence, an ID card, a passport or a residence permit.";
    case 'bad_upload':
      return details.bad_upload
        ? imageProblem(details.bad_upload.reason)
        : 'The photo could not be used. Take a new photo of the document.';
    case 'bad_selfie':
      return 'The selfie could not be used. Face the camera in good light.';
  }
}
