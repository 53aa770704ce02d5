import type { NextStep } from './types';

/** Which client method failed; part of every error, never personal. */
export type BerbixOperation =
  | 'createTransaction'
  | 'refreshTokens'
  | 'uploadImages'
  | 'uploadIdScan'
  | 'getTransaction'
  | 'deleteTransaction';

export interface BerbixErrorInit {
  operation: BerbixOperation;
  status?: number;
  code?: string | number;
  berbixMessage?: string;
  retryable: boolean;
  /** Attempts made before giving up (1 = no retry). */
  attempts?: number;
}

/**
 * Base of every error the client throws. Its message and fields are built only from the
 * operation, the HTTP status and Berbix's short error text (scrubbed of credentials), so
 * logging or serialising an error never leaks a token, the API secret or image data.
 */
export class BerbixError extends Error {
  override name = 'BerbixError';
  readonly operation: BerbixOperation;
  readonly status?: number;
  /** Berbix's `code` from the error body (a number in the documented shape). */
  readonly code?: string | number;
  /** Berbix's `message` (or `readable`) from the error body. */
  readonly berbixMessage?: string;
  /**
   * True when repeating the same call can succeed and cannot duplicate an effect at Berbix
   * (see docs/berbix-client.md for the table). The client has already retried within its budget.
   */
  readonly retryable: boolean;
  readonly attempts: number;

  constructor(summary: string, init: BerbixErrorInit) {
    const detail = init.berbixMessage ? `: ${init.berbixMessage}` : '';
    const status = init.status === undefined ? '' : ` (HTTP ${init.status})`;
    super(`Berbix ${init.operation} failed${status}: ${summary}${detail}`);
    this.operation = init.operation;
    if (init.status !== undefined) this.status = init.status;
    if (init.code !== undefined) this.code = init.code;
    if (init.berbixMessage !== undefined) this.berbixMessage = init.berbixMessage;
    this.retryable = init.retryable;
    this.attempts = init.attempts ?? 1;
  }

  /** A plain, log-safe object (also what JSON.stringify produces). */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      message: this.message,
      operation: this.operation,
      status: this.status,
      code: this.code,
      berbixMessage: this.berbixMessage,
      retryable: this.retryable,
      attempts: this.attempts,
      ...this.extraJson(),
    };
  }

  protected extraJson(): Record<string, unknown> {
    return {};
  }
}

/** 401 / 403: the API secret or the token was refused (after one refresh, for token calls). */
export class BerbixAuthError extends BerbixError {
  override name = 'BerbixAuthError';
}

/** 409: the upload does not fit the transaction's state; `nextStep` is what Berbix expects. */
export class BerbixConflictError extends BerbixError {
  override name = 'BerbixConflictError';
  readonly nextStep?: NextStep;
  constructor(summary: string, init: BerbixErrorInit & { nextStep?: NextStep }) {
    super(summary, init);
    if (init.nextStep !== undefined) this.nextStep = init.nextStep;
  }
  protected override extraJson(): Record<string, unknown> {
    return { nextStep: this.nextStep };
  }
}

/** 410: the transaction no longer exists (deleted). */
export class BerbixGoneError extends BerbixError {
  override name = 'BerbixGoneError';
}

/** 413: the request or an image is too large. */
export class BerbixPayloadTooLargeError extends BerbixError {
  override name = 'BerbixPayloadTooLargeError';
}

/** An answer that may carry Retry-After: `retryAfterMs` is Berbix's last one. */
abstract class BerbixRetryAfterError extends BerbixError {
  readonly retryAfterMs?: number;
  constructor(summary: string, init: BerbixErrorInit & { retryAfterMs?: number }) {
    super(summary, init);
    if (init.retryAfterMs !== undefined) this.retryAfterMs = init.retryAfterMs;
  }
  protected override extraJson(): Record<string, unknown> {
    return { retryAfterMs: this.retryAfterMs };
  }
}

/** 429 after the retry budget was spent; `retryAfterMs` is Berbix's last Retry-After. */
export class BerbixRateLimitedError extends BerbixRetryAfterError {
  override name = 'BerbixRateLimitedError';
}

/** 5xx; `retryAfterMs` when Berbix sent Retry-After (typically with a 503). */
export class BerbixServerError extends BerbixRetryAfterError {
  override name = 'BerbixServerError';
}

/** Any other 4xx: the request itself is wrong; repeating it will not help. */
export class BerbixRequestError extends BerbixError {
  override name = 'BerbixRequestError';
}

/** Why no HTTP response arrived. */
export type NetworkFailure = 'timeout' | 'aborted' | 'connection_refused' | 'connection_reset' | 'network';

/** No response: timeout, reset, refused, DNS, or the caller's signal aborted the call. */
export class BerbixNetworkError extends BerbixError {
  override name = 'BerbixNetworkError';
  readonly failure: NetworkFailure;
  /**
   * False only when the request provably never left this process (connection refused, DNS
   * failure). When true, a non-idempotent call (create, upload) may have taken effect at Berbix.
   */
  readonly mayHaveReachedBerbix: boolean;
  constructor(
    summary: string,
    init: BerbixErrorInit & { failure: NetworkFailure; mayHaveReachedBerbix: boolean },
  ) {
    super(summary, init);
    this.failure = init.failure;
    this.mayHaveReachedBerbix = init.mayHaveReachedBerbix;
  }
  protected override extraJson(): Record<string, unknown> {
    return { failure: this.failure, mayHaveReachedBerbix: this.mayHaveReachedBerbix };
  }
}

/** Berbix answered with a body that is not JSON or not the documented shape. */
export class BerbixProtocolError extends BerbixError {
  override name = 'BerbixProtocolError';
}
