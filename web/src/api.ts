/**
 * Stand-in for the typed client of `client/` (generated from docs/openapi.yaml), with the same
 * shape, until that client lands: only the four calls this page makes. Remove it then.
 */
export type VerificationStatus =
  'creating' | 'awaiting_upload' | 'processing' | 'completed' | 'failed' | 'abandoned' | 'deleted';
export type NextStep =
  | 'upload_document_front'
  | 'upload_document_back'
  | 'upload_selfie_basic'
  | 'upload_selfie_liveness'
  | 'done';
export type Issue =
  | 'bad_upload'
  | 'text_unreadable'
  | 'no_face_on_id_detected'
  | 'incomplete_barcode_detected'
  | 'unsupported_id_type'
  | 'bad_selfie';
export type BadUploadReason =
  | 'empty'
  | 'missing'
  | 'too_large'
  | 'unsupported_format'
  | 'truncated'
  | 'invalid_header'
  | 'dimensions_too_large';
export interface IssueDetails {
  unsupported_id_type?: { visa_page_of_passport?: boolean };
  bad_upload?: { reason: BadUploadReason; source: 'local' };
}
export type IdType = 'P' | 'DL' | 'PRC' | 'PC' | 'ID';
export type UploadStep = 'document_front' | 'document_back';

export interface Verification {
  id: string;
  customer_uid: string;
  status: VerificationStatus;
  next_step: NextStep | null;
  issues: Issue[];
  issue_details: IssueDetails;
  attempts: { document_front?: number; document_back?: number; id_scan?: number };
  created_at: string;
  updated_at: string;
  completed_at?: string;
  failure_reason?: string;
}

export interface CreateVerificationRequest {
  id_country?: string;
  id_type?: IdType;
}
export interface CreateUploadRequest {
  step: UploadStep;
  content_type: 'image/jpeg' | 'image/png';
}
export interface PresignedUpload {
  url: string;
  fields: Record<string, string>;
  key: string;
  expires_at: string;
  max_bytes: number;
}
export interface ApiError {
  error: { code: string; message: string; next_step?: NextStep | null; status?: VerificationStatus };
}
export type ErrorBody = ApiError | { message: string } | string | undefined;

export type Answer<Data> =
  | { ok: true; status: number; data: Data; response: Response }
  | { ok: false; status: number; error: ErrorBody; response: Response };

/** The request never got an answer (offline, refused, DNS, TLS, CORS). */
export class NetworkError extends Error {
  override name = 'NetworkError';
}

export interface RequestOptions {
  signal?: AbortSignal;
  headers?: Record<string, string>;
  query?: Record<string, string>;
}

export interface VerificationClientOptions {
  apiUrl: string;
  getToken: () => string | undefined | Promise<string | undefined>;
}

export interface VerificationClient {
  createVerification(
    body?: CreateVerificationRequest,
    options?: RequestOptions & { idempotencyKey?: string },
  ): Promise<Answer<Verification>>;
  getVerification(id: string, options?: RequestOptions): Promise<Answer<Verification>>;
  createUpload(
    id: string,
    body: CreateUploadRequest,
    options?: RequestOptions,
  ): Promise<Answer<PresignedUpload>>;
  reuseFront(id: string, options?: RequestOptions): Promise<Answer<Verification>>;
}

export function createVerificationClient(options: VerificationClientOptions): VerificationClient {
  const apiUrl = options.apiUrl.replace(/\/+$/, '');
  async function call<Data>(
    method: string,
    path: string,
    body: unknown,
    { signal, headers = {}, query }: RequestOptions = {},
  ): Promise<Answer<Data>> {
    const token = await options.getToken();
    const url = `${apiUrl}${path}${query ? `?${new URLSearchParams(query)}` : ''}`;
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        signal,
        headers: {
          ...headers,
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      if (error instanceof TypeError) throw new NetworkError(`No answer from ${apiUrl}`, { cause: error });
      throw error;
    }
    const text = await response.text();
    let parsed: unknown = text || undefined;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    return response.ok
      ? { ok: true, status: response.status, data: parsed as Data, response }
      : { ok: false, status: response.status, error: parsed as ErrorBody, response };
  }
  const at = (id: string) => `/verifications/${encodeURIComponent(id)}`;
  return {
    createVerification: (body = {}, { idempotencyKey, ...rest } = {}) =>
      call('POST', '/verifications', body, {
        ...rest,
        headers: { ...rest.headers, ...(idempotencyKey ? { 'Idempotency-Key': idempotencyKey } : {}) },
      }),
    getVerification: (id, opts) => call('GET', at(id), undefined, opts),
    createUpload: (id, body, opts) => call('POST', `${at(id)}/uploads`, body, opts),
    reuseFront: (id, opts) => call('POST', `${at(id)}/document-back/reuse-front`, undefined, opts),
  };
}

/** The machine-readable code of an error answer: the handler's `error.code`, or API Gateway's message. */
export function errorCode(error: ErrorBody): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  if ('error' in error) return error.error.code;
  return error.message;
}

/** The multipart form S3 expects: every field the API returned, then the file as the last field. */
export function buildUploadForm(upload: PresignedUpload, file: Blob, fileName = 'upload'): FormData {
  const form = new FormData();
  for (const [name, value] of Object.entries(upload.fields)) form.append(name, value);
  form.append('file', file, fileName);
  return form;
}

export const isFinal = (status: VerificationStatus): boolean =>
  status === 'completed' || status === 'failed' || status === 'abandoned' || status === 'deleted';

/** The pipeline has judged upload number `attempt` of `step` (or the verification ended). */
export const judged =
  (step: UploadStep, attempt: number) =>
  (v: Verification): boolean =>
    isFinal(v.status) || ((v.attempts[step] ?? 0) >= attempt && v.status !== 'processing');

/** The transaction exists at Berbix (or creating it failed). */
export const created = (v: Verification): boolean => v.status !== 'creating';
