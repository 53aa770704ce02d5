/**
 * Real HTTP to the local HTTP API through the typed client (client/), the presigned S3 forms and
 * the local-only endpoints. Every answer of the API is checked against docs/openapi.yaml, so a
 * handler and the spec cannot drift apart unnoticed.
 */
import { randomUUID } from 'node:crypto';
import type { Middleware } from 'openapi-fetch';
import {
  buildUploadForm,
  createVerificationClient,
  type PresignedUpload,
  type VerificationClient,
} from '../../../client';
import { integrationConfig } from './config';
import { loadSpecChecker, type SpecChecker } from './spec';

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
}

export type UploadForm = PresignedUpload;

let checker: SpecChecker | undefined;
const spec = () => (checker ??= loadSpecChecker());

/** Fails the call when the answer is not one the spec documents for the operation. */
const conformsToSpec: Middleware = {
  async onResponse({ request, response, schemaPath }) {
    const text = await response.clone().text();
    const problems = spec().problems({
      method: request.method,
      template: schemaPath,
      status: response.status,
      contentType: response.headers.get('content-type'),
      text,
    });
    if (problems.length > 0)
      throw new Error(`The answer contradicts docs/openapi.yaml:\n${problems.join('\n')}`);
  },
};

const clients = new Map<string, VerificationClient>();

/** The typed client for one token (or none), checking every answer against the spec. */
export function clientFor(token?: string): VerificationClient {
  const key = token ?? '';
  let client = clients.get(key);
  if (!client) {
    client = createVerificationClient({ apiUrl: integrationConfig().apiUrl, getToken: () => token });
    client.raw.use(conformsToSpec);
    clients.set(key, client);
  }
  return client;
}

/** Body of an answer as the tests read it: the JSON, the text when it is not JSON, `{}` when empty. */
const bodyOf = <T>(result: { data?: unknown; error?: unknown }): T =>
  (result.data ?? result.error ?? {}) as T;

/** Local-only endpoints (`/_local/…`) are not the API: plain fetch, nothing to check. */
async function local<T>(method: string, path: string, json?: unknown): Promise<Answer<T>> {
  const res = await fetch(`${integrationConfig().apiUrl}${path}`, {
    method,
    headers: json === undefined ? {} : { 'content-type': 'application/json' },
    body: json === undefined ? undefined : JSON.stringify(json),
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

/**
 * Calls the local HTTP API by method and concrete path, through the typed client (so the answer is
 * checked against the operation the path belongs to). A path the spec has no operation for is sent
 * as is and must get API Gateway's 404.
 */
export async function api<T = Record<string, unknown>>(
  method: string,
  path: string,
  options: { token?: string; json?: unknown; headers?: Record<string, string> } = {},
): Promise<Answer<T>> {
  if (path.startsWith('/_local/')) return local<T>(method, path, options.json);
  const template = spec().templateOf(method, path);
  const pathParams = template ? matchParams(template, path) : {};
  // A path outside the spec still goes through the client, as a path with no parameters to fill.
  const result = await clientFor(options.token).raw.request(
    method.toLowerCase() as 'get',
    (template ?? path) as '/verifications/{id}',
    {
      params: { path: pathParams } as never,
      headers: options.headers,
      ...(options.json !== undefined ? { body: options.json as never } : {}),
    },
  );
  return { status: result.response.status, body: bodyOf<T>(result) };
}

function matchParams(template: string, path: string): Record<string, string> {
  const names = template.split('/');
  const values = path.split('/');
  return Object.fromEntries(
    names.flatMap((name, i) =>
      /^\{.+\}$/.test(name) ? [[name.slice(1, -1), decodeURIComponent(values[i] ?? '')]] : [],
    ),
  );
}

/** A token from the local dev issuer (the `/_local/tokens` endpoint). */
export async function mintToken(sub: string, scopes: string[] = [CLIENT_SCOPE]): Promise<string> {
  const res = await local<{ token: string }>('POST', '/_local/tokens', { sub, scopes });
  if (res.status !== 201) throw new Error(`minting a token failed: ${res.status}`);
  return res.body.token;
}

/** A fresh end user (unique sub starting with `prefix`, see `setFaults`) and their client token. */
export async function newUser(prefix = 'user-'): Promise<{ sub: string; token: string }> {
  const sub = `${prefix}${randomUUID()}`;
  return { sub, token: await mintToken(sub) };
}

export const backendToken = () => mintToken('integration-backend', [BACKEND_SCOPE]);

export async function getVerification(id: string, token: string): Promise<Answer<Verification>> {
  const result = await clientFor(token).getVerification(id);
  return { status: result.status, body: (result.ok ? result.data : result.error) as Verification };
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

export async function requestUpload(
  id: string,
  token: string,
  step: 'document_front' | 'document_back',
  contentType: 'image/jpeg' | 'image/png' = 'image/jpeg',
): Promise<Answer<UploadForm>> {
  const result = await clientFor(token).createUpload(id, { step, content_type: contentType });
  return { status: result.status, body: (result.ok ? result.data : result.error) as UploadForm };
}

/** A real multipart POST of `bytes` to the presigned form, as a browser would send it. */
export async function postToForm(
  form: UploadForm,
  bytes: Uint8Array,
  options: { contentType?: string; fieldOverrides?: Record<string, string> } = {},
): Promise<{ status: number; text: string }> {
  const fields = { ...form.fields, ...options.fieldOverrides };
  const type = options.contentType ?? fields['Content-Type'] ?? 'application/octet-stream';
  const body = buildUploadForm({ ...form, fields }, new Blob([new Uint8Array(bytes)], { type }));
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
