/**
 * The typed client of the verifications API, on openapi-fetch over the types generated from
 * docs/openapi.yaml. Isomorphic: only `fetch`, `Request`, `Response` and `AbortSignal`, so it runs
 * in a browser bundle and in Node alike.
 */
import createClient, { type Client } from 'openapi-fetch';
import type { paths } from './schema';
import { sleep } from './sleep';
import type {
  ApiError,
  CreateUploadRequest,
  CreateVerificationRequest,
  GatewayError,
  IdScanRequest,
  PresignedUpload,
  Verification,
  VerificationResult,
} from './types';

export interface VerificationClientOptions {
  /** The API's base URL, e.g. the stack's `ApiUrl` output or `http://127.0.0.1:4000`. */
  apiUrl: string;
  /** The caller's JWT, asked for before every request (so a refreshed token is used at once). */
  getToken: () => string | undefined | Promise<string | undefined>;
  /** @default globalThis.fetch */
  fetch?: (request: Request) => Promise<Response>;
  /**
   * Answers that say "busy, nothing was done, try again" are sent again after their
   * `Retry-After` (at most `maxWaitSeconds` each), up to `retries` times, and only the last one
   * is returned: the handlers' `503 service_unavailable` (it carries `Retry-After`) and `429`
   * (the gateway throttled the request before any function ran). A `503` without `Retry-After`
   * (the gateway's own: a function timed out, and may have done its work) is returned at once.
   * `false` returns every answer at once. @default { retries: 2, maxWaitSeconds: 5 }
   */
  retryWhenBusy?: { retries?: number; maxWaitSeconds?: number } | false;
}

/** An answer of the API: the documented body of a success, or of an error, with its status. */
export type Answer<Data> =
  | { ok: true; status: number; data: Data; response: Response }
  | { ok: false; status: number; error: ErrorBody; response: Response };

/** What an error answer carries: the handlers' shape, API Gateway's, or text from something in between. */
export type ErrorBody = ApiError | GatewayError | string | undefined;

/** The request never got an answer (offline, refused, DNS, TLS, CORS). */
export class NetworkError extends Error {
  override name = 'NetworkError';
  constructor(
    readonly url: string,
    cause: unknown,
  ) {
    super(`No answer from ${url}: ${causeText(cause)}`, { cause });
  }
}

function causeText(cause: unknown): string {
  const inner = (cause as { cause?: { code?: string; message?: string } })?.cause;
  return inner?.code ?? inner?.message ?? (cause instanceof Error ? cause.message : String(cause));
}

export interface RequestOptions {
  signal?: AbortSignal;
}

/** `304 Not Modified`: the version named by `If-None-Match` is still the current one. */
export interface NotModified {
  ok: false;
  status: 304;
  notModified: true;
  error: undefined;
  response: Response;
}

export const isNotModified = (answer: Answer<unknown> | NotModified): answer is NotModified =>
  'notModified' in answer && answer.notModified;

/** The version (`ETag`) an answer carries, to send back as `If-None-Match`. */
export const etagOf = (answer: Answer<unknown> | NotModified): string | undefined =>
  answer.response.headers.get('etag') ?? undefined;

export interface ChangeOptions extends RequestOptions {
  /** The `ETag` of the last answer seen. */
  ifNoneMatch: string;
  /** Seconds the server may wait for a change, 0 to 20. @default 0 (answer at once) */
  wait?: number;
}

export interface VerificationClient {
  /** `POST /verifications`: 201 once Berbix created the transaction, 202 while it is still `creating`. */
  createVerification(
    body?: CreateVerificationRequest,
    options?: RequestOptions & { idempotencyKey?: string },
  ): Promise<Answer<Verification>>;
  /** `GET /verifications/{id}`. */
  getVerification(id: string, options?: RequestOptions): Promise<Answer<Verification>>;
  /**
   * `GET /verifications/{id}?wait=…` with `If-None-Match`: the verification once it differs from
   * the version named (at once if it already does, else as soon as it changes within `wait`
   * seconds), or `NotModified`.
   */
  getVerificationIfChanged(id: string, options: ChangeOptions): Promise<Answer<Verification> | NotModified>;
  /** `POST /verifications/{id}/uploads`: a presigned POST for the step Berbix asks for now. */
  createUpload(
    id: string,
    body: CreateUploadRequest,
    options?: RequestOptions,
  ): Promise<Answer<PresignedUpload>>;
  /** `POST /verifications/{id}/document-back/reuse-front`: a passport's page sent again as the back. */
  reuseFront(id: string, options?: RequestOptions): Promise<Answer<Verification>>;
  /** `POST /verifications/{id}/id-scans`: a PDF417 barcode scan instead of a photo. */
  submitIdScan(id: string, body: IdScanRequest, options?: RequestOptions): Promise<Answer<Verification>>;
  /** `GET /verifications/{id}/result` (backend scope). */
  getResult(id: string, options?: RequestOptions): Promise<Answer<VerificationResult>>;
  /**
   * `DELETE /verifications/{id}` (backend scope): 204 (no body) when nothing is left anywhere, 202
   * with the tombstone while Berbix's copy is still being deleted (`berbix_deletion: pending`).
   */
  deleteVerification(id: string, options?: RequestOptions): Promise<Answer<Verification | undefined>>;
  /** The openapi-fetch client underneath, for middleware (`raw.use`) or a call by path. */
  readonly raw: Client<paths>;
}

interface FetchResult {
  data?: unknown;
  error?: unknown;
  response: Response;
}

export function createVerificationClient(options: VerificationClientOptions): VerificationClient {
  const apiUrl = options.apiUrl.replace(/\/+$/, '');
  const send = options.fetch ?? ((request: Request) => globalThis.fetch(request));
  const raw = createClient<paths>({
    baseUrl: apiUrl,
    fetch:
      options.retryWhenBusy === false
        ? send
        : retryingWhenBusy(send, {
            retries: options.retryWhenBusy?.retries ?? 2,
            maxWaitSeconds: options.retryWhenBusy?.maxWaitSeconds ?? 5,
          }),
  });
  raw.use({
    async onRequest({ request }) {
      const token = await options.getToken();
      if (token) request.headers.set('authorization', `Bearer ${token}`);
      return request;
    },
  });

  async function answer<Data>(call: Promise<FetchResult>): Promise<Answer<Data>> {
    let result: FetchResult;
    try {
      result = await call;
    } catch (error) {
      // fetch rejects with a TypeError when no answer came (by name: it may come from another realm);
      // an abort the caller asked for stays as it is.
      if ((error as Error | undefined)?.name === 'TypeError') throw new NetworkError(apiUrl, error);
      throw error;
    }
    const { response } = result;
    return response.ok
      ? { ok: true, status: response.status, data: result.data as Data, response }
      : { ok: false, status: response.status, error: result.error as ErrorBody, response };
  }

  const byId = (id: string) => ({ path: { id } });

  return {
    raw,
    createVerification: (body = {}, { idempotencyKey, signal } = {}) =>
      answer(
        raw.POST('/verifications', {
          body,
          signal,
          ...(idempotencyKey ? { params: { header: { 'Idempotency-Key': idempotencyKey } } } : {}),
        }),
      ),
    getVerification: (id, { signal } = {}) =>
      answer(raw.GET('/verifications/{id}', { params: byId(id), signal })),
    async getVerificationIfChanged(id, { ifNoneMatch, wait, signal }) {
      const read = await answer<Verification>(
        raw.GET('/verifications/{id}', {
          params: {
            path: { id },
            ...(wait === undefined ? {} : { query: { wait } }),
            header: { 'If-None-Match': ifNoneMatch },
          },
          signal,
        }),
      );
      if (read.status !== 304) return read;
      return { ok: false, status: 304, notModified: true, error: undefined, response: read.response };
    },
    createUpload: (id, body, { signal } = {}) =>
      answer(raw.POST('/verifications/{id}/uploads', { params: byId(id), body, signal })),
    reuseFront: (id, { signal } = {}) =>
      answer(raw.POST('/verifications/{id}/document-back/reuse-front', { params: byId(id), signal })),
    submitIdScan: (id, body, { signal } = {}) =>
      answer(raw.POST('/verifications/{id}/id-scans', { params: byId(id), body, signal })),
    getResult: (id, { signal } = {}) =>
      answer(raw.GET('/verifications/{id}/result', { params: byId(id), signal })),
    deleteVerification: (id, { signal } = {}) =>
      answer(raw.DELETE('/verifications/{id}', { params: byId(id), signal })),
  };
}

/** Seconds to wait before sending again an answer that says "busy, nothing done"; else undefined. */
function busyRetryAfter(response: Response): number | undefined {
  const header = response.headers.get('retry-after');
  if (response.status === 503 && header !== null) return seconds(header);
  if (response.status === 429) return header === null ? 1 : seconds(header);
  return undefined;
}

/** `Retry-After` in seconds (an HTTP date counts from now); 1 when it cannot be read. */
function seconds(retryAfter: string): number {
  const n = Number(retryAfter);
  if (retryAfter.trim() !== '' && Number.isFinite(n)) return Math.max(0, n);
  const date = Date.parse(retryAfter);
  return Number.isNaN(date) ? 1 : Math.max(0, (date - Date.now()) / 1000);
}

function retryingWhenBusy(
  send: (request: Request) => Promise<Response>,
  policy: { retries: number; maxWaitSeconds: number },
): (request: Request) => Promise<Response> {
  return async (request) => {
    for (let attempt = 0; ; attempt += 1) {
      // The body can be read once: keep a copy while another attempt may follow.
      const next = attempt < policy.retries ? request.clone() : undefined;
      const response = await send(request);
      const wait = busyRetryAfter(response);
      if (wait === undefined || !next) return response;
      await response.body?.cancel();
      await sleep(Math.min(wait, policy.maxWaitSeconds) * 1000, request.signal);
      request = next;
    }
  };
}

/** The machine-readable code of an error answer: the handler's `error.code`, or API Gateway's message. */
export function errorCode(error: ErrorBody): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  if ('error' in error) return error.error.code;
  return error.message;
}

/** The human message of an error answer. */
export function errorMessage(error: ErrorBody): string | undefined {
  if (typeof error === 'string') return error.slice(0, 200) || undefined;
  if (typeof error !== 'object' || error === null) return undefined;
  return 'error' in error ? error.error.message : error.message;
}
