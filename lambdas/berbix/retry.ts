/** Retry policy pieces: which failures may be repeated, backoff, Retry-After. Pure. */

/**
 * `idempotent`: repeating the request cannot change Berbix twice (GET, DELETE, token refresh).
 * `unsafe`: a repeat could create a second transaction or count a second upload attempt.
 */
export type RequestSafety = 'idempotent' | 'unsafe';

/**
 * How a non-idempotent call is repeated after a failure that may hide a processed request.
 * `strict`: never — the caller decides. `converge`: like any other transient failure, for callers
 * whose repeat converges: an upload Berbix already took is answered 409 with its `next_step`, and a
 * repeated create leaves at most an orphan transaction holding only what was sent.
 */
export type UnsafeRetry = 'strict' | 'converge';

/** What one attempt ended with, as far as retrying is concerned. */
export type AttemptFailure =
  { kind: 'status'; status: number } | { kind: 'network'; mayHaveReachedBerbix: boolean };

/**
 * Whether the same request may be sent again. 429 and 503 mean Berbix did not process it, and a
 * refused connection means it never left, so those are safe for every call. Any other 5xx, a
 * timeout or a reset may hide a processed request: idempotent calls repeat then, unsafe ones only
 * under `converge`. Other statuses (4xx) are never repeated.
 */
export function isRetryable(
  safety: RequestSafety,
  failure: AttemptFailure,
  unsafeRetry: UnsafeRetry = 'strict',
): boolean {
  const repeatsAmbiguous = safety === 'idempotent' || unsafeRetry === 'converge';
  if (failure.kind === 'network') return repeatsAmbiguous || !failure.mayHaveReachedBerbix;
  if (failure.status === 429 || failure.status === 503) return true;
  return failure.status >= 500 && failure.status <= 599 && repeatsAmbiguous;
}

/** "Full jitter": a uniform delay in [0, min(maxDelay, base * 2^(attempt-1))). */
export function backoffDelayMs(
  attempt: number,
  baseDelayMs: number,
  maxDelayMs: number,
  random: () => number,
): number {
  const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * ceiling);
}

/**
 * Parses `Retry-After` (RFC 9110: delay-seconds or an HTTP-date) into milliseconds from `nowMs`.
 * Undefined when absent or unparseable; a date in the past gives 0.
 */
export function parseRetryAfter(header: string | null | undefined, nowMs: number): number | undefined {
  if (header === null || header === undefined) return undefined;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  // Only date-looking values: Date.parse accepts odd inputs such as "1.5".
  if (!/[a-z]/i.test(value)) return undefined;
  const at = Date.parse(value);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}
