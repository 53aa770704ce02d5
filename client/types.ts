/** Names for the schemas of docs/openapi.yaml, from the generated `schema.d.ts`. */
import type { components, paths } from './schema';

type Schemas = components['schemas'];

export type { paths };
export type Verification = Schemas['Verification'];
export type VerificationStatus = Schemas['Status'];
export type NextStep = Schemas['NextStep'];
export type Issue = Schemas['Issue'];
export type IssueDetails = Schemas['IssueDetails'];
export type BadUploadReason = NonNullable<IssueDetails['bad_upload']>['reason'];
export type CreateVerificationRequest = Schemas['CreateVerificationRequest'];
export type IdType = NonNullable<CreateVerificationRequest['id_type']>;
export type CreateUploadRequest = Schemas['CreateUploadRequest'];
export type UploadStep = CreateUploadRequest['step'];
export type ImageContentType = CreateUploadRequest['content_type'];
export type PresignedUpload = Schemas['PresignedUpload'];
export type IdScanRequest = Schemas['IdScanRequest'];
export type VerificationResult = Schemas['Result'];
/** The handlers' error body: `{"error": {"code", "message", ...}}`. */
export type ApiError = Schemas['Error'];
/** API Gateway's own bodies (`{"message": "Unauthorized"}` …), answered before any handler runs. */
export type GatewayError =
  | Schemas['GatewayUnauthorized']
  | Schemas['GatewayForbidden']
  | Schemas['GatewayNotFound']
  | Schemas['GatewayPayloadTooLarge']
  | Schemas['GatewayTooManyRequests']
  | Schemas['GatewayInternalError']
  | Schemas['GatewayServiceUnavailable'];

/** Statuses after which nothing more happens to a verification. */
export const FINAL_STATUSES: readonly VerificationStatus[] = ['completed', 'failed', 'abandoned', 'deleted'];

export const isFinal = (status: VerificationStatus): boolean => FINAL_STATUSES.includes(status);
