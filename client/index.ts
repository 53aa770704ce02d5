/**
 * berbix-serverless's API client: typed from docs/openapi.yaml, isomorphic (browser and Node), used
 * by the CLI, the reference web client and the integration tests.
 *
 *   const api = createVerificationClient({ apiUrl, getToken: () => token });
 *   const created = await api.createVerification({ id_country: 'US', id_type: 'DL' });
 *   if (!created.ok) throw new Error(errorMessage(created.error));
 */
export {
  createVerificationClient,
  errorCode,
  errorMessage,
  etagOf,
  isNotModified,
  NetworkError,
  type Answer,
  type ChangeOptions,
  type NotModified,
  type ErrorBody,
  type RequestOptions,
  type VerificationClient,
  type VerificationClientOptions,
} from './api';
export { coachingFor, coachingLines, describeImageProblem, sideName, uploadStepFor } from './coaching';
export {
  buildUploadForm,
  describeUploadFailure,
  postUploadForm,
  uploadOutcome,
  type UploadOutcome,
} from './upload';
export { created, judged, waitForVerification, WaitTimeoutError, type WaitOptions } from './wait';
export * from './types';
// The server's own image check (pure: bytes in, verdict out), so a client refuses what the API would.
export {
  checkImage,
  MAX_IMAGE_BYTES,
  MAX_IMAGE_SIDE,
  type ImageCheck,
  type ImageFormat,
  type ImageRejection,
} from '../lambdas/domain/image-check';
