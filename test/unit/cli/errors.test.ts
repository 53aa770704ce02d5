import { apiFailure, EXIT } from '../../../cli/errors';

const failed = (status: number, error: unknown) => ({
  ok: false as const,
  status,
  error: error as never,
  response: new Response(),
});

describe("the CLI's one-line errors for API answers", () => {
  it('maps each kind of refusal to its exit code', () => {
    const cases: [number, unknown, number][] = [
      [401, { message: 'Unauthorized' }, EXIT.auth],
      [403, { message: 'Forbidden' }, EXIT.auth],
      [404, { error: { code: 'not_found', message: 'No such verification' } }, EXIT.usage],
      [409, { error: { code: 'not_completed', message: 'The verification has no result yet' } }, EXIT.usage],
      [429, { message: 'Too Many Requests' }, EXIT.unavailable],
      [503, { message: 'Service Unavailable' }, EXIT.unavailable],
      [500, '<html>proxy error</html>', EXIT.unavailable],
    ];
    for (const [status, body, exitCode] of cases)
      expect(apiFailure(failed(status, body), 'Doing it').exitCode).toBe(exitCode);
  });

  it('says what was being done and what the API said, once', () => {
    expect(apiFailure(failed(401, { message: 'Unauthorized' }), 'Creating the verification').message).toBe(
      'Creating the verification: the API refused the token (401 Unauthorized); it is missing, expired, or not issued for this API',
    );
    expect(
      apiFailure(
        failed(409, { error: { code: 'not_completed', message: 'No result yet' } }),
        'Reading the result',
      ).message,
    ).toBe('Reading the result: (409 not_completed: No result yet)');
  });
});
