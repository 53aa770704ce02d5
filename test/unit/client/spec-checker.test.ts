import { loadSpecChecker } from '../../integration/support/spec';

const checker = loadSpecChecker();
const json = 'application/json';
const answer = (
  method: string,
  path: string,
  status: number,
  body: unknown,
  contentType: string | null = json,
) => ({
  method,
  template: checker.templateOf(method, path),
  status,
  contentType,
  text: body === undefined ? '' : JSON.stringify(body),
});

describe("the integration tests' check of answers against docs/openapi.yaml", () => {
  it('finds the operation of a concrete path', () => {
    expect(checker.templateOf('GET', '/verifications/vrf_x/result')).toBe('/verifications/{id}/result');
    expect(checker.templateOf('DELETE', '/verifications/vrf_x')).toBe('/verifications/{id}');
    expect(checker.templateOf('PUT', '/verifications')).toBeUndefined();
  });

  it("accepts API Gateway's documented bodies and a 204 without a body", () => {
    expect(checker.problems(answer('POST', '/verifications', 401, { message: 'Unauthorized' }))).toEqual([]);
    expect(
      checker.problems(answer('GET', '/verifications/vrf_x/result', 403, { message: 'Forbidden' })),
    ).toEqual([]);
    expect(
      checker.problems(
        answer('POST', '/verifications/vrf_x/id-scans', 413, { message: 'Request Entity Too Large' }),
      ),
    ).toEqual([]);
    expect(checker.problems(answer('DELETE', '/verifications/vrf_x', 204, undefined, null))).toEqual([]);
    expect(checker.problems(answer('PUT', '/verifications', 404, { message: 'Not Found' }))).toEqual([]);
  });

  it('refuses a status the operation does not document', () => {
    const [problem] = checker.problems(
      answer('GET', '/verifications/vrf_x', 409, { error: { code: 'x', message: 'y' } }),
    );
    expect(problem).toContain('status not documented for getVerification');
  });

  it('refuses a body its schema does not allow, naming where', () => {
    const problems = checker.problems(
      answer('GET', '/verifications/vrf_x/result', 401, { message: 'Forbidden' }),
    );
    expect(problems.join('\n')).toContain('body/message must be equal to constant');
    const extra = checker.problems(
      answer('POST', '/verifications/vrf_x/uploads', 201, {
        url: 'http://127.0.0.1/b',
        fields: {},
        key: 'uploads/x',
        expires_at: '2030-01-01T00:00:00Z',
        max_bytes: 1,
        token: 'leaked',
      }),
    );
    expect(extra.join('\n')).toMatch(/must NOT have additional properties|must match pattern/);
  });

  it('refuses an unrouted request that did not get API Gateway 404, and a body that is not JSON', () => {
    expect(checker.problems(answer('PUT', '/verifications', 200, {}))).toHaveLength(1);
    expect(
      checker.problems({ ...answer('GET', '/verifications/vrf_x', 500, undefined), text: '<html>' })[0],
    ).toContain('not JSON');
  });
});
