/** Real HTTP to the local HTTP API, the presigned S3 forms and the sandbox's controls. */
import { randomUUID } from 'node:crypto';
import { integrationConfig } from './config';

export const CLIENT_SCOPE = 'verifications/client';
export const BACKEND_SCOPE = 'verifications/backend';

export interface Answer<T = Record<string, unknown>> {
  status: number;
  body: T;
}

export interface Verification {
  id: string;
  customer_uid: string;
  status: string;
  next_step: string | null;
  issues: string[];
  issue_details: Record<string, unknown>;
  attempts: Record<string, number>;
  completed_at?: string;
  result?: { action: string | null; flags: string[] };
  failure_reason?: string;
  berbix_deletion?: 'pending' | 'done' | 'failed';
  berbix_deletion_reason?: string;
}

export interface UploadForm {
  url: string;
  fields: Record<string, string>;
  key: string;
  expires_at: string;
  max_bytes: number;
}

async function request<T>(
  url: string,
  init: RequestInit & { token?: string; json?: unknown } = {},
): Promise<Answer<T>> {
  const headers = new Headers(init.headers);
  if (init.token) headers.set('authorization', `Bearer ${init.token}`);
  if (init.json !== undefined) headers.set('content-type', 'application/json');
  const res = await fetch(url, {
    ...init,
    headers,
    body: init.json !== undefined ? JSON.stringify(init.json) : init.body,
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : {};
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body: body as T };
}

/** Calls the local HTTP API. */
export function api<T = Record<string, unknown>>(
  method: string,
  path: string,
  options: { token?: string; json?: unknown; headers?: Record<string, string> } = {},
): Promise<Answer<T>> {
  return request<T>(`${integrationConfig().apiUrl}${path}`, { method, ...options });
}

/** A token from the local dev issuer (the `/_local/tokens` endpoint). */
export async function mintToken(sub: string, scopes: string[] = [CLIENT_SCOPE]): Promise<string> {
  const res = await api<{ token: string }>('POST', '/_local/tokens', { json: { sub, scopes } });
  if (res.status !== 201) throw new Error(`minting a token failed: ${res.status}`);
  return res.body.token;
}

/** A fresh end user (unique sub starting with `prefix`, see `setFaults`) and their client token. */
export async function newUser(prefix = 'user-'): Promise<{ sub: string; token: string }> {
  const sub = `${prefix}${randomUUID()}`;
  return { sub, token: await mintToken(sub) };
}

export const backendToken = () => mintToken('integration-backend', [BACKEND_SCOPE]);

export function getVerification(id: string, token: string): Promise<Answer<Verification>> {
  return api<Verification>('GET', `/verifications/${id}`, { token });
}

/**
 * Polls GET /verifications/{id} until `until` holds (bounded: the pipeline is asynchronous).
 * Fails with the last state seen.
 */
export async function waitForVerification(
  id: string,
  token: string,
  until: (v: Verification) => boolean,
  { timeoutMs = 30_000, intervalMs = 150 } = {},
): Promise<Verification> {
  const deadline = Date.now() + timeoutMs;
  let last: Answer<Verification> | undefined;
  while (Date.now() < deadline) {
    last = await getVerification(id, token);
    if (last.status === 200 && until(last.body)) return last.body;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`verification ${id} did not reach the expected state; last seen: ${JSON.stringify(last)}`);
}

/** The pipeline has handled `attempt` uploads of `step` and waits (or has finished). */
export const afterAttempt = (step: string, attempt: number) => (v: Verification) =>
  (v.attempts[step] ?? 0) >= attempt && v.status !== 'processing';

/** Berbix asks for `nextStep` and the pipeline waits for that upload. */
export const awaiting = (nextStep: string) => (v: Verification) =>
  v.status === 'awaiting_upload' && v.next_step === nextStep;

export const hasStatus = (status: string) => (v: Verification) => v.status === status;

/** Creates a verification and waits until Berbix has created the transaction. */
export async function createVerification(
  token: string,
  body: Record<string, unknown> = { id_country: 'US', id_type: 'DL' },
  headers: Record<string, string> = {},
): Promise<Verification> {
  const res = await api<Verification>('POST', '/verifications', { token, json: body, headers });
  if (res.status !== 201 && res.status !== 202) {
    throw new Error(`create answered ${res.status}: ${JSON.stringify(res.body)}`);
  }
  if (res.body.status !== 'creating') return res.body;
  return waitForVerification(res.body.id, token, (v) => v.status !== 'creating');
}

export function requestUpload(
  id: string,
  token: string,
  step: 'document_front' | 'document_back',
  contentType: 'image/jpeg' | 'image/png' = 'image/jpeg',
): Promise<Answer<UploadForm>> {
  return api<UploadForm>('POST', `/verifications/${id}/uploads`, {
    token,
    json: { step, content_type: contentType },
  });
}

/** A real multipart POST of `bytes` to the presigned form, as a browser would send it. */
export async function postToForm(
  form: UploadForm,
  bytes: Uint8Array,
  options: { contentType?: string; fieldOverrides?: Record<string, string> } = {},
): Promise<{ status: number; text: string }> {
  const body = new FormData();
  for (const [k, v] of Object.entries({ ...form.fields, ...options.fieldOverrides })) body.append(k, v);
  const type = options.contentType ?? form.fields['Content-Type'] ?? 'application/octet-stream';
  body.append('file', new Blob([new Uint8Array(bytes)], { type }), 'upload');
  const res = await fetch(form.url, { method: 'POST', body });
  return { status: res.status, text: await res.text() };
}

/** Asks for a form, posts the image to it, and checks S3 accepted it. Returns the form. */
export async function upload(
  id: string,
  token: string,
  step: 'document_front' | 'document_back',
  image: { bytes: Uint8Array; format: 'image/jpeg' | 'image/png' },
): Promise<UploadForm> {
  const form = await requestUpload(id, token, step, image.format);
  if (form.status !== 201)
    throw new Error(`upload form answered ${form.status}: ${JSON.stringify(form.body)}`);
  const posted = await postToForm(form.body, image.bytes);
  if (posted.status >= 300) throw new Error(`S3 refused the upload: ${posted.status} ${posted.text}`);
  return form.body;
}
