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

describe('the local Lambda runtime under load', () => {
  const runtimes: LambdaRuntime[] = [];
  const lines: string[] = [];
  const start = (options: Partial<Parameters<typeof createLambdaRuntime>[0]> = {}) => {
    const runtime = createLambdaRuntime({
      log: (line) => lines.push(line),
      functions: [spec('SlowFn', 'slow'), spec('EchoFn', 'echo'), spec('OtherEchoFn', 'echo')],
      ...options,
    });
    runtimes.push(runtime);
    return runtime;
  };
  /** Polls `probe` every few ms while `work` runs, and answers the highest value it saw. */
  const peakDuring = async (probe: () => number, work: Promise<unknown>) => {
    let peak = probe();
    const timer = setInterval(() => (peak = Math.max(peak, probe())), 2);
    await work;
    clearInterval(timer);
    return Math.max(peak, probe());
  };

  afterAll(() => Promise.all(runtimes.map((r) => r.close())));

  it('queues invocations beyond the environments allowed per function, and runs them all', async () => {
    const runtime = start({ maxConcurrency: 2, maxInvocationsPerEnvironment: 1 });
    const calls = Promise.all(Array.from({ length: 6 }, () => runtime.invoke('SlowFn', { sleepMs: 100 })));
    const peak = await peakDuring(() => runtime.environmentCount('SlowFn'), calls);
    expect((await calls).every((r) => r.ok)).toBe(true);
    expect(peak).toBeLessThanOrEqual(2);
  });

  it('shares the busy environments once no more may start, instead of queueing behind them', async () => {
    const runtime = start({ maxConcurrency: 1, maxInvocationsPerEnvironment: 4 });
    const calls = Promise.all(
      Array.from({ length: 4 }, () => runtime.invokeOrThrow('SlowFn', { sleepMs: 200 })),
    );
    const peakBusy = await peakDuring(() => runtime.stats().busy, calls);
    const counts = ((await calls) as { invocations: number }[]).map((r) => r.invocations).sort();
    // One environment ran all four at once: each, answering after its sleep, saw the module-level
    // counter the other three had raised meanwhile.
    expect(counts).toEqual([4, 4, 4, 4]);
    expect(peakBusy).toBe(1);
    expect(runtime.environmentCount('SlowFn')).toBe(1);
  });

  it('starts no more cold starts at once than allowed, reusing environments that free up', async () => {
    const runtime = start({ maxConcurrency: 4, maxConcurrentColdStarts: 1 });
    const calls = Promise.all(Array.from({ length: 8 }, () => runtime.invoke('SlowFn', { sleepMs: 50 })));
    const peakStarting = await peakDuring(() => runtime.stats().starting, calls);
    expect((await calls).every((r) => r.ok)).toBe(true);
    expect(peakStarting).toBe(1);
    expect(runtime.stats().coldStarts).toBeLessThanOrEqual(4);
  });

  it('ends the longest-idle environment of another function to stay within the total', async () => {
    const runtime = start({ maxEnvironments: 2 });
    await runtime.invoke('EchoFn', {});
    await runtime.invoke('OtherEchoFn', {});
    const slow = runtime.invoke('SlowFn', { sleepMs: 100 });
    await expect(slow).resolves.toMatchObject({ ok: true });
    expect(runtime.environmentCount()).toBeLessThanOrEqual(2);
    expect(runtime.stats().reclaimed).toBeGreaterThanOrEqual(1);
  });

  it('always gives a function its first environment, even when the total is reached by busy ones', async () => {
    const runtime = start({ maxEnvironments: 1, maxConcurrentColdStarts: 1 });
    const slow = runtime.invoke('SlowFn', { sleepMs: 300 });
    const echo = runtime.invoke('EchoFn', { while: 'SlowFn is busy' });
    await expect(echo).resolves.toMatchObject({ ok: true, payload: { event: { while: 'SlowFn is busy' } } });
    await expect(slow).resolves.toMatchObject({ ok: true });
  });

  it('ends environments left idle past the idle time, and cold-starts afresh afterwards', async () => {
    const runtime = start({ idleTimeoutMs: 100 });
    const first = (await runtime.invokeOrThrow('EchoFn', {})) as { loadedAt: number; invocations: number };
    const deadline = Date.now() + 10_000;
    while (runtime.environmentCount('EchoFn') > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(runtime.environmentCount('EchoFn')).toBe(0);
    const again = (await runtime.invokeOrThrow('EchoFn', {})) as { invocations: number };
    expect(again.invocations).toBe(1);
    expect(first.invocations).toBe(1);
    expect(runtime.stats().reclaimed).toBeGreaterThanOrEqual(1);
  });

  it("writes Lambda's REPORT line after each invocation, with the init duration after a cold start", async () => {
    const runtime = start();
    lines.length = 0;
    await runtime.invoke('OtherEchoFn', {});
    await runtime.invoke('OtherEchoFn', {});
    const reports = lines.filter((l) => l.startsWith('[OtherEchoFn] REPORT '));
    expect(reports).toHaveLength(2);
    expect(reports[0]).toMatch(
      /^\[OtherEchoFn\] REPORT RequestId: [0-9a-f-]{36}\tDuration: [\d.]+ ms\tBilled Duration: \d+ ms\tMemory Size: 128 MB\tInit Duration: [\d.]+ ms$/,
    );
    expect(reports[1]).not.toContain('Init Duration');
  });
});
