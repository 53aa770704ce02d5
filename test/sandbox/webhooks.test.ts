import { Client } from 'berbix';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { presets, SAMPLE_AAMVA } from '../../local/test-images';
import { useSandbox } from './helpers';

const ctx = useSandbox();
const SECRET = 'whsec_test_0123456789';

interface Received {
  rawBody: string;
  signature: string | undefined;
  contentType: string | undefined;
}

/**
 * The spec's check, written here independently of the sandbox: `v0,<ts>,<hex>` where hex is
 * HMAC-SHA256(secret, "<ts>,<secret>,<raw body>"), timestamp no older than 300 s.
 */
function verify(secret: string, rawBody: string, header: string | undefined): boolean {
  const parts = header?.split(',') ?? [];
  if (parts.length !== 3 || parts[0] !== 'v0') return false;
  const [, ts, hex] = parts as [string, string, string];
  if (!/^\d+$/.test(ts) || Number(ts) < Date.now() / 1000 - 300) return false;
  const expected = createHmac('sha256', secret).update(`${ts},${secret},${rawBody}`).digest();
  const given = Buffer.from(hex, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

describe('the sandbox sends signed webhooks', () => {
  let receiver: Server;
  let url: string;
  const received: Received[] = [];
  const answers: number[] = [];

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({
          rawBody: Buffer.concat(chunks).toString('utf8'),
          signature: req.headers['x-berbix-signature'] as string | undefined,
          contentType: req.headers['content-type'],
        });
        res.writeHead(answers.shift() ?? 200).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/webhooks/berbix`;
  });

  afterAll(async () => {
    await new Promise((resolve) => receiver.close(resolve));
  });

  beforeEach(() => {
    received.length = 0;
    answers.length = 0;
    ctx.sandbox.setWebhook({ url, secret: SECRET });
  });

  async function completeLicence(customerUid: string) {
    const tokens = await ctx.client.create({ idType: 'DL', customerUid });
    await ctx.client.upload(tokens, 'document_front', presets.driversLicenseFront().bytes);
    await ctx.sandbox.webhooksIdle();
    expect(received).toHaveLength(0); // nothing until the transaction is done
    await ctx.client.upload(tokens, 'document_back', presets.driversLicenseBack().bytes);
    await ctx.sandbox.webhooksIdle();
    return tokens;
  }

  it('posts a verification_finished webhook on completion, signed as the spec says', async () => {
    const tokens = await completeLicence('hook-user-1');
    expect(received).toHaveLength(1);
    const [hook] = received;
    expect(hook?.contentType).toBe('application/json');
    expect(verify(SECRET, hook!.rawBody, hook!.signature)).toBe(true);
    expect(verify('another secret', hook!.rawBody, hook!.signature)).toBe(false);
    expect(verify(SECRET, `${hook!.rawBody} `, hook!.signature)).toBe(false);
    expect(JSON.parse(hook!.rawBody)).toEqual({
      event: 'verification_finished',
      transaction_id: tokens.transaction_id,
      customer_uid: 'hook-user-1',
      action: 'accept',
      dashboard_url: expect.any(String),
    });
    // The official SDK's own check agrees.
    expect(
      new Client({ apiSecret: 'unused' }).validateSignature(SECRET, hook!.rawBody, hook!.signature!),
    ).toBe(true);
  });

  it('posts one when a barcode scan completes the transaction', async () => {
    const tokens = await ctx.client.create({ templateKey: ctx.sandbox.templateKeys.barcode });
    await ctx.client.scan(tokens, SAMPLE_AAMVA);
    await ctx.sandbox.webhooksIdle();
    expect(received.map((r) => JSON.parse(r.rawBody).transaction_id)).toEqual([tokens.transaction_id]);
  });

  it('posts a verification_status webhook when a decision changes the action', async () => {
    const tokens = await completeLicence('hook-user-2');
    received.length = 0;
    await ctx.client.call('PATCH', '/v0/transactions', {
      auth: `Bearer ${tokens.access_token}`,
      body: { action: 'reject' },
    });
    await ctx.sandbox.webhooksIdle();
    expect(received).toHaveLength(1);
    expect(JSON.parse(received[0]!.rawBody)).toMatchObject({
      event: 'verification_status',
      action: 'reject',
    });
    expect(verify(SECRET, received[0]!.rawBody, received[0]!.signature)).toBe(true);
  });

  it('retries a delivery the receiver fails, and logs every attempt', async () => {
    answers.push(500);
    const tokens = await completeLicence('hook-user-3');
    expect(received).toHaveLength(2);
    expect(received.every((r) => verify(SECRET, r.rawBody, r.signature))).toBe(true);
    const log = ctx.sandbox.webhookDeliveries().filter((d) => d.transactionId === tokens.transaction_id);
    expect(log.map((d) => [d.attempt, d.status])).toEqual([
      [1, 500],
      [2, 200],
    ]);
  });

  it('sends nothing once the webhook is removed, and can be configured over HTTP', async () => {
    ctx.sandbox.setWebhook(undefined);
    await completeLicence('hook-user-4');
    expect(received).toHaveLength(0);
    const config = await ctx.client.call('PUT', '/_sandbox/config', {
      body: { webhook: { url, secret: SECRET } },
    });
    expect(config).toMatchObject({ status: 200, body: { webhookUrl: url } });
    await completeLicence('hook-user-5');
    expect(received).toHaveLength(1);
  });
});
