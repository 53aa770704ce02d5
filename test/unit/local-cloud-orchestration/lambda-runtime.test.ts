import path from 'node:path';
import {
  createLambdaRuntime,
  type LambdaFunctionSpec,
  type LambdaRuntime,
} from '../../../local/cloud/lambda-runtime';

const FIXTURES = path.join(__dirname, 'fixtures', 'lambdas');

const spec = (
  name: string,
  fixture: string,
  extra: Partial<LambdaFunctionSpec> = {},
): LambdaFunctionSpec => ({
  name,
  arn: `arn:aws:lambda:us-east-1:000000000000:function:${name}`,
  assetDir: path.join(FIXTURES, fixture),
  handler: 'index.handler',
  timeoutSeconds: 10,
  memorySize: 128,
  environment: {},
  ...extra,
});

describe('the local Lambda runtime', () => {
  let runtime: LambdaRuntime;
  const lines: string[] = [];

  beforeAll(() => {
    runtime = createLambdaRuntime({
      log: (line) => lines.push(line),
      functions: [
        spec('EchoFn', 'echo', { environment: { MARKER: 'echo-only' } }),
        spec('OtherEchoFn', 'echo', { environment: { OTHER_MARKER: 'other-only' } }),
        spec('FailsFn', 'fails'),
        spec('SlowFn', 'slow', { timeoutSeconds: 1 }),
        spec('BrokenFn', 'broken'),
      ],
    });
  });

  afterAll(() => runtime.close());

  it('gives each function its own environment variables and nothing of the host', async () => {
    process.env.MARKER = 'host-value';
    try {
      const echo = await runtime.invoke('EchoFn', {});
      const other = await runtime.invoke('OtherEchoFn', {});
      expect(echo).toMatchObject({ ok: true, payload: { marker: 'echo-only', otherMarker: null } });
      expect(other).toMatchObject({ ok: true, payload: { marker: null, otherMarker: 'other-only' } });
    } finally {
      delete process.env.MARKER;
    }
  });

  it('loads the code once and reuses the warm environment for later invocations', async () => {
    const first = await runtime.invokeOrThrow('EchoFn', { n: 1 });
    const second = await runtime.invokeOrThrow('EchoFn', { n: 2 });
    expect(second).toMatchObject({ invocations: (first as { invocations: number }).invocations + 1 });
    expect((second as { loadedAt: number }).loadedAt).toBe((first as { loadedAt: number }).loadedAt);
    expect(runtime.environmentCount('EchoFn')).toBe(1);
  });

  it('passes the event and a Lambda context to the handler', async () => {
    const payload = await runtime.invokeOrThrow('arn:aws:lambda:us-east-1:000000000000:function:EchoFn', {
      hello: 'world',
    });
    expect(payload).toMatchObject({
      event: { hello: 'world' },
      functionName: 'EchoFn',
      invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:EchoFn',
      requestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    const remaining = (payload as { remainingMs: number }).remainingMs;
    expect(remaining).toBeGreaterThan(0);
    expect(remaining).toBeLessThanOrEqual(10_000);
  });

  it('runs concurrent invocations in separate environments', async () => {
    await Promise.all([
      runtime.invoke('SlowFn', { sleepMs: 200 }),
      runtime.invoke('SlowFn', { sleepMs: 200 }),
    ]);
    expect(runtime.environmentCount('SlowFn')).toBe(2);
  });

  it('prefixes every line a function prints with its name', async () => {
    await runtime.invoke('OtherEchoFn', {});
    expect(lines).toContainEqual(expect.stringMatching(/^\[OtherEchoFn\] echo invoked \d+$/));
  });

  it('reports a thrown error as errorType and errorMessage', async () => {
    const result = await runtime.invoke('FailsFn', {});
    expect(result).toMatchObject({
      ok: false,
      error: { errorType: 'BerbixTransientError', errorMessage: 'Berbix answered 503' },
    });
    await expect(runtime.invokeOrThrow('FailsFn', {})).rejects.toMatchObject({
      name: 'BerbixTransientError',
      message: 'Berbix answered 503',
    });
  });

  it('discards an environment whose code crashes with an uncaught exception', async () => {
    const result = await runtime.invoke('FailsFn', { crash: true });
    expect(result).toMatchObject({ ok: false, error: { errorMessage: 'uncaught in a timer' } });
    const after = await runtime.invoke('FailsFn', {});
    expect(after).toMatchObject({ ok: false, error: { errorType: 'BerbixTransientError' } });
  });

  it('ends an invocation that runs past the timeout with Sandbox.Timedout and starts a fresh environment', async () => {
    const timedOut = await runtime.invoke('SlowFn', { sleepMs: 5_000 });
    expect(timedOut).toMatchObject({ ok: false, error: { errorType: 'Sandbox.Timedout' } });
    const next = await runtime.invoke('SlowFn', { sleepMs: 1 });
    expect(next).toMatchObject({ ok: true });
  });

  it('reports an error at cold start as a function error on every invocation', async () => {
    for (let i = 0; i < 2; i += 1) {
      const result = await runtime.invoke('BrokenFn', {});
      expect(result).toMatchObject({ ok: false, error: { errorMessage: 'REQUIRED_SETTING is not set' } });
    }
  });

  it('answers ResourceNotFoundException for a function it does not run', async () => {
    const result = await runtime.invoke('NoSuchFn', {});
    expect(result).toMatchObject({ ok: false, error: { errorType: 'ResourceNotFoundException' } });
  });
});
