import { presets } from '../../local/test-images';
import { useSandbox } from './helpers';

const ctx = useSandbox();
const front = presets.driversLicenseFront().bytes;

describe('the sandbox injects faults on demand', () => {
  afterEach(() => ctx.sandbox.clearFaults());

  it('fails a deterministic burst of calls on one path, then serves normally', async () => {
    const tokens = await ctx.client.create({ idType: 'DL' });
    ctx.sandbox.setFaults({
      burst: { status: 503, count: 3, paths: ['/v0/images/upload'], retryAfterSeconds: 2 },
    });
    for (let i = 0; i < 3; i++) {
      const result = await ctx.client.upload(tokens, 'document_front', front);
      expect(result).toMatchObject({
        status: 503,
        body: { code: 503, readable: expect.any(String), message: expect.any(String) },
      });
      expect(result.headers.get('retry-after')).toBe('2');
      // other paths are untouched during the burst
      expect((await ctx.client.transaction(tokens)).status).toBe(200);
    }
    // The failed calls changed nothing: the front is still awaited and accepted now.
    expect((await ctx.client.upload(tokens, 'document_front', front)).body).toMatchObject({
      next_step: 'upload_document_back',
    });
  });

  it('answers every call with 429 and Retry-After at a rate of 1', async () => {
    ctx.sandbox.setFaults({ rates: { status429: 1 }, retryAfterSeconds: 7 });
    const result = await ctx.client.call('POST', '/v0/transactions', { auth: ctx.client.basic, body: {} });
    expect(result).toMatchObject({ status: 429, body: { code: 429 } });
    expect(result.headers.get('retry-after')).toBe('7');
  });

  it('answers 500 without Retry-After, only on the configured paths', async () => {
    const tokens = await ctx.client.create();
    ctx.sandbox.setFaults({ rates: { status500: 1 }, paths: ['/v0/transactions'] });
    const failed = await ctx.client.transaction(tokens);
    expect(failed.status).toBe(500);
    expect(failed.headers.get('retry-after')).toBeNull();
    expect((await ctx.client.upload(tokens, 'document_front', front)).status).toBe(200);
  });

  it('replays the same mix of faults for the same seed, in about the configured shares', async () => {
    const tokens = await ctx.client.create();
    const run = async () => {
      ctx.sandbox.setFaults({ seed: 42, rates: { status500: 0.2, status503: 0.2, status429: 0.1 } });
      const statuses: number[] = [];
      for (let i = 0; i < 100; i++) statuses.push((await ctx.client.transaction(tokens)).status);
      return statuses;
    };
    const first = await run();
    expect(await run()).toEqual(first);
    const count = (status: number) => first.filter((s) => s === status).length;
    for (const [status, share] of [
      [500, 20],
      [503, 20],
      [429, 10],
      [200, 50],
    ] as const) {
      expect(count(status)).toBeGreaterThan(share / 2);
      expect(count(status)).toBeLessThan(share * 2);
    }
  });

  it('drops the connection before handling the call, then serves normally', async () => {
    const tokens = await ctx.client.create();
    ctx.sandbox.setFaults({ burst: { status: 'drop', count: 1 } });
    await expect(ctx.client.transaction(tokens)).rejects.toThrow();
    expect((await ctx.client.transaction(tokens)).status).toBe(200);
    expect(ctx.sandbox.calls().filter((c) => c.status === null)).toEqual([
      expect.objectContaining({ path: '/v0/transactions', fault: 'burst' }),
    ]);
  });

  it('can drop the connection after handling an upload, which then has reached Berbix', async () => {
    const tokens = await ctx.client.create({ idType: 'DL' });
    const logged = ctx.sandbox.calls().length;
    ctx.sandbox.setFaults({
      burst: { status: 'drop', count: 1, phase: 'after', paths: ['/v0/images/upload'] },
    });
    await expect(ctx.client.upload(tokens, 'document_front', front)).rejects.toThrow();
    const repeat = await ctx.client.upload(tokens, 'document_front', front);
    expect(repeat).toMatchObject({ status: 409, body: { next_step: 'upload_document_back' } });
    // The log tells a dropped upload Berbix took from a dropped repeat it refused.
    ctx.sandbox.setFaults({
      burst: { status: 'drop', count: 1, phase: 'after', paths: ['/v0/images/upload'] },
    });
    await expect(ctx.client.upload(tokens, 'document_front', front)).rejects.toThrow();
    const uploads = ctx.sandbox
      .calls()
      .slice(logged)
      .filter((c) => c.path === '/v0/images/upload');
    expect(uploads.map((c) => [c.status, c.handledStatus])).toEqual([
      [null, 200],
      [409, undefined],
      [null, 409],
    ]);
  });

  it('adds latency to every call', async () => {
    const tokens = await ctx.client.create();
    ctx.sandbox.setFaults({ latencyMs: 250 });
    const started = performance.now();
    expect((await ctx.client.transaction(tokens)).status).toBe(200);
    // A lower bound only: the sandbox waited at least this long before answering.
    expect(performance.now() - started).toBeGreaterThanOrEqual(245);
  });

  it('is driven over HTTP under /_sandbox/faults, and refuses an invalid config with 400', async () => {
    const put = await ctx.client.call('PUT', '/_sandbox/faults', {
      body: { burst: { status: 503, count: 2, paths: ['/v0/tokens'] } },
    });
    expect(put).toMatchObject({ status: 200, body: { burstRemaining: 2 } });
    const refresh = await ctx.client.call('POST', '/v0/tokens', { auth: ctx.client.basic, body: {} });
    expect(refresh.status).toBe(503);
    expect((await ctx.client.call('GET', '/_sandbox/faults')).body).toMatchObject({ burstRemaining: 1 });
    expect((await ctx.client.call('DELETE', '/_sandbox/faults')).status).toBe(204);
    const invalid = await ctx.client.call('PUT', '/_sandbox/faults', { body: { rates: { status500: 2 } } });
    expect(invalid).toMatchObject({ status: 400, body: { code: 400, message: expect.any(String) } });
  });

  it('scopes faults to the transactions of one customer_uid prefix, by create body and by token', async () => {
    const mine = await ctx.client.create({ customerUid: 'scope-a-1', idType: 'DL' });
    const theirs = await ctx.client.create({ customerUid: 'other-1', idType: 'DL' });
    ctx.sandbox.setFaults({ customerUidPrefix: 'scope-a-', rates: { status502: 1 } });

    expect((await ctx.client.upload(mine, 'document_front', front)).status).toBe(502);
    expect((await ctx.client.transaction(mine)).status).toBe(502);
    const create = await ctx.client.call('POST', '/v0/transactions', {
      auth: ctx.client.basic,
      body: {
        customer_uid: 'scope-a-2',
        template_key: ctx.sandbox.templateKeys.frontBack,
        api_only_options: {},
      },
    });
    expect(create.status).toBe(502);
    // Everyone else is served normally, and clearing the scope ends its faults.
    expect((await ctx.client.upload(theirs, 'document_front', front)).status).toBe(200);
    ctx.sandbox.clearFaults('scope-a-');
    expect((await ctx.client.upload(mine, 'document_front', front)).status).toBe(200);
  });

  it('takes the faults of the longest matching prefix over the unscoped ones', async () => {
    const tokens = await ctx.client.create({ customerUid: 'scope-b-long-1' });
    ctx.sandbox.setFaults({ rates: { status500: 1 } });
    ctx.sandbox.setFaults({ customerUidPrefix: 'scope-b-', rates: { status503: 1 } });
    ctx.sandbox.setFaults({ customerUidPrefix: 'scope-b-long-', rates: { status504: 1 } });
    expect((await ctx.client.transaction(tokens)).status).toBe(504);
    ctx.sandbox.clearFaults();
    expect((await ctx.client.transaction(tokens)).status).toBe(200);
  });

  it('drops the connection after handling a call at a rate, so Berbix did the work', async () => {
    const tokens = await ctx.client.create({ customerUid: 'scope-c-1', idType: 'DL' });
    ctx.sandbox.setFaults({
      customerUidPrefix: 'scope-c-',
      rates: { dropAfter: 1 },
      paths: ['/v0/images/upload'],
    });
    await expect(ctx.client.upload(tokens, 'document_front', front)).rejects.toThrow();
    ctx.sandbox.clearFaults('scope-c-');
    const repeat = await ctx.client.upload(tokens, 'document_front', front);
    expect(repeat).toMatchObject({ status: 409, body: { next_step: 'upload_document_back' } });
  });

  it('adds latency spikes to a share of calls', async () => {
    const tokens = await ctx.client.create();
    ctx.sandbox.setFaults({ spikes: { rate: 1, ms: 200 } });
    const started = performance.now();
    expect((await ctx.client.transaction(tokens)).status).toBe(200);
    // A lower bound only: the spike was served before the answer.
    expect(performance.now() - started).toBeGreaterThanOrEqual(195);
  });
});
