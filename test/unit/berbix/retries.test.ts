import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import {
  BerbixClient,
  BerbixNetworkError,
  BerbixRateLimitedError,
  BerbixServerError,
  type BerbixClientOptions,
  type TokenSession,
} from '../../../lambdas/berbix';
import { json, rejection, startServer, type TestServer } from './test-server';

let server: TestServer;
beforeEach(async () => {
  server = await startServer();
});
afterEach(async () => {
  server.handleEarly(undefined);
  await server.close();
});

function client(overrides: Partial<BerbixClientOptions> = {}): BerbixClient {
  return new BerbixClient({
    apiSecret: 'secret_test_retry',
    baseUrl: server.url,
    timeoutMs: 5_000,
    retry: { maxAttempts: 4, baseDelayMs: 1, maxDelayMs: 5, maxTotalMs: 10_000 },
    ...overrides,
  });
}

const session = (): TokenSession => ({
  tokens: {
    transactionId: 1,
    accessToken: 'a',
    clientToken: 'c',
    refreshToken: 'r',
    expiresAt: Date.now() + 3_600_000,
  },
});
const FRONT = { subject: 'document_front', format: 'image/jpeg', data: 'AAAA' } as const;
const CREATE = { customerUid: 'u', templateKey: 'k', apiOnlyOptions: {} };
const CREATED = {
  transaction_id: 1,
  access_token: 'a',
  client_token: 'c',
  refresh_token: 'r',
  expires_in: 3600,
  first_step: 'upload_document_front',
};
const TRANSACTION = { id: 1, customer_uid: 'u', flags: [], fields: {}, duplicates: [] };

/** A loopback port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

describe('retries of transient failures', () => {
  it('retries a 503 burst on an upload until it succeeds', async () => {
    server.handle((_req, res, n) =>
      n <= 3
        ? json(res, 503, { code: 503, message: 'unavailable' })
        : json(res, 200, { next_step: 'upload_document_back' }),
    );
    await expect(client().uploadImages(session(), [FRONT])).resolves.toMatchObject({
      nextStep: 'upload_document_back',
    });
    expect(server.requests).toHaveLength(4);
    expect(new Set(server.requests.map((r) => r.body)).size).toBe(1);
  });

  it('sends a streamed image body again, byte for byte, on every retry', async () => {
    const image = Buffer.alloc(200 * 1024 + 1);
    for (let i = 0; i < image.length; i++) image[i] = (i * 31) % 251;
    server.handle((_req, res, n) =>
      n <= 2 ? json(res, 503, { code: 503 }) : json(res, 200, { next_step: 'upload_document_back' }),
    );
    await expect(client().uploadImages(session(), [{ ...FRONT, data: image }])).resolves.toMatchObject({
      nextStep: 'upload_document_back',
    });
    const sent = JSON.stringify({
      images: [{ image_subject: 'document_front', format: 'image/jpeg', data: image.toString('base64') }],
    });
    expect(server.requests).toHaveLength(3);
    for (const request of server.requests) {
      expect(request.body).toBe(sent);
      expect(request.headers['content-length']).toBe(String(Buffer.byteLength(sent)));
    }
  });

  it("sends a streamed image again after a dropped connection under retry.unsafe 'converge'", async () => {
    const converging = client({
      retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5, unsafe: 'converge' },
    });
    const image = Buffer.alloc(64 * 1024, 9);
    server.handle((_req, res, n) =>
      n === 1 ? res.socket?.destroy() : json(res, 200, { next_step: 'upload_document_back' }),
    );
    await expect(converging.uploadImages(session(), [{ ...FRONT, data: image }])).resolves.toMatchObject({
      nextStep: 'upload_document_back',
    });
    expect(server.requests).toHaveLength(2);
    expect(server.requests[1]?.body).toBe(server.requests[0]?.body);
    expect(JSON.parse(server.requests[1]?.body ?? '').images[0].data).toBe(image.toString('base64'));
  });

  it('retries a 503 burst on create until it succeeds', async () => {
    server.handle((_req, res, n) => (n <= 2 ? json(res, 503, { code: 503 }) : json(res, 200, CREATED)));
    await expect(client().createTransaction(CREATE)).resolves.toMatchObject({
      transactionId: 1,
      firstStep: 'upload_document_front',
    });
    expect(server.requests).toHaveLength(3);
  });

  it('stops after maxAttempts and reports a retryable server error', async () => {
    server.handle((_req, res) => json(res, 503, { code: 503, message: 'unavailable' }));
    const error = await rejection(
      client({ retry: { maxAttempts: 3, baseDelayMs: 1 } }).getTransaction(session()),
    );
    expect(error).toBeInstanceOf(BerbixServerError);
    expect(error).toMatchObject({ status: 503, retryable: true, attempts: 3 });
    expect(server.requests).toHaveLength(3);
  });

  it('stops when the next wait would pass the total time budget', async () => {
    server.handle((_req, res) => json(res, 503, {}));
    // Full jitter with random() ≈ 1 waits ≈ min(baseDelayMs, maxDelayMs) = 4 s, beyond the 2 s budget.
    const c = client({
      random: () => 0.999,
      retry: { maxAttempts: 10, baseDelayMs: 5_000, maxTotalMs: 2_000 },
    });
    const error = await rejection(c.getTransaction(session()));
    expect(error).toMatchObject({ status: 503, attempts: 1 });
    expect(server.requests).toHaveLength(1);
  });

  it('retries a 500 on GET but never on an upload', async () => {
    server.handle((_req, res, n) => (n === 1 ? json(res, 500, { code: 500 }) : json(res, 200, TRANSACTION)));
    await expect(client().getTransaction(session())).resolves.toMatchObject({ id: 1 });
    expect(server.requests).toHaveLength(2);

    server.requests.length = 0;
    server.handle((_req, res) => json(res, 500, { code: 500, message: 'boom' }));
    const error = await rejection(client().uploadImages(session(), [FRONT]));
    expect(error).toBeInstanceOf(BerbixServerError);
    expect(error).toMatchObject({ status: 500, retryable: false, attempts: 1 });
    expect(server.requests).toHaveLength(1);
  });

  it("repeats create and uploads after a 500, a 504 or a reset under retry.unsafe 'converge'", async () => {
    const converging = client({
      retry: { maxAttempts: 4, baseDelayMs: 1, maxDelayMs: 5, unsafe: 'converge' },
    });
    server.handle((_req, res, n) =>
      n === 1
        ? json(res, 500, { code: 500 })
        : n === 2
          ? json(res, 504, { code: 504 })
          : n === 3
            ? res.socket?.destroy()
            : json(res, 200, { next_step: 'upload_document_back' }),
    );
    await expect(converging.uploadImages(session(), [FRONT])).resolves.toMatchObject({
      nextStep: 'upload_document_back',
    });
    expect(server.requests).toHaveLength(4);

    server.requests.length = 0;
    server.handle((_req, res, n) => (n === 1 ? json(res, 502, {}) : json(res, 200, CREATED)));
    await expect(converging.createTransaction(CREATE)).resolves.toMatchObject({ transactionId: 1 });
    expect(server.requests).toHaveLength(2);
  });

  it('refuses an unknown retry.unsafe policy', () => {
    expect(() => client({ retry: { unsafe: 'always' as never } })).toThrow(/retry.unsafe/);
  });

  it('retries a 502 with an HTML body on GET and reports it as a server error', async () => {
    server.handle((_req, res) =>
      res.writeHead(502, { 'Content-Type': 'text/html' }).end('<h1>Bad Gateway</h1>'),
    );
    const error = await rejection(
      client({ retry: { maxAttempts: 2, baseDelayMs: 1 } }).getTransaction(session()),
    );
    expect(error).toBeInstanceOf(BerbixServerError);
    expect(error).toMatchObject({ status: 502, berbixMessage: undefined, attempts: 2 });
  });

  it('retries a DELETE after a 500', async () => {
    server.handle((_req, res, n) => (n === 1 ? json(res, 500, {}) : res.writeHead(204).end()));
    await expect(client().deleteTransaction(session())).resolves.toBeUndefined();
    expect(server.requests.map((r) => r.method)).toEqual(['DELETE', 'DELETE']);
  });
});

describe('rate limiting', () => {
  it('retries a 429 with Retry-After: 0 and succeeds', async () => {
    server.handle((_req, res, n) =>
      n === 1 ? json(res, 429, { code: 429 }, { 'Retry-After': '0' }) : json(res, 200, { next_step: 'done' }),
    );
    await expect(client().uploadImages(session(), [FRONT])).resolves.toMatchObject({ nextStep: 'done' });
    expect(server.requests).toHaveLength(2);
  });

  it('honours a Retry-After in seconds beyond the budget by giving up at once and passing it on', async () => {
    server.handle((_req, res) =>
      json(res, 429, { code: 429, message: 'slow down' }, { 'Retry-After': '120' }),
    );
    const error = await rejection(client().uploadImages(session(), [FRONT]));
    expect(error).toBeInstanceOf(BerbixRateLimitedError);
    expect(error).toMatchObject({ status: 429, retryAfterMs: 120_000, retryable: true, attempts: 1 });
    expect(server.requests).toHaveLength(1);
  });

  it('understands Retry-After as an HTTP date', async () => {
    const inTwoMinutes = new Date(Date.now() + 120_000).toUTCString();
    server.handle((_req, res) => json(res, 429, { code: 429 }, { 'Retry-After': inTwoMinutes }));
    const error = (await rejection(client().getTransaction(session()))) as BerbixRateLimitedError;
    expect(error).toBeInstanceOf(BerbixRateLimitedError);
    expect(error.retryAfterMs).toBeGreaterThan(100_000);
    expect(error.retryAfterMs).toBeLessThanOrEqual(120_000);
    expect(server.requests).toHaveLength(1);
  });

  it('retries at once after a Retry-After date in the past', async () => {
    const past = new Date(Date.now() - 60_000).toUTCString();
    server.handle((_req, res, n) =>
      n === 1 ? json(res, 429, {}, { 'Retry-After': past }) : json(res, 200, TRANSACTION),
    );
    await expect(client().getTransaction(session())).resolves.toMatchObject({ id: 1 });
    expect(server.requests).toHaveLength(2);
  });
  it('passes a 503 Retry-After beyond the budget on to the caller of an upload', async () => {
    server.handle((_req, res) => json(res, 503, { code: 503 }, { 'Retry-After': '600' }));
    const error = await rejection(client().uploadImages(session(), [FRONT]));
    expect(error).toBeInstanceOf(BerbixServerError);
    expect(error).toMatchObject({ status: 503, retryAfterMs: 600_000, retryable: true, attempts: 1 });
  });

  it('retries a token refresh on 429 and 5xx like every idempotent call', async () => {
    server.handle((_req, res, n) =>
      n === 1
        ? json(res, 429, {}, { 'Retry-After': '0' })
        : n === 2
          ? json(res, 502, {})
          : json(res, 200, CREATED),
    );
    await expect(client().refreshTokens('r')).resolves.toMatchObject({ accessToken: 'a' });
    expect(server.requests.map((r) => r.path)).toEqual(['/v0/tokens', '/v0/tokens', '/v0/tokens']);
  });
});

describe('timeouts', () => {
  it('times out each attempt of a GET and retries it within the bound', async () => {
    server.handle(() => undefined); // never answers
    const error = await rejection(
      client({ timeoutMs: 500, retry: { maxAttempts: 2, baseDelayMs: 1 } }).getTransaction(session()),
    );
    expect(error).toBeInstanceOf(BerbixNetworkError);
    expect(error).toMatchObject({
      failure: 'timeout',
      retryable: true,
      attempts: 2,
      mayHaveReachedBerbix: true,
    });
    expect(server.requests).toHaveLength(2);
  });

  it('does not repeat an upload that timed out, since Berbix may have processed it', async () => {
    server.handle(() => undefined);
    const error = await rejection(client({ timeoutMs: 500 }).uploadImages(session(), [FRONT]));
    expect(error).toBeInstanceOf(BerbixNetworkError);
    expect(error).toMatchObject({
      failure: 'timeout',
      retryable: false,
      mayHaveReachedBerbix: true,
      attempts: 1,
    });
    expect(server.requests).toHaveLength(1);
  });

  it('applies a per-call timeout over the client default', async () => {
    server.handle(() => undefined);
    const c = client({ timeoutMs: 60_000, retry: { maxAttempts: 1 } });
    const error = await rejection(c.getTransaction(session(), { timeoutMs: 30 }));
    expect(error).toMatchObject({ failure: 'timeout' });
  });

  it('times out a response whose body stalls after the headers', async () => {
    server.handle((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write('{"id":');
    });
    const error = await rejection(
      client({ timeoutMs: 50, retry: { maxAttempts: 1 } }).getTransaction(session()),
    );
    expect(error).toMatchObject({ failure: 'timeout' });
  });

  it('stops at once when the caller aborts, without retrying', async () => {
    const controller = new AbortController();
    server.handle(() => controller.abort()); // abort once Berbix has the request, never answer
    const error = await rejection(client().getTransaction(session(), { signal: controller.signal }));
    expect(error).toBeInstanceOf(BerbixNetworkError);
    expect(error).toMatchObject({ failure: 'aborted', retryable: false, attempts: 1 });
    expect(server.requests).toHaveLength(1);
  });

  it('does not start a call whose signal is already aborted', async () => {
    const error = await rejection(client().getTransaction(session(), { signal: AbortSignal.abort() }));
    expect(error).toMatchObject({ failure: 'aborted', mayHaveReachedBerbix: false });
    expect(server.requests).toHaveLength(0);
  });
});

describe('connection failures', () => {
  it('retries a GET after the connection is reset and succeeds', async () => {
    server.handle((_req, res, n) => (n <= 2 ? res.socket?.destroy() : json(res, 200, TRANSACTION)));
    await expect(client().getTransaction(session())).resolves.toMatchObject({ id: 1 });
    expect(server.requests).toHaveLength(3);
  });

  it('retries a token refresh after a reset', async () => {
    server.handle((_req, res, n) => (n === 1 ? res.socket?.destroy() : json(res, 200, CREATED)));
    await expect(client().refreshTokens('r')).resolves.toMatchObject({ accessToken: 'a', refreshToken: 'r' });
    expect(server.requests).toHaveLength(2);
  });

  it('does not blindly repeat an upload whose connection was reset mid-request', async () => {
    // The server takes the request and drops the connection before reading the whole body.
    server.handleEarly((req) => {
      req.socket.destroy();
      return true;
    });
    const big = Buffer.alloc(256 * 1024, 7).toString('base64');
    const error = await rejection(client().uploadImages(session(), [{ ...FRONT, data: big }]));
    expect(error).toBeInstanceOf(BerbixNetworkError);
    expect(error).toMatchObject({
      failure: 'connection_reset',
      mayHaveReachedBerbix: true,
      retryable: false,
      attempts: 1,
    });
    expect(server.requests).toHaveLength(1);
  });

  it('does not repeat a create whose connection was reset after Berbix read it', async () => {
    server.handle((_req, res) => res.socket?.destroy());
    const error = await rejection(client().createTransaction(CREATE));
    expect(error).toMatchObject({
      failure: 'connection_reset',
      mayHaveReachedBerbix: true,
      retryable: false,
    });
    expect(server.requests).toHaveLength(1);
  });

  it('retries an upload whose connection was refused, because nothing was sent', async () => {
    const port = await closedPort();
    const c = client({ baseUrl: `http://127.0.0.1:${port}`, retry: { maxAttempts: 3, baseDelayMs: 1 } });
    const error = await rejection(c.uploadImages(session(), [FRONT]));
    expect(error).toBeInstanceOf(BerbixNetworkError);
    expect(error).toMatchObject({
      failure: 'connection_refused',
      mayHaveReachedBerbix: false,
      retryable: true,
      attempts: 3,
    });
  });
});
