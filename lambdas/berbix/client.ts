/**
 * Typed client for Berbix's API-only flow over the global `fetch`. No AWS here.
 * Retry and token rules are documented in docs/berbix-client.md.
 */
import type * as z from 'zod/mini';
import { DEFAULT_BERBIX_API_URL } from '../contract/berbix';
import {
  BerbixAuthError,
  BerbixConflictError,
  BerbixError,
  BerbixGoneError,
  BerbixNetworkError,
  BerbixPayloadTooLargeError,
  BerbixProtocolError,
  BerbixRateLimitedError,
  BerbixRequestError,
  BerbixServerError,
  type BerbixOperation,
  type NetworkFailure,
} from './errors';
import { Base64Bytes, jsonBody, type StreamedJson } from './json-body';
import { scrubText } from './redact';
import {
  backoffDelayMs,
  isRetryable,
  parseRetryAfter,
  type AttemptFailure,
  type RequestSafety,
  type UnsafeRetry,
} from './retry';
import { describeIssues, errorBody, tokenResponse, transactionResponse, uploadResponse } from './schemas';
import { isCountryCode } from './countries';
import {
  isIdType,
  isImageFormat,
  isImageSubject,
  isNextStep,
  type BerbixTokens,
  type BerbixTransaction,
  type BinaryInput,
  type CallOptions,
  type CreateTransactionInput,
  type CreatedTransaction,
  type IdScanUpload,
  type ImageUpload,
  type TokenSession,
  type UploadOutcome,
} from './types';

export interface BerbixRetryOptions {
  /** Attempts per call, the first included. @default 4 */
  maxAttempts?: number;
  /** Backoff base: attempt n waits up to base * 2^(n-1). @default 250 */
  baseDelayMs?: number;
  /** Cap of one backoff wait (a longer Retry-After is still honoured within maxTotalMs). @default 4000 */
  maxDelayMs?: number;
  /** Budget for the whole call, attempts and waits; no wait or attempt goes past it. @default 30000 */
  maxTotalMs?: number;
  /**
   * Whether create and uploads are repeated after a 500/502/504, a timeout or a reset, which may
   * hide a request Berbix processed (see `UnsafeRetry`). @default 'strict'
   */
  unsafe?: UnsafeRetry;
}

/**
 * Sends one HTTP request to Berbix, like the global `fetch`; `call` names the client operation,
 * for whoever observes the requests (metrics, traces).
 */
export type BerbixFetch = (
  url: string,
  init: RequestInit,
  call: { operation: BerbixOperation },
) => Promise<Response>;

export interface BerbixClientOptions {
  apiSecret: string;
  /** @default 'https://api.berbix.com' */
  baseUrl?: string;
  /** Per attempt (headers and body). @default 15000 */
  timeoutMs?: number;
  retry?: BerbixRetryOptions;
  /** Tokens are refreshed this long before they expire. @default 60000 */
  refreshMarginMs?: number;
  /** @default 'berbix-serverless' */
  userAgent?: string;
  /** Clock, epoch milliseconds; for tests. @default Date.now */
  now?: () => number;
  /** Uniform [0, 1) source for jitter; for tests. @default Math.random */
  random?: () => number;
  /** Sends each request (every attempt of every call). @default the global fetch */
  fetch?: BerbixFetch;
}

/** Per-call options plus the call's absolute deadline (epoch ms), shared by its refresh and repeat. */
interface CallContext extends CallOptions {
  deadline?: number;
}

interface RequestSpec {
  operation: BerbixOperation;
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  safety: RequestSafety;
  /** undefined = Basic with the API secret. */
  bearer?: string;
  /** JSON; `Base64Bytes` values are sent as base64 strings, streamed (see json-body.ts). */
  body?: unknown;
  /** Values to scrub from Berbix's error text besides the secret and this request's token. */
  secrets?: readonly string[];
}

interface NetworkOutcome {
  kind: 'network';
  failure: NetworkFailure;
  mayHaveReachedBerbix: boolean;
  /** The socket error code (e.g. ECONNRESET), when there is one. */
  code?: string;
}
type Outcome = { kind: 'response'; status: number; headers: Headers; text: string } | NetworkOutcome;

const DEFAULTS = {
  baseUrl: DEFAULT_BERBIX_API_URL,
  timeoutMs: 15_000,
  maxAttempts: 4,
  baseDelayMs: 250,
  maxDelayMs: 4_000,
  maxTotalMs: 30_000,
  unsafe: 'strict',
  refreshMarginMs: 60_000,
  userAgent: 'berbix-serverless',
} as const;

// A retry is only started if at least this much of the budget (or the whole attempt timeout) is left.
const MIN_ATTEMPT_MS = 1_000;

// Visible ASCII only: what an Authorization header value can carry.
const HEADER_SAFE = /^[\x21-\x7e]+$/;

// Error codes that prove the request never left this process.
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT']);
const RESET_CODES = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'ECONNABORTED']);

export class BerbixClient {
  // Private fields: not enumerable, not shown by util.inspect, not in JSON.stringify.
  readonly #basicAuth: string;
  readonly #apiSecret: string;
  readonly #baseUrl: string;
  readonly #timeoutMs: number;
  readonly #retry: Required<BerbixRetryOptions>;
  readonly #refreshMarginMs: number;
  readonly #userAgent: string;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #fetch: BerbixFetch;
  readonly #refreshing = new WeakMap<TokenSession, Promise<BerbixTokens>>();

  constructor(options: BerbixClientOptions) {
    if (typeof options.apiSecret !== 'string' || !HEADER_SAFE.test(options.apiSecret)) {
      throw new TypeError('BerbixClient: apiSecret is required (visible ASCII characters only)');
    }
    this.#apiSecret = options.apiSecret;
    this.#basicAuth = `Basic ${Buffer.from(`${options.apiSecret}:`).toString('base64')}`;
    this.#baseUrl = (options.baseUrl ?? DEFAULTS.baseUrl).replace(/\/+$/, '');
    if (!/^https?:\/\//.test(this.#baseUrl))
      throw new TypeError('BerbixClient: baseUrl must be an http(s) URL');
    this.#timeoutMs = positive(options.timeoutMs, DEFAULTS.timeoutMs, 'timeoutMs');
    const r = options.retry ?? {};
    this.#retry = {
      maxAttempts: Math.max(
        1,
        Math.floor(positive(r.maxAttempts, DEFAULTS.maxAttempts, 'retry.maxAttempts')),
      ),
      baseDelayMs: nonNegative(r.baseDelayMs, DEFAULTS.baseDelayMs, 'retry.baseDelayMs'),
      maxDelayMs: nonNegative(r.maxDelayMs, DEFAULTS.maxDelayMs, 'retry.maxDelayMs'),
      maxTotalMs: positive(r.maxTotalMs, DEFAULTS.maxTotalMs, 'retry.maxTotalMs'),
      unsafe: unsafeRetry(r.unsafe),
    };
    this.#refreshMarginMs = nonNegative(options.refreshMarginMs, DEFAULTS.refreshMarginMs, 'refreshMarginMs');
    this.#userAgent = options.userAgent ?? DEFAULTS.userAgent;
    this.#now = options.now ?? Date.now;
    this.#random = options.random ?? Math.random;
    this.#fetch = options.fetch ?? ((url, init) => fetch(url, init));
  }

  /** `POST /v0/transactions`. Not idempotent: retried only when Berbix cannot have processed it. */
  async createTransaction(
    input: CreateTransactionInput,
    call: CallOptions = {},
  ): Promise<CreatedTransaction> {
    const operation = 'createTransaction';
    const body: Record<string, unknown> = {
      customer_uid: requireText(input.customerUid, 'customerUid', operation),
      template_key: requireText(input.templateKey, 'templateKey', operation),
    };
    if (input.email !== undefined) body.email = requireText(input.email, 'email', operation);
    if (input.phone !== undefined) body.phone = requireText(input.phone, 'phone', operation);
    if (input.apiOnlyOptions !== undefined) {
      const { idCountry, idType } = input.apiOnlyOptions;
      const options: Record<string, string> = {};
      if (idCountry !== undefined) {
        if (!isCountryCode(idCountry))
          throw invalidInput(operation, 'apiOnlyOptions.idCountry must be an ISO 3166-1 alpha-2 code');
        options.id_country = idCountry;
      }
      if (idType !== undefined) {
        if (!isIdType(idType))
          throw invalidInput(operation, 'apiOnlyOptions.idType must be one of P, DL, PRC, PC, ID');
        options.id_type = idType;
      }
      body.api_only_options = options;
    }
    const parsed = await this.#call(
      {
        operation,
        method: 'POST',
        path: '/v0/transactions',
        safety: 'unsafe',
        body,
        // Personal data Berbix might echo in an error.
        secrets: [input.email, input.phone].filter((v): v is string => typeof v === 'string'),
      },
      tokenResponse,
      call,
    );
    if (!parsed.refresh_token) throw protocolError(operation, 'the response has no refresh_token');
    const created: CreatedTransaction = this.#toTokens(parsed, parsed.refresh_token);
    if (parsed.first_step !== undefined) created.firstStep = parsed.first_step;
    return created;
  }

  /**
   * `POST /v0/tokens` with the refresh token. Berbix omits the refresh token from the answer, so
   * the one given is kept (a new one, if Berbix ever sends one, wins). Idempotent.
   */
  refreshTokens(refreshToken: string, call: CallOptions = {}): Promise<BerbixTokens> {
    return this.#refreshTokens(refreshToken, call, []);
  }

  async #refreshTokens(refreshToken: string, call: CallContext, secrets: string[]): Promise<BerbixTokens> {
    const operation = 'refreshTokens';
    requireText(refreshToken, 'refreshToken', operation);
    const parsed = await this.#call(
      {
        operation,
        method: 'POST',
        path: '/v0/tokens',
        safety: 'idempotent',
        body: { grant_type: 'refresh_token', refresh_token: refreshToken },
        secrets: [refreshToken, ...secrets],
      },
      tokenResponse,
      call,
    );
    return this.#toTokens(parsed, parsed.refresh_token || refreshToken);
  }

  /**
   * `POST /v0/images/upload` with the client token; images are sent base64 in JSON. Image bytes
   * are encoded while the body is streamed (again for each attempt), so no base64 or JSON copy of
   * an image is ever held.
   */
  async uploadImages(
    session: TokenSession,
    images: ImageUpload[],
    call: CallOptions = {},
  ): Promise<UploadOutcome> {
    const operation = 'uploadImages';
    if (!Array.isArray(images) || images.length === 0)
      throw invalidInput(operation, 'at least one image is required');
    const wire = images.map((image, i) => {
      if (!isImageSubject(image.subject))
        throw invalidInput(operation, `images[${i}].subject is not a known image subject`);
      if (!isImageFormat(image.format))
        throw invalidInput(operation, `images[${i}].format must be image/jpeg or image/png`);
      const entry: Record<string, unknown> = {
        image_subject: image.subject,
        format: image.format,
        // Bytes stay bytes: the body is streamed, each chunk base64-encoded as it is sent.
        data: toWireBinary(image.data, `images[${i}].data`, operation),
      };
      if (image.extractedBarcode !== undefined) {
        if (image.extractedBarcode.barcodeType !== 'pdf417')
          throw invalidInput(operation, `images[${i}].extractedBarcode.barcodeType must be pdf417`);
        entry.supplementary_data = {
          extracted_barcode: {
            barcode_type: 'pdf417',
            extracted_data: toBase64(
              image.extractedBarcode.extractedData,
              `images[${i}].extractedBarcode.extractedData`,
              operation,
            ),
          },
        };
      }
      return entry;
    });
    return this.#withSession('uploadImages', session, 'clientToken', call, (token, secrets, ctx) =>
      this.#call(
        {
          operation,
          method: 'POST',
          path: '/v0/images/upload',
          safety: 'unsafe',
          bearer: token,
          body: { images: wire },
          secrets: [...secrets, ...wire.flatMap(binarySecrets)],
        },
        uploadResponse,
        ctx,
      ),
    );
  }

  /** `POST /v0/idscans/upload` with the client token (a PDF417 barcode's payload). */
  async uploadIdScan(
    session: TokenSession,
    scan: IdScanUpload,
    call: CallOptions = {},
  ): Promise<UploadOutcome> {
    const operation = 'uploadIdScan';
    if (scan?.scanType !== 'pdf417') throw invalidInput(operation, 'scanType must be pdf417');
    const extractedData = toBase64(scan.extractedData, 'extractedData', operation);
    const body = { id_scans: [{ scan_type: 'pdf417', extracted_data: extractedData }] };
    return this.#withSession('uploadIdScan', session, 'clientToken', call, (token, secrets, ctx) =>
      this.#call(
        {
          operation,
          method: 'POST',
          path: '/v0/idscans/upload',
          safety: 'unsafe',
          bearer: token,
          body,
          secrets: [...secrets, extractedData],
        },
        uploadResponse,
        ctx,
      ),
    );
  }

  /** `GET /v0/transactions` with the access token: the verification result. Idempotent. */
  async getTransaction(session: TokenSession, call: CallOptions = {}): Promise<BerbixTransaction> {
    return this.#withSession('getTransaction', session, 'accessToken', call, (token, secrets, ctx) =>
      this.#call(
        {
          operation: 'getTransaction',
          method: 'GET',
          path: '/v0/transactions',
          safety: 'idempotent',
          bearer: token,
          secrets,
        },
        transactionResponse,
        ctx,
      ),
    );
  }

  /** `DELETE /v0/transactions` with the access token; Berbix answers 204. Idempotent. */
  async deleteTransaction(session: TokenSession, call: CallOptions = {}): Promise<void> {
    await this.#withSession('deleteTransaction', session, 'accessToken', call, (token, secrets, ctx) =>
      this.#call(
        {
          operation: 'deleteTransaction',
          method: 'DELETE',
          path: '/v0/transactions',
          safety: 'idempotent',
          bearer: token,
          secrets,
        },
        null,
        ctx,
      ),
    );
  }

  toString(): string {
    return `BerbixClient(${this.#baseUrl})`;
  }

  toJSON(): Record<string, unknown> {
    return { baseUrl: this.#baseUrl };
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }

  // ---- tokens ------------------------------------------------------------------------------

  #toTokens(parsed: z.output<typeof tokenResponse>, refreshToken: string): BerbixTokens {
    return {
      transactionId: parsed.transaction_id,
      accessToken: parsed.access_token,
      clientToken: parsed.client_token,
      refreshToken,
      // Without expires_in the tokens count as expired, so they are refreshed before their next use.
      expiresAt: this.#now() + (parsed.expires_in ?? 0) * 1000,
    };
  }

  /**
   * Runs a token-authenticated request: refreshes first when the tokens are missing or expire
   * within the margin, and once more on a 401 (then repeats the request once).
   */
  async #withSession<T>(
    operation: BerbixOperation,
    session: TokenSession,
    which: 'accessToken' | 'clientToken',
    call: CallOptions,
    send: (token: string, secrets: string[], ctx: CallContext) => Promise<T>,
  ): Promise<T> {
    // One budget for the whole call: refresh, request and the repeat after a 401.
    const ctx: CallContext = { ...call, deadline: this.#now() + this.#retry.maxTotalMs };
    if (!session?.tokens || typeof session.tokens.refreshToken !== 'string') {
      throw new TypeError('BerbixClient: a TokenSession with tokens is required');
    }
    const { tokens } = session;
    if (!tokens[which] || tokens.expiresAt - this.#now() <= this.#refreshMarginMs)
      await this.#refresh(session, ctx);
    const used = session.tokens[which];
    // fetch would refuse it anyway, but after the request might be counted as sent.
    if (!HEADER_SAFE.test(used)) throw invalidInput(operation, `the session's ${which} is malformed`);
    try {
      return await send(used, sessionSecrets(session), ctx);
    } catch (error) {
      if (!(error instanceof BerbixAuthError) || error.status !== 401) throw error;
      // A concurrent call may already have refreshed; only refresh if we used the current token.
      if (session.tokens[which] === used) await this.#refresh(session, ctx);
      return send(session.tokens[which], [...sessionSecrets(session), used], ctx);
    }
  }

  /** One refresh per session at a time; the result is written back and handed to the caller. */
  #refresh(session: TokenSession, call: CallContext): Promise<BerbixTokens> {
    const running = this.#refreshing.get(session);
    if (running) return running;
    const refreshing = (async () => {
      try {
        const fresh = await this.#refreshTokens(session.tokens.refreshToken, call, sessionSecrets(session));
        session.tokens = fresh;
        await session.onTokensRefreshed?.(fresh);
        return fresh;
      } finally {
        this.#refreshing.delete(session);
      }
    })();
    this.#refreshing.set(session, refreshing);
    return refreshing;
  }

  // ---- transport ---------------------------------------------------------------------------

  /** Sends with retries, then maps the final response to a value or a typed error. */
  async #call<S extends z.ZodMiniType>(spec: RequestSpec, schema: S, call: CallContext): Promise<z.output<S>>;
  async #call(spec: RequestSpec, schema: null, call: CallContext): Promise<void>;
  async #call(spec: RequestSpec, schema: z.ZodMiniType | null, call: CallContext): Promise<unknown> {
    const deadline = call.deadline ?? this.#now() + this.#retry.maxTotalMs;
    const attemptTimeoutMs = call.timeoutMs ?? this.#timeoutMs;
    // Serialised once; a streamed body is a new stream per attempt (a sent stream cannot be re-read).
    const payload = spec.body === undefined ? undefined : jsonBody(spec.body);
    for (let attempt = 1; ; attempt++) {
      const remaining = deadline - this.#now();
      // Only a follow-up request of the call (refresh, repeat after a 401) can find the budget spent.
      if (remaining <= 0) {
        const spent: NetworkOutcome = { kind: 'network', failure: 'timeout', mayHaveReachedBerbix: false };
        throw networkError(spec.operation, spent, true, attempt);
      }
      const outcome = await this.#attempt(spec, payload, Math.min(attemptTimeoutMs, remaining), call.signal);

      if (outcome.kind === 'response' && outcome.status >= 200 && outcome.status < 300) {
        return this.#parseSuccess(spec, outcome, schema, attempt);
      }
      const failure: AttemptFailure =
        outcome.kind === 'network'
          ? { kind: 'network', mayHaveReachedBerbix: outcome.mayHaveReachedBerbix }
          : { kind: 'status', status: outcome.status };
      const retryable =
        outcome.kind === 'network' && outcome.failure === 'aborted'
          ? false
          : isRetryable(spec.safety, failure, this.#retry.unsafe);
      const retryAfterMs =
        outcome.kind === 'response'
          ? parseRetryAfter(outcome.headers.get('retry-after'), this.#now())
          : undefined;
      const fail = (): BerbixError =>
        outcome.kind === 'network'
          ? networkError(spec.operation, outcome, retryable, attempt)
          : this.#statusError(spec, outcome, retryable, attempt, retryAfterMs);

      if (!retryable || attempt >= this.#retry.maxAttempts) throw fail();
      const delay =
        retryAfterMs ??
        backoffDelayMs(attempt, this.#retry.baseDelayMs, this.#retry.maxDelayMs, this.#random);
      // Give up rather than wait past the budget (the error carries Retry-After for the caller), or
      // start an attempt with too little time left: a cut-off upload could not be repeated.
      if (this.#now() + delay + Math.min(attemptTimeoutMs, MIN_ATTEMPT_MS) > deadline) throw fail();
      if (!(await sleep(delay, call.signal))) {
        throw networkError(
          spec.operation,
          { kind: 'network', failure: 'aborted', mayHaveReachedBerbix: true },
          false,
          attempt,
        );
      }
    }
  }

  async #attempt(
    spec: RequestSpec,
    payload: string | StreamedJson | undefined,
    timeoutMs: number,
    signal: AbortSignal | undefined,
  ): Promise<Outcome> {
    if (signal?.aborted) return { kind: 'network', failure: 'aborted', mayHaveReachedBerbix: false };
    const timeout = AbortSignal.timeout(timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    const headers: Record<string, string> = {
      Authorization: spec.bearer === undefined ? this.#basicAuth : `Bearer ${spec.bearer}`,
      Accept: 'application/json',
      'User-Agent': this.#userAgent,
    };
    if (payload !== undefined) headers['Content-Type'] = 'application/json';
    const streamed = typeof payload === 'object';
    // A stream has no length of its own: sent with Content-Length, not chunked.
    if (streamed) headers['Content-Length'] = String(payload.length);
    const send = (url: string, init: RequestInit) => this.#fetch(url, init, { operation: spec.operation });
    try {
      const response = await send(`${this.#baseUrl}${spec.path}`, {
        method: spec.method,
        headers,
        ...(streamed ? { body: payload.stream(), duplex: 'half' } : { body: payload }),
        signal: combined,
        redirect: 'manual',
      } as RequestInit);
      // The body is read under the same signal, so a stalled body times out too.
      const text = await response.text();
      return { kind: 'response', status: response.status, headers: response.headers, text };
    } catch (error) {
      return classifyNetworkFailure(error, signal);
    }
  }

  #parseSuccess(
    spec: RequestSpec,
    outcome: Extract<Outcome, { kind: 'response' }>,
    schema: z.ZodMiniType | null,
    attempt: number,
  ): unknown {
    if (schema === null) return undefined;
    let json: unknown;
    try {
      json = JSON.parse(outcome.text);
    } catch {
      throw protocolError(spec.operation, 'the response body is not JSON', outcome.status, attempt);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success)
      throw protocolError(spec.operation, describeIssues(parsed.error), outcome.status, attempt);
    return parsed.data;
  }

  #statusError(
    spec: RequestSpec,
    outcome: Extract<Outcome, { kind: 'response' }>,
    retryable: boolean,
    attempts: number,
    retryAfterMs: number | undefined,
  ): BerbixError {
    const { status } = outcome;
    const body = parseErrorBody(outcome.text);
    const secrets = [
      this.#apiSecret,
      this.#basicAuth.slice('Basic '.length),
      ...(spec.bearer ? [spec.bearer] : []),
      ...(spec.secrets ?? []),
    ];
    const raw = body?.message ?? body?.readable ?? body?.error;
    const init = {
      operation: spec.operation,
      status,
      retryable,
      attempts,
      ...(body?.code !== undefined && {
        code: typeof body.code === 'string' ? scrubText(body.code, secrets) : body.code,
      }),
      ...(raw !== undefined && { berbixMessage: scrubText(raw, secrets) }),
    };
    if (status === 401 || status === 403)
      return new BerbixAuthError(status === 401 ? 'unauthorized' : 'forbidden', init);
    if (status === 409) {
      const nextStep = isNextStep(body?.next_step) ? body.next_step : undefined;
      return new BerbixConflictError('the request does not fit the transaction state', {
        ...init,
        ...(nextStep && { nextStep }),
      });
    }
    if (status === 410) return new BerbixGoneError('the transaction no longer exists', init);
    if (status === 413) return new BerbixPayloadTooLargeError('the request is too large', init);
    const withRetryAfter = { ...init, ...(retryAfterMs !== undefined && { retryAfterMs }) };
    if (status === 429) return new BerbixRateLimitedError('rate limited', withRetryAfter);
    if (status >= 500) return new BerbixServerError('server error', withRetryAfter);
    if (status >= 400) return new BerbixRequestError('request refused', init);
    return new BerbixProtocolError(`unexpected HTTP status ${status}`, { ...init, retryable: false });
  }
}

// ---- helpers -----------------------------------------------------------------------------

/** Every credential of a session, for scrubbing Berbix's error text. */
function sessionSecrets(session: TokenSession): string[] {
  const { accessToken, clientToken, refreshToken } = session.tokens;
  return [accessToken, clientToken, refreshToken];
}

/**
 * Bytes up to this size are also kept as a base64 string, to scrub it from Berbix's error text.
 * A longer payload's base64 is a run of 32+ token characters, which `scrubText` removes anyway.
 */
const SCRUB_AS_SECRET_MAX_BYTES = 1024;

/** The base64 payloads of one wire image (image data and barcode data are never echoed). */
function binarySecrets(entry: Record<string, unknown>): string[] {
  const barcode = (
    entry.supplementary_data as { extracted_barcode?: { extracted_data?: string } } | undefined
  )?.extracted_barcode?.extracted_data;
  return [entry.data, ...(barcode ? [barcode] : [])].flatMap((value) => {
    if (typeof value === 'string') return [value];
    if (value instanceof Base64Bytes && value.bytes.byteLength <= SCRUB_AS_SECRET_MAX_BYTES)
      return [value.toBase64()];
    return [];
  });
}

function unsafeRetry(value: UnsafeRetry | undefined): UnsafeRetry {
  if (value === undefined) return DEFAULTS.unsafe;
  if (value !== 'strict' && value !== 'converge')
    throw new TypeError("BerbixClient: retry.unsafe must be 'strict' or 'converge'");
  return value;
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0)
    throw new TypeError(`BerbixClient: ${name} must be a positive number`);
  return value;
}

function nonNegative(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 0)
    throw new TypeError(`BerbixClient: ${name} must be a non-negative number`);
  return value;
}

function invalidInput(operation: BerbixOperation, message: string): BerbixRequestError {
  return new BerbixRequestError(message, { operation, code: 'invalid_input', retryable: false });
}

function protocolError(
  operation: BerbixOperation,
  message: string,
  status?: number,
  attempts = 1,
): BerbixProtocolError {
  return new BerbixProtocolError(message, {
    operation,
    retryable: false,
    attempts,
    ...(status !== undefined && { status }),
  });
}

/** Never echoes the value: it may be an email address, a phone number or a token. */
function requireText(value: unknown, name: string, operation: BerbixOperation): string {
  if (typeof value !== 'string' || value.trim().length === 0)
    throw invalidInput(operation, `${name} must be a non-empty string`);
  return value;
}

// A plain character class: a grouped repetition overflows V8's regex stack on multi-MiB strings.
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Bytes are kept for streaming; a string must already be base64 (checked, never echoed). */
function toWireBinary(data: BinaryInput, name: string, operation: BerbixOperation): Base64Bytes | string {
  if (data instanceof Uint8Array) {
    if (data.byteLength === 0) throw invalidInput(operation, `${name} is empty`);
    return new Base64Bytes(data);
  }
  return toBase64(data, name, operation);
}

/** Bytes are encoded; a string must already be base64 (checked, never echoed). */
function toBase64(data: BinaryInput, name: string, operation: BerbixOperation): string {
  if (data instanceof Uint8Array) {
    if (data.byteLength === 0) throw invalidInput(operation, `${name} is empty`);
    return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64');
  }
  if (typeof data !== 'string' || data.length === 0)
    throw invalidInput(operation, `${name} must be non-empty bytes or base64`);
  if (data.length % 4 !== 0 || !BASE64.test(data))
    throw invalidInput(operation, `${name} is not valid base64`);
  return data;
}

function parseErrorBody(text: string): z.output<typeof errorBody> | undefined {
  try {
    const parsed = errorBody.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

function errorCode(error: unknown): string | undefined {
  // fetch wraps socket errors: TypeError('fetch failed', { cause }), sometimes an AggregateError.
  for (let current: unknown = error, depth = 0; current && depth < 4; depth++) {
    const code = (current as { code?: unknown }).code;
    // Only constant-like codes (ECONNRESET, UND_ERR_SOCKET): they end up in the message.
    if (typeof code === 'string') return /^[A-Z0-9_]{1,40}$/.test(code) ? code : undefined;
    const nested = (current as { errors?: unknown[] }).errors?.[0];
    current = (current as { cause?: unknown }).cause ?? nested;
  }
  return undefined;
}

/** Classifies whatever fetch threw; nothing of the original error (or the request) is kept. */
function classifyNetworkFailure(error: unknown, callerSignal: AbortSignal | undefined): NetworkOutcome {
  if (callerSignal?.aborted) return { kind: 'network', failure: 'aborted', mayHaveReachedBerbix: true };
  const name = (error as { name?: unknown })?.name;
  if (name === 'TimeoutError' || name === 'AbortError')
    return { kind: 'network', failure: 'timeout', mayHaveReachedBerbix: true };
  const code = errorCode(error);
  const failure: NetworkFailure =
    code && NOT_SENT_CODES.has(code)
      ? 'connection_refused'
      : code && RESET_CODES.has(code)
        ? 'connection_reset'
        : 'network';
  return {
    kind: 'network',
    failure,
    mayHaveReachedBerbix: failure !== 'connection_refused',
    ...(code && { code }),
  };
}

const NETWORK_SUMMARY: Record<NetworkFailure, string> = {
  timeout: 'timed out',
  aborted: 'aborted by the caller',
  connection_refused: 'could not connect',
  connection_reset: 'connection reset',
  network: 'network failure',
};

function networkError(
  operation: BerbixOperation,
  outcome: NetworkOutcome,
  retryable: boolean,
  attempts: number,
): BerbixNetworkError {
  const summary = outcome.code
    ? `${NETWORK_SUMMARY[outcome.failure]} (${outcome.code})`
    : NETWORK_SUMMARY[outcome.failure];
  return new BerbixNetworkError(summary, {
    operation,
    failure: outcome.failure,
    mayHaveReachedBerbix: outcome.mayHaveReachedBerbix,
    retryable,
    attempts,
  });
}

/** Resolves true after `ms`, or false as soon as the signal aborts. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
