import { presets } from '../../local/test-images';
import { useSandbox } from './helpers';

const ctx = useSandbox({ apiSecret: 'secret_test_auth_suite' });
const front = presets.driversLicenseFront().bytes;

const errorShape = { code: 401, readable: expect.any(String), message: expect.any(String) };

describe('the sandbox authenticates as Berbix does', () => {
  afterEach(() => ctx.sandbox.setTokenTtl(3600));

  it('creates a transaction with Basic auth of the API secret and an empty password', async () => {
    const tokens = await ctx.client.create();
    expect(tokens).toEqual(
      expect.objectContaining({
        transaction_id: expect.any(Number),
        access_token: expect.any(String),
        client_token: expect.any(String),
        refresh_token: expect.any(String),
        expires_in: 3600,
      }),
    );
    expect(new Set([tokens.access_token, tokens.client_token, tokens.refresh_token]).size).toBe(3);
  });

  it('answers 401 with a JSON body to a missing or wrong API secret', async () => {
    const body = { customer_uid: 'u', template_key: ctx.sandbox.templateKeys.frontBack };
    const missing = await ctx.client.call('POST', '/v0/transactions', { body });
    expect(missing).toMatchObject({ status: 401, body: errorShape });
    const wrong = await ctx.client.call('POST', '/v0/transactions', {
      body,
      auth: `Basic ${Buffer.from('secret_test_wrong:').toString('base64')}`,
    });
    expect(wrong).toMatchObject({ status: 401, body: errorShape });
    const bearer = await ctx.client.call('POST', '/v0/transactions', {
      body,
      auth: 'Bearer secret_test_auth_suite',
    });
    expect(bearer.status).toBe(401);
  });

  it('never echoes the secret or a token in an error', async () => {
    const tokens = await ctx.client.create();
    const wrongKind = await ctx.client.call('GET', '/v0/transactions', {
      auth: `Bearer ${tokens.client_token}`,
    });
    const text = JSON.stringify(wrongKind.body);
    expect(text).not.toContain(tokens.client_token);
    expect(text).not.toContain('secret_test_auth_suite');
  });

  it('accepts the access token with the Bearer, bearer and Token schemes', async () => {
    const tokens = await ctx.client.create();
    for (const scheme of ['Bearer', 'bearer', 'Token']) {
      const result = await ctx.client.call('GET', '/v0/transactions', {
        auth: `${scheme} ${tokens.access_token}`,
      });
      expect(result.status).toBe(200);
      expect(result.body.id).toBe(tokens.transaction_id);
    }
  });

  it('answers 401 to a token of the wrong type', async () => {
    const tokens = await ctx.client.create();
    const readWithClient = await ctx.client.call('GET', '/v0/transactions', {
      auth: `Bearer ${tokens.client_token}`,
    });
    expect(readWithClient).toMatchObject({ status: 401, body: errorShape });
    const uploadWithAccess = await ctx.client.call('POST', '/v0/images/upload', {
      auth: `Bearer ${tokens.access_token}`,
      body: {
        images: [{ image_subject: 'document_front', format: 'image/jpeg', data: front.toString('base64') }],
      },
    });
    expect(uploadWithAccess.status).toBe(401);
    const readWithRefresh = await ctx.client.call('GET', '/v0/transactions', {
      auth: `Bearer ${tokens.refresh_token}`,
    });
    expect(readWithRefresh.status).toBe(401);
  });

  it('answers 401 to a missing or unknown token', async () => {
    expect((await ctx.client.call('GET', '/v0/transactions')).status).toBe(401);
    expect((await ctx.client.call('GET', '/v0/transactions', { auth: 'Bearer nope' })).body).toMatchObject(
      errorShape,
    );
  });

  it('makes tokens issued with a zero lifetime expired at once, and answers 401 to them', async () => {
    ctx.sandbox.setTokenTtl(0);
    const tokens = await ctx.client.create();
    expect(tokens.expires_in).toBe(0);
    expect((await ctx.client.transaction(tokens)).status).toBe(401);
    expect((await ctx.client.upload(tokens, 'document_front', front)).status).toBe(401);
  });

  it('refreshes with the refresh token: new access and client tokens, the same refresh token', async () => {
    const tokens = await ctx.client.create();
    ctx.sandbox.expireTokens(tokens.transaction_id);
    expect((await ctx.client.transaction(tokens)).status).toBe(401);
    const refreshed = await ctx.client.call('POST', '/v0/tokens', {
      auth: ctx.client.basic,
      body: { grant_type: 'refresh_token', refresh_token: tokens.refresh_token },
    });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body).toMatchObject({
      transaction_id: tokens.transaction_id,
      refresh_token: tokens.refresh_token,
      expires_in: 3600,
    });
    expect(refreshed.body.access_token).not.toBe(tokens.access_token);
    expect(refreshed.body).not.toHaveProperty('first_step');
    const read = await ctx.client.call('GET', '/v0/transactions', {
      auth: `Bearer ${refreshed.body.access_token}`,
    });
    expect(read.status).toBe(200);
  });

  it('uses the configured lifetime for refreshed tokens', async () => {
    const tokens = await ctx.client.create();
    ctx.sandbox.setTokenTtl(120);
    const refreshed = await ctx.client.call('POST', '/v0/tokens', {
      auth: ctx.client.basic,
      body: { grant_type: 'refresh_token', refresh_token: tokens.refresh_token },
    });
    expect(refreshed.body.expires_in).toBe(120);
  });

  it('answers 401 to an unknown refresh token and 400 to another grant type', async () => {
    const unknown = await ctx.client.call('POST', '/v0/tokens', {
      auth: ctx.client.basic,
      body: { grant_type: 'refresh_token', refresh_token: 'nope' },
    });
    expect(unknown).toMatchObject({ status: 401, body: errorShape });
    const grant = await ctx.client.call('POST', '/v0/tokens', {
      auth: ctx.client.basic,
      body: { grant_type: 'authorization_code', code: 'x' },
    });
    expect(grant.status).toBe(400);
  });

  it('refuses to refresh the tokens of a deleted transaction with 410', async () => {
    const tokens = await ctx.client.create();
    await ctx.client.call('DELETE', '/v0/transactions', { auth: `Bearer ${tokens.access_token}` });
    const refreshed = await ctx.client.call('POST', '/v0/tokens', {
      auth: ctx.client.basic,
      body: { grant_type: 'refresh_token', refresh_token: tokens.refresh_token },
    });
    expect(refreshed.status).toBe(410);
  });

  it('serves the same API over HTTPS with its own CA', async () => {
    const { Agent, request } = await import('node:https');
    const agent = new Agent({ ca: ctx.sandbox.caCertPem });
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${ctx.sandbox.httpsUrl}/v0/transactions`, { method: 'GET', agent }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    agent.destroy();
    expect(status).toBe(401);
  });
});
