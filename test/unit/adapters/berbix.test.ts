import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { berbixClientFactory, observedBerbixFetch, statusDimension } from '../../../lambdas/adapters/berbix';
import type { BerbixCallRecord } from '../../../lambdas/adapters/metrics';
import { XRayTracer } from '../../../lambdas/adapters/xray';
import type { BerbixSecrets } from '../../../lambdas/adapters/secrets';
import { BerbixServerError, type TokenSession } from '../../../lambdas/berbix';
import { FakeBerbix, tokenReply } from '../support/fake-berbix';

const berbix = new FakeBerbix();
let url = '';
beforeAll(async () => {
  url = await berbix.start();
});
afterAll(() => berbix.stop());
beforeEach(() => berbix.reset());

const TRACED = 'Root=1-67891233-abcdef012345678912345678;Parent=53995c3f42cd8ad8;Sampled=1';

/** The observed fetch with its metrics and subsegments collected. */
function observed(env: Record<string, string> = { _X_AMZN_TRACE_ID: TRACED }) {
  const calls: BerbixCallRecord[] = [];
  const segments: Record<string, unknown>[] = [];
  const tracer = new XRayTracer({ env, send: (doc) => segments.push(JSON.parse(doc.split('\n')[1]!)) });
  const fetch = observedBerbixFetch({ metrics: { berbixCall: (r) => calls.push(r) }, tracer });
  return { fetch, calls, segments };
}

const session = (): TokenSession => ({
  tokens: {
    transactionId: 4242,
    accessToken: 'access-token-secret',
    clientToken: 'client-token-secret',
    refreshToken: 'refresh-token-secret',
    expiresAt: Date.now() + 3_600_000,
  },
});

describe('the Berbix client factory', () => {
  it('keeps one client while the API secret is the same and builds another once it was rotated', async () => {
    let secret: BerbixSecrets = { apiSecret: 'secret_one' };
    const factory = berbixClientFactory(async () => secret, url);
    const first = await factory();
    expect(await factory()).toBe(first);
    secret = { apiSecret: 'secret_two' };
    const second = await factory();
    expect(second).not.toBe(first);
    berbix.on('POST /v0/transactions', tokenReply());
    await second.createTransaction({ customerUid: 'c', templateKey: 't' });
    expect(berbix.calls('POST /v0/transactions')[0]?.authorization).toBe(
      `Basic ${Buffer.from('secret_two:').toString('base64')}`,
    );
  });
});

describe('the observed Berbix fetch', () => {
  it('records every attempt of a call by call and status, Berbix faults as errors, with its latency', async () => {
    const { fetch, calls } = observed();
    const client = await berbixClientFactory(async () => ({ apiSecret: 'secret_one' }), url, { fetch })();
    berbix.on(
      'GET /v0/transactions',
      { status: 503, body: { message: 'down' } },
      {
        status: 200,
        body: { id: 4242, customer_uid: 'c', action: 'accept', flags: [], fields: {}, duplicates: [] },
      },
    );
    await client.getTransaction(session());
    expect(calls.map(({ call, status, error }) => ({ call, status, error }))).toEqual([
      { call: 'getTransaction', status: '503', error: true },
      { call: 'getTransaction', status: '200', error: false },
    ]);
    expect(calls.every((c) => c.latencyMs >= 0)).toBe(true);
  });

  it('counts a 409 and other refusals by status without calling them Berbix errors, and 429 as one', async () => {
    const { fetch, calls } = observed();
    const client = await berbixClientFactory(async () => ({ apiSecret: 'secret_one' }), url, { fetch })();
    berbix.on('POST /v0/images/upload', { status: 409, body: { next_step: 'upload_document_back' } });
    await client
      .uploadImages(session(), [{ subject: 'document_front', format: 'image/jpeg', data: Buffer.from('x') }])
      .catch(() => undefined);
    berbix.on('DELETE /v0/transactions', { status: 429, headers: { 'retry-after': '60' } });
    await client.deleteTransaction(session()).catch(() => undefined);
    expect(calls.map(({ call, status, error }) => `${call} ${status} ${error}`)).toEqual([
      'uploadImages 409 false',
      'deleteTransaction 429 true',
    ]);
  });

  it('records a request that got no answer as a network error and a timed-out one as a timeout', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const silentUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    const { fetch, calls, segments } = observed();
    await expect(
      fetch(
        `${silentUrl}/v0/transactions`,
        { signal: AbortSignal.timeout(50) },
        { operation: 'getTransaction' },
      ),
    ).rejects.toThrow();
    silent.closeAllConnections();
    silent.close();
    await expect(
      fetch('http://127.0.0.1:1/v0/tokens', { method: 'POST' }, { operation: 'refreshTokens' }),
    ).rejects.toThrow();
    expect(calls.map(({ call, status, error }) => `${call} ${status} ${error}`)).toEqual([
      'getTransaction timeout true',
      'refreshTokens network true',
    ]);
    expect(
      segments.map((s) => [s.fault, (s.cause as { exceptions: { type: string }[] }).exceptions[0]!.type]),
    ).toEqual([
      [true, 'timeout'],
      [true, 'network'],
    ]);
  });

  it('traces each request as a remote subsegment with the method, the URL path and the status, never a header or a body', async () => {
    const { fetch, segments } = observed();
    const client = await berbixClientFactory(async () => ({ apiSecret: 'secret_one' }), url, { fetch })();
    berbix.on('POST /v0/images/upload', { status: 502, body: { message: 'bad gateway' } });
    const images = [
      { subject: 'document_front' as const, format: 'image/jpeg' as const, data: Buffer.from('IMAGE-BYTES') },
    ];
    await expect(client.uploadImages(session(), images)).rejects.toBeInstanceOf(BerbixServerError);
    const { host } = new URL(url);
    expect(segments.length).toBeGreaterThan(1);
    expect(segments[0]).toMatchObject({
      type: 'subsegment',
      name: host,
      namespace: 'remote',
      http: { request: { method: 'POST', url: `${url}/v0/images/upload` }, response: { status: 502 } },
      annotations: { berbix_call: 'uploadImages' },
      fault: true,
    });
    const text = JSON.stringify(segments);
    for (const secret of ['client-token-secret', 'secret_one', Buffer.from('IMAGE-BYTES').toString('base64')])
      expect(text).not.toContain(secret);
  });

  it('sends no subsegment when the invocation is not traced, and still counts the call', async () => {
    const { fetch, calls, segments } = observed({});
    berbix.on('GET /v0/transactions', { status: 200, body: {} });
    await fetch(`${url}/v0/transactions`, {}, { operation: 'getTransaction' });
    expect(segments).toEqual([]);
    expect(calls).toHaveLength(1);
  });

  it('keeps the status dimension to a known set: unusual statuses by their class', () => {
    expect([200, 204, 409, 418, 503, 599, 302].map(statusDimension)).toEqual([
      '200',
      '204',
      '409',
      '4xx',
      '503',
      '5xx',
      '3xx',
    ]);
  });
});
