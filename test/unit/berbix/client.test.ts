import {
  BerbixAuthError,
  BerbixClient,
  BerbixConflictError,
  BerbixGoneError,
  BerbixNetworkError,
  BerbixPayloadTooLargeError,
  BerbixProtocolError,
  BerbixRequestError,
  type BerbixClientOptions,
  type BerbixTokens,
  type TokenSession,
} from '../../../lambdas/berbix';
import { json, rejection, startServer, type TestServer } from './test-server';

const API_SECRET = 'secret_test_0123456789abcdef0123456789abcdef';
const BASIC = `Basic ${Buffer.from(`${API_SECRET}:`).toString('base64')}`;
const NOW = 1_800_000_000_000;

let server: TestServer;
beforeEach(async () => {
  server = await startServer();
});
afterEach(async () => {
  await server.close();
});

function client(overrides: Partial<BerbixClientOptions> = {}): BerbixClient {
  return new BerbixClient({
    apiSecret: API_SECRET,
    baseUrl: server.url,
    timeoutMs: 5_000,
    retry: { maxAttempts: 4, baseDelayMs: 1, maxDelayMs: 5, maxTotalMs: 10_000 },
    now: () => NOW,
    ...overrides,
  });
}

function tokens(overrides: Partial<BerbixTokens> = {}): BerbixTokens {
  return {
    transactionId: 42,
    accessToken: 'access-1',
    clientToken: 'client-1',
    refreshToken: 'refresh-1',
    expiresAt: NOW + 3_600_000,
    ...overrides,
  };
}

const session = (t: Partial<BerbixTokens> = {}): TokenSession => ({ tokens: tokens(t) });
const FRONT = {
  subject: 'document_front',
  format: 'image/jpeg',
  data: new Uint8Array([0xff, 0xd8, 0xff, 0xe0]),
} as const;
const TOKEN_RESPONSE = {
  transaction_id: 42,
  access_token: 'access-2',
  client_token: 'client-2',
  expires_in: 3600,
};
const OK_UPLOAD = { next_step: 'upload_document_back', issues: [], issue_details: {} };

describe('the Berbix client endpoints', () => {
  it('creates an API-only transaction with Basic auth and returns the tokens, absolute expiry and first step', async () => {
    server.handle((_req, res) =>
      json(res, 200, {
        ...TOKEN_RESPONSE,
        access_token: 'a',
        client_token: 'c',
        refresh_token: 'r',
        first_step: 'upload_document_front',
      }),
    );

    const created = await client().createTransaction({
      customerUid: 'user-7',
      templateKey: 'tpk_test',
      email: 'ada@example.com',
      apiOnlyOptions: { idCountry: 'CA', idType: 'P' },
    });

    expect(created).toEqual({
      transactionId: 42,
      accessToken: 'a',
      clientToken: 'c',
      refreshToken: 'r',
      expiresAt: NOW + 3_600_000,
      firstStep: 'upload_document_front',
    });
    const [req] = server.requests;
    expect(req?.method).toBe('POST');
    expect(req?.path).toBe('/v0/transactions');
    expect(req?.headers.authorization).toBe(BASIC);
    expect(req?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(req?.body ?? '')).toEqual({
      customer_uid: 'user-7',
      template_key: 'tpk_test',
      email: 'ada@example.com',
      api_only_options: { id_country: 'CA', id_type: 'P' },
    });
  });

  it('sends an empty api_only_options object when API-only is asked for without options', async () => {
    server.handle((_req, res) =>
      json(res, 200, { ...TOKEN_RESPONSE, refresh_token: 'r', first_step: 'upload_document_front' }),
    );
    await client().createTransaction({ customerUid: 'u', templateKey: 'k', apiOnlyOptions: {} });
    expect(JSON.parse(server.requests[0]?.body ?? '')).toEqual({
      customer_uid: 'u',
      template_key: 'k',
      api_only_options: {},
    });
  });

  it('sends no api_only_options and returns no first step for a plain transaction', async () => {
    server.handle((_req, res) => json(res, 200, { ...TOKEN_RESPONSE, refresh_token: 'r' }));
    const created = await client().createTransaction({ customerUid: 'u', templateKey: 'k' });
    expect(JSON.parse(server.requests[0]?.body ?? '')).toEqual({ customer_uid: 'u', template_key: 'k' });
    expect(created.firstStep).toBeUndefined();
  });

  it('refuses an unknown country code or id type before calling Berbix', async () => {
    const c = client();
    const bad = await rejection(
      c.createTransaction({ customerUid: 'u', templateKey: 'k', apiOnlyOptions: { idCountry: 'XX' } }),
    );
    expect(bad).toBeInstanceOf(BerbixRequestError);
    expect(bad).toMatchObject({ code: 'invalid_input', retryable: false });
    const idType = 'XX' as unknown as 'P'; // as from untyped input
    await expect(
      c.createTransaction({ customerUid: 'u', templateKey: 'k', apiOnlyOptions: { idType } }),
    ).rejects.toBeInstanceOf(BerbixRequestError);
    expect(server.requests).toHaveLength(0);
  });

  it('refuses a malformed session token before calling Berbix, without echoing it', async () => {
    const error = await rejection(client().getTransaction(session({ accessToken: 'tok\r\nX-Injected: 1' })));
    expect(error).toBeInstanceOf(BerbixRequestError);
    expect(error).toMatchObject({ code: 'invalid_input', operation: 'getTransaction' });
    expect(String(error)).not.toContain('Injected');
    expect(server.requests).toHaveLength(0);
  });

  it('refuses to be built without a usable API secret', () => {
    expect(() => new BerbixClient({ apiSecret: '' })).toThrow(TypeError);
    expect(() => new BerbixClient({ apiSecret: 'secret with spaces' })).toThrow(TypeError);
    expect(() => new BerbixClient({ apiSecret: 'secret_test_x', baseUrl: 'ftp://berbix' })).toThrow(
      TypeError,
    );
  });

  it('refreshes tokens with the refresh grant and keeps the refresh token the response omits', async () => {
    server.handle((_req, res) => json(res, 200, TOKEN_RESPONSE));
    const refreshed = await client().refreshTokens('refresh-1');
    expect(refreshed).toEqual({ ...tokens({ accessToken: 'access-2', clientToken: 'client-2' }) });
    const [req] = server.requests;
    expect(req).toMatchObject({ method: 'POST', path: '/v0/tokens' });
    expect(req?.headers.authorization).toBe(BASIC);
    expect(JSON.parse(req?.body ?? '')).toEqual({ grant_type: 'refresh_token', refresh_token: 'refresh-1' });
  });

  it('uploads images base64-encoded with the client token and returns the next step and issues', async () => {
    server.handle((_req, res) =>
      json(res, 200, {
        next_step: 'upload_document_front',
        issues: ['unsupported_id_type', 'text_unreadable', 'brand_new_issue'],
        issue_details: { unsupported_id_type: { visa_page_of_passport: true } },
      }),
    );
    const outcome = await client().uploadImages(session(), [
      { ...FRONT, extractedBarcode: { barcodeType: 'pdf417', extractedData: 'QUJD' } },
      { subject: 'document_back', format: 'image/png', data: 'iVBORw0KGgo=' },
    ]);

    expect(outcome).toEqual({
      nextStep: 'upload_document_front',
      issues: ['unsupported_id_type', 'text_unreadable'],
      issueDetails: { unsupported_id_type: { visa_page_of_passport: true } },
      unrecognizedIssues: ['brand_new_issue'],
    });
    const [req] = server.requests;
    expect(req).toMatchObject({ method: 'POST', path: '/v0/images/upload' });
    expect(req?.headers.authorization).toBe('Bearer client-1');
    expect(JSON.parse(req?.body ?? '')).toEqual({
      images: [
        {
          image_subject: 'document_front',
          format: 'image/jpeg',
          data: Buffer.from(FRONT.data).toString('base64'),
          supplementary_data: { extracted_barcode: { barcode_type: 'pdf417', extracted_data: 'QUJD' } },
        },
        { image_subject: 'document_back', format: 'image/png', data: 'iVBORw0KGgo=' },
      ],
    });
  });

  it('streams image bytes as exactly the JSON body JSON.stringify would write, with its Content-Length', async () => {
    server.handle((_req, res) => json(res, 200, { next_step: 'upload_document_back' }));
    const image = Buffer.alloc(1024 * 1024 + 2);
    for (let i = 0; i < image.length; i++) image[i] = (i * 7) & 0xff;
    await client().uploadImages(session(), [
      { subject: 'document_front', format: 'image/jpeg', data: image },
      { subject: 'document_back', format: 'image/png', data: new Uint8Array(image.buffer, 5, 10) },
    ]);
    const expected = JSON.stringify({
      images: [
        { image_subject: 'document_front', format: 'image/jpeg', data: image.toString('base64') },
        {
          image_subject: 'document_back',
          format: 'image/png',
          data: Buffer.from(image.buffer, 5, 10).toString('base64'),
        },
      ],
    });
    const [req] = server.requests;
    expect(req?.body).toBe(expected);
    expect(req?.headers['content-length']).toBe(String(Buffer.byteLength(expected)));
    expect(req?.headers['transfer-encoding']).toBeUndefined();
    expect(req?.headers['content-type']).toBe('application/json');
  });

  it('reports an upload without issues as an empty list and empty details', async () => {
    server.handle((_req, res) => json(res, 200, { next_step: 'done' }));
    await expect(client().uploadImages(session(), [FRONT])).resolves.toEqual({
      nextStep: 'done',
      issues: [],
      issueDetails: {},
    });
  });

  it('accepts a 20 MiB image given as a base64 string', async () => {
    server.handle((_req, res) => json(res, 200, { next_step: 'upload_document_back' }));
    const data = Buffer.alloc(20 * 1024 * 1024, 0x5a).toString('base64');
    await expect(client().uploadImages(session(), [{ ...FRONT, data }])).resolves.toMatchObject({
      nextStep: 'upload_document_back',
    });
    expect(server.requests[0]?.body.length).toBeGreaterThan(data.length);
  });

  it('refuses image data that is neither bytes nor base64 without echoing it', async () => {
    const error = await rejection(
      client().uploadImages(session(), [{ ...FRONT, data: 'not base64 at all!' }]),
    );
    expect(error).toBeInstanceOf(BerbixRequestError);
    expect(String(error)).not.toContain('not base64 at all');
    for (const data of ['QUJ', 'QU=D', 'QUJD\n']) {
      await expect(client().uploadImages(session(), [{ ...FRONT, data }])).rejects.toMatchObject({
        code: 'invalid_input',
      });
    }
    expect(server.requests).toHaveLength(0);
  });

  it('uploads a PDF417 id scan with the client token', async () => {
    server.handle((_req, res) =>
      json(res, 200, { next_step: 'upload_document_front', issues: ['incomplete_barcode_detected'] }),
    );
    const outcome = await client().uploadIdScan(session(), {
      scanType: 'pdf417',
      extractedData: new TextEncoder().encode('@\nANSI '),
    });
    expect(outcome).toEqual({
      nextStep: 'upload_document_front',
      issues: ['incomplete_barcode_detected'],
      issueDetails: {},
    });
    const [req] = server.requests;
    expect(req).toMatchObject({ method: 'POST', path: '/v0/idscans/upload' });
    expect(req?.headers.authorization).toBe('Bearer client-1');
    expect(JSON.parse(req?.body ?? '')).toEqual({
      id_scans: [{ scan_type: 'pdf417', extracted_data: Buffer.from('@\nANSI ').toString('base64') }],
    });
  });

  it('fetches the transaction with the access token, no body, and returns the typed result', async () => {
    const wire = {
      entity: 'transaction_metadata',
      id: 42,
      customer_uid: 'user-7',
      action: 'accept',
      flags: ['id_under_21', 'custom_flag'],
      fields: {
        given_name: {
          value: 'Ada',
          confidence: 'high',
          sources: [{ value: 'Ada', type: 'barcode', confidence: 'high' }],
        },
        age: { value: 35, confidence: 'high', sources: null },
        broken: { confidence: 'high' },
      },
      images: { front: { full_image: 'https://img/front', cropped_image: null }, back: null },
      duplicates: [{ customer_uid: 'user-3', transaction_id: 7 }],
      dashboard_url: 'https://dashboard/42',
      created_at: '2026-11-27T01:00:00Z',
      completed_at: '2026-11-27T01:05:00Z',
      implementation_info: 'test mode',
      addons: { ignored: true },
    };
    server.handle((_req, res) => json(res, 200, wire));

    const result = await client().getTransaction(session());

    expect(result).toEqual({
      entity: 'transaction_metadata',
      id: 42,
      customer_uid: 'user-7',
      action: 'accept',
      flags: ['id_under_21', 'custom_flag'],
      fields: {
        given_name: {
          value: 'Ada',
          confidence: 'high',
          sources: [{ value: 'Ada', type: 'barcode', confidence: 'high' }],
        },
        age: { value: '35', confidence: 'high', sources: [] },
      },
      images: { front: { full_image: 'https://img/front' } },
      duplicates: [{ customer_uid: 'user-3', transaction_id: 7 }],
      dashboard_url: 'https://dashboard/42',
      created_at: '2026-11-27T01:00:00Z',
      completed_at: '2026-11-27T01:05:00Z',
      implementation_info: 'test mode',
    });
    const [req] = server.requests;
    expect(req).toMatchObject({ method: 'GET', path: '/v0/transactions', body: '' });
    expect(req?.headers.authorization).toBe('Bearer access-1');
    expect(req?.headers['content-type']).toBeUndefined();
  });

  it('deletes the transaction with the access token and accepts 204', async () => {
    server.handle((_req, res) => res.writeHead(204).end());
    await expect(client().deleteTransaction(session())).resolves.toBeUndefined();
    expect(server.requests[0]).toMatchObject({ method: 'DELETE', path: '/v0/transactions', body: '' });
    expect(server.requests[0]?.headers.authorization).toBe('Bearer access-1');
  });
});

describe('the fetch the client sends with', () => {
  it('sends every request through the given fetch, each attempt and each refresh, with its operation', async () => {
    server.handle((req, res, n) =>
      req.path === '/v0/tokens'
        ? json(res, 200, TOKEN_RESPONSE)
        : n === 2
          ? json(res, 503, { message: 'busy' })
          : json(res, 200, OK_UPLOAD),
    );
    const sent: string[] = [];
    const fetchSpy: BerbixClientOptions['fetch'] = (url, init, call) => {
      sent.push(`${call.operation} ${init.method} ${new URL(url).pathname}`);
      return fetch(url, init);
    };
    await client({ fetch: fetchSpy }).uploadImages(session({ expiresAt: NOW - 1 }), [FRONT]);
    expect(sent).toEqual([
      'refreshTokens POST /v0/tokens',
      'uploadImages POST /v0/images/upload',
      'uploadImages POST /v0/images/upload',
    ]);
    expect(server.requests).toHaveLength(3);
  });
});

describe('token refresh', () => {
  it('refreshes expired tokens before the call, writes them back and hands them to the caller', async () => {
    server.handle((req, res) =>
      req.path === '/v0/tokens' ? json(res, 200, TOKEN_RESPONSE) : res.writeHead(204).end(),
    );
    const persisted: BerbixTokens[] = [];
    const s: TokenSession = {
      tokens: tokens({ expiresAt: NOW - 1 }),
      onTokensRefreshed: (t) => void persisted.push(t),
    };

    await client().deleteTransaction(s);

    const expected = tokens({ accessToken: 'access-2', clientToken: 'client-2' });
    expect(server.requests.map((r) => r.path)).toEqual(['/v0/tokens', '/v0/transactions']);
    expect(server.requests[1]?.headers.authorization).toBe('Bearer access-2');
    expect(s.tokens).toEqual(expected);
    expect(persisted).toEqual([expected]);
  });

  it('refreshes tokens that expire within the safety margin', async () => {
    server.handle((req, res) =>
      req.path === '/v0/tokens' ? json(res, 200, TOKEN_RESPONSE) : json(res, 200, OK_UPLOAD),
    );
    await client({ refreshMarginMs: 60_000 }).uploadImages(session({ expiresAt: NOW + 59_000 }), [FRONT]);
    expect(server.requests.map((r) => r.path)).toEqual(['/v0/tokens', '/v0/images/upload']);
    expect(server.requests[1]?.headers.authorization).toBe('Bearer client-2');
  });

  it('does not refresh tokens that are valid beyond the margin', async () => {
    server.handle((_req, res) => json(res, 200, OK_UPLOAD));
    await client({ refreshMarginMs: 60_000 }).uploadImages(session({ expiresAt: NOW + 61_000 }), [FRONT]);
    expect(server.requests.map((r) => r.path)).toEqual(['/v0/images/upload']);
  });

  it('refreshes once on a 401 and repeats the call once with the new token', async () => {
    server.handle((req, res) => {
      if (req.path === '/v0/tokens') return json(res, 200, TOKEN_RESPONSE);
      if (req.headers.authorization === 'Bearer client-1')
        return json(res, 401, { code: 401, message: 'token expired' });
      json(res, 200, { next_step: 'done' });
    });
    const persisted: BerbixTokens[] = [];
    const s: TokenSession = { tokens: tokens(), onTokensRefreshed: async (t) => void persisted.push(t) };

    const outcome = await client().uploadImages(s, [FRONT]);

    expect(outcome.nextStep).toBe('done');
    expect(server.requests.map((r) => `${r.path} ${r.headers.authorization}`)).toEqual([
      '/v0/images/upload Bearer client-1',
      `/v0/tokens ${BASIC}`,
      '/v0/images/upload Bearer client-2',
    ]);
    expect(s.tokens.clientToken).toBe('client-2');
    expect(persisted).toHaveLength(1);
  });

  it('gives up with an auth error when the call is refused again after the refresh', async () => {
    server.handle((req, res) =>
      req.path === '/v0/tokens'
        ? json(res, 200, TOKEN_RESPONSE)
        : json(res, 401, { code: 401, message: 'unauthorized' }),
    );
    const error = await rejection(client().getTransaction(session()));
    expect(error).toBeInstanceOf(BerbixAuthError);
    expect(error).toMatchObject({ status: 401, retryable: false, operation: 'getTransaction' });
    expect(server.requests.map((r) => r.path)).toEqual([
      '/v0/transactions',
      '/v0/tokens',
      '/v0/transactions',
    ]);
  });

  it('reports a refused refresh token as an auth error of the refresh', async () => {
    server.handle((_req, res) => json(res, 401, { code: 401, message: 'invalid refresh token' }));
    const error = await rejection(client().getTransaction(session({ expiresAt: NOW - 1 })));
    expect(error).toBeInstanceOf(BerbixAuthError);
    expect(error).toMatchObject({ operation: 'refreshTokens', status: 401 });
    expect(server.requests).toHaveLength(1);
  });

  it('shares one refresh between concurrent calls of the same session', async () => {
    server.handle((req, res) =>
      req.path === '/v0/tokens' ? json(res, 200, TOKEN_RESPONSE) : json(res, 200, OK_UPLOAD),
    );
    const c = client();
    const s = session({ expiresAt: NOW - 1 });
    await Promise.all([
      c.uploadImages(s, [FRONT]),
      c.uploadIdScan(s, { scanType: 'pdf417', extractedData: 'QUJD' }),
    ]);
    expect(server.requests.filter((r) => r.path === '/v0/tokens')).toHaveLength(1);
    expect(
      server.requests.filter((r) => r.path !== '/v0/tokens').map((r) => r.headers.authorization),
    ).toEqual(['Bearer client-2', 'Bearer client-2']);
  });

  it('counts the refresh and the repeat after a 401 in the same time budget', async () => {
    let clock = NOW;
    server.handle((_req, res) => {
      clock += 31_000; // Berbix took longer than the whole budget
      json(res, 401, { code: 401, message: 'token expired' });
    });
    const c = client({ now: () => clock, retry: { maxTotalMs: 30_000 } });
    const error = await rejection(c.getTransaction(session()));
    expect(error).toBeInstanceOf(BerbixNetworkError);
    expect(error).toMatchObject({
      operation: 'refreshTokens',
      failure: 'timeout',
      mayHaveReachedBerbix: false,
      retryable: true,
    });
    expect(server.requests.map((r) => r.path)).toEqual(['/v0/transactions']);
  });

  it('fails the call when persisting refreshed tokens fails, keeping the new tokens in the session', async () => {
    server.handle((req, res) =>
      req.path === '/v0/tokens' ? json(res, 200, TOKEN_RESPONSE) : res.writeHead(204).end(),
    );
    const s: TokenSession = {
      tokens: tokens({ expiresAt: NOW - 1 }),
      onTokensRefreshed: () => Promise.reject(new Error('table unavailable')),
    };
    await expect(client().deleteTransaction(s)).rejects.toThrow('table unavailable');
    expect(s.tokens.accessToken).toBe('access-2');
    expect(server.requests.map((r) => r.path)).toEqual(['/v0/tokens']);
  });

  it('leaves the session untouched when the refresh fails', async () => {
    server.handle((_req, res) => json(res, 400, { code: 400, message: 'bad refresh' }));
    const s = session({ expiresAt: NOW - 1 });
    const before = { ...s.tokens };
    await expect(client().getTransaction(s)).rejects.toBeInstanceOf(BerbixRequestError);
    expect(s.tokens).toEqual(before);
  });

  it('treats a session holding only a refresh token as needing a refresh first', async () => {
    server.handle((req, res) =>
      req.path === '/v0/tokens' ? json(res, 200, TOKEN_RESPONSE) : res.writeHead(204).end(),
    );
    await client().deleteTransaction(session({ accessToken: '', clientToken: '', expiresAt: 0 }));
    expect(server.requests.map((r) => r.path)).toEqual(['/v0/tokens', '/v0/transactions']);
  });
});

describe('Berbix error responses', () => {
  it('turns a 409 into a conflict error carrying the next step Berbix expects, without retrying', async () => {
    server.handle((_req, res) =>
      json(res, 409, { code: 409, message: 'invalid upload for state', next_step: 'upload_document_back' }),
    );
    const error = await rejection(client().uploadImages(session(), [FRONT]));
    expect(error).toBeInstanceOf(BerbixConflictError);
    expect(error).toMatchObject({
      status: 409,
      nextStep: 'upload_document_back',
      berbixMessage: 'invalid upload for state',
      retryable: false,
    });
    expect(server.requests).toHaveLength(1);
  });

  it('turns a 410 into a gone error', async () => {
    server.handle((_req, res) => json(res, 410, { code: 410, message: 'transaction deleted' }));
    const error = await rejection(client().uploadImages(session(), [FRONT]));
    expect(error).toBeInstanceOf(BerbixGoneError);
    expect(error).toMatchObject({
      status: 410,
      code: 410,
      berbixMessage: 'transaction deleted',
      retryable: false,
    });
  });

  it('turns a 413 into a payload-too-large error', async () => {
    server.handle((_req, res) =>
      json(res, 413, { code: 413, readable: 'Image too large', message: 'payload too large' }),
    );
    const error = await rejection(client().uploadImages(session(), [FRONT]));
    expect(error).toBeInstanceOf(BerbixPayloadTooLargeError);
    expect(error).toMatchObject({ status: 413, berbixMessage: 'payload too large' });
  });

  it('turns another 4xx into a request error with Berbix code and message, not retried', async () => {
    server.handle((_req, res) => json(res, 400, { code: 400, message: 'template_key is invalid' }));
    const error = await rejection(client().createTransaction({ customerUid: 'u', templateKey: 'k' }));
    expect(error).toBeInstanceOf(BerbixRequestError);
    expect(error).toMatchObject({
      status: 400,
      code: 400,
      berbixMessage: 'template_key is invalid',
      retryable: false,
    });
    expect(server.requests).toHaveLength(1);
  });

  it('reports a success body that is not JSON as a protocol error', async () => {
    server.handle((_req, res) =>
      res.writeHead(200, { 'Content-Type': 'text/html' }).end('<html>gateway</html>'),
    );
    const error = await rejection(client().uploadImages(session(), [FRONT]));
    expect(error).toBeInstanceOf(BerbixProtocolError);
    expect(error).toMatchObject({ status: 200, retryable: false });
    expect(server.requests).toHaveLength(1);
  });

  it('reports a success body of the wrong shape as a protocol error naming the field', async () => {
    server.handle((_req, res) => json(res, 200, { next_step: 'fly_to_the_moon' }));
    const error = await rejection(client().uploadImages(session(), [FRONT]));
    expect(error).toBeInstanceOf(BerbixProtocolError);
    expect((error as Error).message).toContain('next_step');
  });

  it('keeps the status class of an error whose body is not JSON', async () => {
    server.handle((_req, res) => res.writeHead(409, { 'Content-Type': 'text/plain' }).end('Conflict'));
    const error = await rejection(client().uploadImages(session(), [FRONT]));
    expect(error).toBeInstanceOf(BerbixConflictError);
    expect(error).toMatchObject({ status: 409, nextStep: undefined, berbixMessage: undefined });
  });

  it('does not follow redirects', async () => {
    server.handle((_req, res) => res.writeHead(302, { Location: 'http://127.0.0.1:1/elsewhere' }).end());
    const error = await rejection(client().getTransaction(session()));
    expect(error).toBeInstanceOf(BerbixProtocolError);
    expect(error).toMatchObject({ status: 302 });
    expect(server.requests).toHaveLength(1);
  });
});
