import { isRetryable, parseRetryAfter } from '../../../lambdas/berbix';
import { backoffDelayMs } from '../../../lambdas/berbix/retry';

describe('the retry policy', () => {
  it.each([
    ['idempotent', 429, true],
    ['idempotent', 500, true],
    ['idempotent', 502, true],
    ['idempotent', 503, true],
    ['idempotent', 504, true],
    ['idempotent', 409, false],
    ['idempotent', 400, false],
    ['unsafe', 429, true],
    ['unsafe', 503, true],
    ['unsafe', 500, false],
    ['unsafe', 502, false],
    ['unsafe', 504, false],
    ['unsafe', 413, false],
  ] as const)('treats a %s call answered %i as retryable: %s', (safety, status, expected) => {
    expect(isRetryable(safety, { kind: 'status', status })).toBe(expected);
  });

  it.each([500, 502, 504])(
    "repeats an unsafe call answered %i only when the caller converges ('converge')",
    (status) => {
      expect(isRetryable('unsafe', { kind: 'status', status }, 'strict')).toBe(false);
      expect(isRetryable('unsafe', { kind: 'status', status }, 'converge')).toBe(true);
    },
  );

  it('never repeats a 4xx, whatever the policy', () => {
    for (const status of [400, 401, 403, 404, 409, 410, 413, 422]) {
      expect(isRetryable('unsafe', { kind: 'status', status }, 'converge')).toBe(false);
      expect(isRetryable('idempotent', { kind: 'status', status }, 'converge')).toBe(false);
    }
  });

  it('repeats an unsafe call cut off after it may have reached Berbix only under converge', () => {
    const cutOff = { kind: 'network', mayHaveReachedBerbix: true } as const;
    expect(isRetryable('unsafe', cutOff)).toBe(false);
    expect(isRetryable('unsafe', cutOff, 'converge')).toBe(true);
  });

  it('repeats an unsafe call after a network failure only if the request never left', () => {
    expect(isRetryable('unsafe', { kind: 'network', mayHaveReachedBerbix: false })).toBe(true);
    expect(isRetryable('unsafe', { kind: 'network', mayHaveReachedBerbix: true })).toBe(false);
    expect(isRetryable('idempotent', { kind: 'network', mayHaveReachedBerbix: true })).toBe(true);
  });

  it('draws full-jitter delays below an exponentially growing, capped ceiling', () => {
    expect(backoffDelayMs(1, 100, 10_000, () => 0.999)).toBe(99);
    expect(backoffDelayMs(3, 100, 10_000, () => 0.999)).toBe(399);
    expect(backoffDelayMs(10, 100, 1_000, () => 0.999)).toBe(999);
    expect(backoffDelayMs(5, 100, 10_000, () => 0)).toBe(0);
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2026-11-27T03:00:00Z');
    expect(parseRetryAfter('7', now)).toBe(7_000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('Fri, 27 Nov 2026 03:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Fri, 27 Nov 2026 02:00:00 GMT', now)).toBe(0);
  });

  it('ignores a missing or unreadable Retry-After', () => {
    expect(parseRetryAfter(null, 0)).toBeUndefined();
    expect(parseRetryAfter('soon', 0)).toBeUndefined();
    expect(parseRetryAfter('1.5', 0)).toBeUndefined();
    expect(parseRetryAfter('-3', 0)).toBeUndefined();
  });
});
