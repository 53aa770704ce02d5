import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  BerbixAuthError,
  BerbixConflictError,
  BerbixGoneError,
  BerbixNetworkError,
  BerbixPayloadTooLargeError,
  BerbixProtocolError,
  BerbixRateLimitedError,
  BerbixRequestError,
  BerbixServerError,
  type BerbixError,
  type NetworkFailure,
} from '../../../lambdas/berbix';
import { FAILURE_REASONS, isFailureReason, reasonForTaskError } from '../../../lambdas/domain';
import { asTaskError, MAX_RETRY_AFTER_WAIT_MS } from '../../../lambdas/use-cases/task-errors';

const init = { operation: 'uploadImages' as const, retryable: false };
const network = (failure: NetworkFailure) =>
  new BerbixNetworkError('x', { ...init, failure, mayHaveReachedBerbix: failure !== 'connection_refused' });

/** Every kind of Berbix error, with what the task must make of it. */
const BERBIX_CASES: Array<
  [string, BerbixError, 'BerbixTransientError' | 'BerbixRefusedError' | 'FlowFailedError', string]
> = [
  [
    'a 500',
    new BerbixServerError('x', { ...init, status: 500 }),
    'BerbixTransientError',
    'berbix_server_500',
  ],
  [
    'a 502',
    new BerbixServerError('x', { ...init, status: 502 }),
    'BerbixTransientError',
    'berbix_server_502',
  ],
  [
    'a 503',
    new BerbixServerError('x', { ...init, status: 503 }),
    'BerbixTransientError',
    'berbix_server_503',
  ],
  [
    'a 504',
    new BerbixServerError('x', { ...init, status: 504 }),
    'BerbixTransientError',
    'berbix_server_504',
  ],
  [
    'a 429',
    new BerbixRateLimitedError('x', { ...init, status: 429 }),
    'BerbixTransientError',
    'berbix_rate_limited_429',
  ],
  ...(['timeout', 'aborted', 'connection_refused', 'connection_reset', 'network'] as const).map(
    (failure) =>
      [`a ${failure}`, network(failure), 'BerbixTransientError', `berbix_network_${failure}`] as [
        string,
        BerbixError,
        'BerbixTransientError',
        string,
      ],
  ),
  [
    'an unreadable 200',
    new BerbixProtocolError('x', { ...init, status: 200 }),
    'BerbixTransientError',
    'berbix_protocol_200',
  ],
  ['an unreadable answer', new BerbixProtocolError('x', init), 'BerbixTransientError', 'berbix_protocol'],
  [
    'a 400',
    new BerbixRequestError('x', { ...init, status: 400 }),
    'BerbixRefusedError',
    'berbix_request_400',
  ],
  [
    'a 422',
    new BerbixRequestError('x', { ...init, status: 422 }),
    'BerbixRefusedError',
    'berbix_request_422',
  ],
  [
    'input the client refused to send',
    new BerbixRequestError('x', { ...init, code: 'invalid_input' }),
    'FlowFailedError',
    'berbix_invalid_input',
  ],
  ['a 401', new BerbixAuthError('x', { ...init, status: 401 }), 'BerbixRefusedError', 'berbix_auth_401'],
  ['a 403', new BerbixAuthError('x', { ...init, status: 403 }), 'BerbixRefusedError', 'berbix_auth_403'],
  [
    'a 409 without next_step',
    new BerbixConflictError('x', { ...init, status: 409 }),
    'BerbixRefusedError',
    'berbix_conflict_409',
  ],
  ['a 410', new BerbixGoneError('x', { ...init, status: 410 }), 'BerbixRefusedError', 'berbix_gone_410'],
  [
    'a 413',
    new BerbixPayloadTooLargeError('x', { ...init, status: 413 }),
    'BerbixRefusedError',
    'berbix_payload_too_large_413',
  ],
];

const cause = (errorType: string, errorMessage: string) => JSON.stringify({ errorType, errorMessage });

/** The errors a state can catch, with the reason the verification is closed with. */
const CLOSE_CASES: Array<[unknown, string]> = [
  ...BERBIX_CASES.map(
    ([, , name, code]) => [{ Error: name, Cause: cause(name, code) }, code] as [unknown, string],
  ),
  ...[
    'upload_attempts_exhausted',
    'invalid_upload_key',
    'upload_not_claimed',
    'upload_outcome_not_recorded',
  ].map(
    (code) =>
      [{ Error: 'FlowFailedError', Cause: cause('FlowFailedError', code) }, code] as [unknown, string],
  ),
  [{ Error: 'UnsupportedNextStep', Cause: 'a selfie step' }, 'unsupported_next_step'],
  [{ Error: 'AwsTransientError', Cause: cause('AwsTransientError', 'Throttled') }, 'aws_unavailable'],
  [{ Error: 'Lambda.TooManyRequestsException', Cause: 'Rate exceeded' }, 'lambda_unavailable'],
  [
    { Error: 'Sandbox.Timedout', Cause: cause('Sandbox.Timedout', 'Task timed out after 60.00 seconds') },
    'task_failed',
  ],
  [{ Error: 'BerbixRefusedError', Cause: cause('BerbixRefusedError', 'Ada Lovelace') }, 'task_failed'],
  [{ Error: 'BerbixTransientError', Cause: 'not JSON' }, 'task_failed'],
  [{}, 'task_failed'],
];

/** Written outside the close of a caught error: the abandonment and a start that failed. */
const OTHER_CODES = ['upload_timeout', 'start_failed'];

describe('task errors and failure reasons', () => {
  it.each(BERBIX_CASES)(
    'turns %s from Berbix into %s with a documented reason code',
    async (_, error, name, code) => {
      await expect(asTaskError(error)).rejects.toMatchObject({ name, message: code });
      expect(isFailureReason(code)).toBe(true);
    },
  );

  it('passes errors that are not Berbix errors through unchanged', async () => {
    const other = new TypeError('a bug');
    await expect(asTaskError(other)).rejects.toBe(other);
  });

  it("waits out Berbix's Retry-After (capped) before handing the retry to the state machine", async () => {
    jest.useFakeTimers();
    try {
      for (const [retryAfterMs, waited] of [
        [3_000, 3_000],
        [600_000, MAX_RETRY_AFTER_WAIT_MS],
      ] as const) {
        let settled = false;
        const thrown = asTaskError(
          new BerbixRateLimitedError('x', { ...init, status: 429, retryAfterMs }),
        ).catch((e: Error) => {
          settled = true;
          return e;
        });
        await jest.advanceTimersByTimeAsync(waited - 1);
        expect(settled).toBe(false);
        await jest.advanceTimersByTimeAsync(1);
        await expect(thrown).resolves.toMatchObject({ name: 'BerbixTransientError' });
      }
    } finally {
      jest.useRealTimers();
    }
  });

  it.each(CLOSE_CASES)('closes a verification that caught %j with %s', (error, code) => {
    expect(reasonForTaskError(error)).toBe(code);
  });

  it('can write every documented reason, and nothing else', () => {
    const written = [...CLOSE_CASES.map(([, code]) => code), ...OTHER_CODES];
    for (const code of written)
      expect({ code, documented: isFailureReason(code) }).toEqual({ code, documented: true });
    for (const [name, pattern] of Object.entries(FAILURE_REASONS)) {
      expect({ name, written: written.some((code) => pattern.test(code)) }).toEqual({ name, written: true });
    }
  });

  it('lists exactly these reasons in docs/operations.md', () => {
    const doc = readFileSync(path.join(__dirname, '../../../docs/operations.md'), 'utf8');
    const section = doc.split(/^## Failure reasons$/m)[1]?.split(/^## /m)[0] ?? '';
    const firstCells = [...section.matchAll(/^\| (`[^|]+`) \|/gm)].map((m) => m[1]!);
    const listed = firstCells.flatMap((cell) => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]));
    expect(listed.sort()).toEqual(Object.keys(FAILURE_REASONS).sort());
  });
});
