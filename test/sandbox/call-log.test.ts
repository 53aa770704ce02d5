import { isLoopback } from '../../local/sandbox/http-util';
import { presets } from '../../local/test-images';
import { useSandbox } from './helpers';

const ctx = useSandbox();

describe('the sandbox keeps a log of the calls it received', () => {
  beforeEach(() => ctx.sandbox.clearCalls());

  it('records method, path, status, auth scheme, token kind and transaction, in order', async () => {
    const tokens = await ctx.client.create({ idType: 'DL' });
    await ctx.client.upload(tokens, 'document_front', presets.driversLicenseFront().bytes);
    await ctx.client.call('GET', '/v0/transactions?verbose=1', { auth: `Token ${tokens.access_token}` });
    await ctx.client.call('GET', '/v0/transactions', { auth: `Bearer ${tokens.client_token}` });
    await ctx.client.call('GET', '/v0/transactions');
    const id = tokens.transaction_id;
    expect(ctx.sandbox.calls()).toEqual([
      {
        method: 'POST',
        path: '/v0/transactions',
        status: 200,
        authScheme: 'basic',
        tokenKind: 'api_secret',
        transactionId: id,
        timestamp: expect.any(String),
      },
      {
        method: 'POST',
        path: '/v0/images/upload',
        status: 200,
        authScheme: 'bearer',
        tokenKind: 'client',
        transactionId: id,
        timestamp: expect.any(String),
      },
      {
        method: 'GET',
        path: '/v0/transactions',
        status: 200,
        authScheme: 'token',
        tokenKind: 'access',
        transactionId: id,
        timestamp: expect.any(String),
      },
      {
        method: 'GET',
        path: '/v0/transactions',
        status: 401,
        authScheme: 'bearer',
        tokenKind: 'client',
        timestamp: expect.any(String),
      },
      {
        method: 'GET',
        path: '/v0/transactions',
        status: 401,
        authScheme: 'none',
        tokenKind: 'none',
        timestamp: expect.any(String),
      },
    ]);
    expect(Number.isNaN(Date.parse(ctx.sandbox.calls()[0]!.timestamp))).toBe(false);
  });

  it('never holds tokens, the secret or request bodies', async () => {
    const tokens = await ctx.client.create({ idType: 'DL' });
    const image = presets.driversLicenseFront().bytes.toString('base64');
    await ctx.client.upload(tokens, 'document_front', image);
    await ctx.client.call('GET', '/v0/transactions', { auth: 'Basic wrong' });
    const text = JSON.stringify(ctx.sandbox.calls());
    for (const secret of [
      tokens.access_token,
      tokens.client_token,
      tokens.refresh_token,
      ctx.sandbox.apiSecret,
    ]) {
      expect(text).not.toContain(secret);
    }
    expect(text).not.toContain(image.slice(0, 32));
    expect(text).not.toContain('Ada');
  });

  it('is read and cleared over HTTP, and does not log the control calls themselves', async () => {
    await ctx.client.create();
    const read = await ctx.client.call('GET', '/_sandbox/calls');
    expect(read).toMatchObject({
      status: 200,
      body: { calls: [{ method: 'POST', path: '/v0/transactions' }] },
    });
    expect((await ctx.client.call('DELETE', '/_sandbox/calls')).status).toBe(204);
    expect((await ctx.client.call('GET', '/_sandbox/calls')).body).toEqual({ calls: [] });
  });

  it('logs calls to the HTTPS server in the same log', async () => {
    const { Agent, request } = await import('node:https');
    const agent = new Agent({ ca: ctx.sandbox.caCertPem });
    await new Promise<void>((resolve, reject) => {
      request(`${ctx.sandbox.httpsUrl}/v0/tokens`, { method: 'POST', agent }, (res) => {
        res.resume();
        res.on('end', resolve);
      })
        .on('error', reject)
        .end('{}');
    });
    agent.destroy();
    expect(ctx.sandbox.calls()).toEqual([expect.objectContaining({ path: '/v0/tokens', status: 401 })]);
  });
});

describe('the sandbox control API', () => {
  it('describes the sandbox under /_sandbox/info', async () => {
    const info = await ctx.client.call('GET', '/_sandbox/info');
    expect(info).toMatchObject({
      status: 200,
      body: {
        httpUrl: ctx.sandbox.httpUrl,
        httpsUrl: ctx.sandbox.httpsUrl,
        apiSecret: ctx.sandbox.apiSecret,
        caCertPem: expect.stringContaining('BEGIN CERTIFICATE'),
        templateKeys: ctx.sandbox.templateKeys,
        tokenTtlSeconds: 3600,
      },
    });
  });

  it('changes the token lifetime under /_sandbox/config', async () => {
    expect((await ctx.client.call('PUT', '/_sandbox/config', { body: { tokenTtlSeconds: 60 } })).status).toBe(
      200,
    );
    expect((await ctx.client.create()).expires_in).toBe(60);
    await ctx.client.call('PUT', '/_sandbox/config', { body: { tokenTtlSeconds: 3600 } });
    expect((await ctx.client.call('PUT', '/_sandbox/config', { body: { tokenTtlSeconds: -1 } })).status).toBe(
      400,
    );
  });

  it('expires a transaction’s tokens under /_sandbox/expire-tokens', async () => {
    const tokens = await ctx.client.create();
    const expired = await ctx.client.call('POST', '/_sandbox/expire-tokens', {
      body: { transactionId: tokens.transaction_id },
    });
    expect(expired).toMatchObject({ status: 200, body: { expired: 2 } });
    expect((await ctx.client.transaction(tokens)).status).toBe(401);
  });

  it('lists every token it issued under /_sandbox/issued-tokens, refreshed ones included', async () => {
    const tokens = await ctx.client.create();
    const refreshed = await ctx.client.call('POST', '/v0/tokens', {
      auth: ctx.client.basic,
      body: { grant_type: 'refresh_token', refresh_token: tokens.refresh_token },
    });
    expect(refreshed.status).toBe(200);
    const listed = await ctx.client.call('GET', '/_sandbox/issued-tokens');
    expect(listed.status).toBe(200);
    const mine = (listed.body.tokens as { transactionId: number }[]).filter(
      (t) => t.transactionId === tokens.transaction_id,
    );
    const id = tokens.transaction_id;
    expect(mine).toEqual(
      expect.arrayContaining([
        { token: tokens.access_token, kind: 'access', transactionId: id },
        { token: tokens.client_token, kind: 'client', transactionId: id },
        { token: tokens.refresh_token, kind: 'refresh', transactionId: id },
        { token: refreshed.body.access_token, kind: 'access', transactionId: id },
        { token: refreshed.body.client_token, kind: 'client', transactionId: id },
      ]),
    );
    expect(mine).toHaveLength(5);
  });

  it('answers only loopback callers', () => {
    expect(['127.0.0.1', '::1', '::ffff:127.0.0.1'].every(isLoopback)).toBe(true);
    expect(['10.0.0.2', '::ffff:192.168.1.1', undefined].some(isLoopback)).toBe(false);
  });

  it('lists transactions under /_sandbox/transactions with the kinds of personal data they hold', async () => {
    const tokens = await ctx.client.create({ customerUid: 'inventory-1', idType: 'DL' });
    await ctx.client.call('POST', '/v0/transactions', {
      auth: ctx.client.basic,
      body: {
        customer_uid: 'inventory-2',
        template_key: ctx.sandbox.templateKeys.frontBack,
        email: 'someone@example.com',
        api_only_options: {},
      },
    });
    await ctx.client.upload(tokens, 'document_front', presets.driversLicenseFront().bytes);
    const listed = await ctx.client.call('GET', '/_sandbox/transactions?customerUidPrefix=inventory-');
    const byUid = (uid: string) =>
      (listed.body.transactions as { customerUid: string }[]).find((t) => t.customerUid === uid);
    expect(byUid('inventory-1')).toEqual({
      transactionId: tokens.transaction_id,
      customerUid: 'inventory-1',
      nextStep: 'upload_document_back',
      createdAt: expect.any(String),
      holds: { email: false, phone: false, front: true, back: false, scan: false },
    });
    expect(byUid('inventory-2')).toMatchObject({ holds: { email: true, phone: false, front: false } });
    // Deleted: marked, and nothing personal is held any more; the values are never listed.
    await ctx.client.call('DELETE', '/v0/transactions', { auth: `Bearer ${tokens.access_token}` });
    const after = ctx.sandbox.transactions('inventory-1');
    expect(after).toEqual([
      expect.objectContaining({
        deletedAt: expect.any(String),
        holds: { email: false, phone: false, front: false, back: false, scan: false },
      }),
    ]);
    expect(JSON.stringify(listed.body)).not.toContain('someone@example.com');
  });
});
