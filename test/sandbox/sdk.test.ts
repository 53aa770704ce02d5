import { Client, EncodedImage, Tokens, type SdkFailure } from 'berbix';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { globalAgent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeAamvaBarcode, presets, SAMPLE_AAMVA, SAMPLE_PERSON } from '../../local/test-images';
import { useSandbox } from './helpers';

const ctx = useSandbox();
const b64 = (bytes: Buffer) => bytes.toString('base64');
const scanData = (text: string) => Buffer.from(text, 'latin1').toString('base64');

/** Runs `fn` expecting the SDK to reject with its plain failure object. */
async function failure(fn: () => Promise<unknown>): Promise<SdkFailure> {
  try {
    await fn();
  } catch (error) {
    return error as SdkFailure;
  }
  throw new Error('expected the SDK call to fail');
}

describe('the official berbix SDK 2.0.0 runs an API-only flow against the sandbox over HTTPS', () => {
  let client: Client;
  let previousCa: unknown;

  beforeAll(() => {
    // The SDK's default client calls https.request without an agent, so the global agent must trust the CA.
    previousCa = globalAgent.options.ca;
    globalAgent.options.ca = ctx.sandbox.caCertPem;
    client = new Client({ apiSecret: ctx.sandbox.apiSecret, apiHost: ctx.sandbox.httpsUrl });
  });

  afterAll(() => {
    globalAgent.options.ca = previousCa as typeof globalAgent.options.ca;
    globalAgent.destroy();
  });

  beforeEach(() => ctx.sandbox.setTokenTtl(3600));

  it('creates, uploads front and back, refreshes, fetches and deletes', async () => {
    const tokens = await client.createApiOnlyTransaction({
      customerUid: 'sdk-user-1',
      templateKey: ctx.sandbox.templateKeys.frontBack,
      email: 'ada@example.com',
      apiOnlyOpts: { idCountry: 'US', idType: 'DL' },
    });
    expect(tokens.response?.first_step).toBe('upload_document_front');
    expect(tokens.transactionId).toEqual(expect.any(Number));

    // Its 409 handling: the expected next step surfaces as `nextStep`.
    const outOfOrder = await failure(() =>
      client.uploadImages(tokens, {
        images: [new EncodedImage(b64(presets.driversLicenseBack().bytes), 'document_back', 'image/jpeg')],
      }),
    );
    expect(outOfOrder).toMatchObject({
      status: 409,
      nextStep: 'upload_document_front',
      error: expect.any(String),
    });

    const blurry = await client.uploadImages(tokens, {
      images: [new EncodedImage(b64(presets.blurryFront().bytes), 'document_front', 'image/jpeg')],
    });
    expect(blurry).toEqual({
      nextStep: 'upload_document_front',
      issues: ['text_unreadable'],
      issueDetails: {},
    });

    const front = await client.uploadImages(tokens, {
      images: [new EncodedImage(b64(presets.driversLicenseFront().bytes), 'document_front', 'image/jpeg')],
    });
    expect(front).toMatchObject({ nextStep: 'upload_document_back', issues: [] });

    const refreshed = await client.refreshTokens(tokens);
    expect(refreshed.accessToken).not.toBe(tokens.accessToken);
    expect(refreshed.refreshToken).toBe(tokens.refreshToken);

    const back = await client.uploadImages(refreshed, {
      images: [new EncodedImage(b64(presets.driversLicenseBack().bytes), 'document_back', 'image/jpeg')],
    });
    expect(back).toMatchObject({ nextStep: 'done', issues: [] });

    const afterDone = await failure(() =>
      client.uploadIdScan(refreshed, {
        idScans: [{ scanType: 'pdf417', extractedData: scanData(SAMPLE_AAMVA) }],
      }),
    );
    expect(afterDone.status).toBe(409);

    const transaction = await client.fetchTransaction(refreshed);
    expect(transaction).toMatchObject({
      id: tokens.transactionId,
      customer_uid: 'sdk-user-1',
      action: 'accept',
      fields: {
        given_name: { value: SAMPLE_PERSON.given_name },
        family_name: { value: SAMPLE_PERSON.family_name },
        date_of_birth: { value: SAMPLE_PERSON.date_of_birth },
        email_address: { value: 'ada@example.com' },
      },
      completed_at: expect.any(String),
    });

    expect(await client.deleteTransaction(refreshed)).toEqual({});
    const gone = await failure(() =>
      client.uploadImages(refreshed, {
        images: [new EncodedImage(b64(presets.driversLicenseFront().bytes), 'document_front', 'image/jpeg')],
      }),
    );
    expect(gone.status).toBe(410);
    expect((await failure(() => client.fetchTransaction(refreshed))).status).toBe(410);
  });

  it('completes a barcode-template transaction with uploadIdScan', async () => {
    const tokens = await client.createApiOnlyTransaction({
      customerUid: 'sdk-user-2',
      templateKey: ctx.sandbox.templateKeys.barcode,
      apiOnlyOpts: { idCountry: 'US' },
    });
    const unreadable = await client.uploadIdScan(tokens, {
      idScans: [
        { scanType: 'pdf417', extractedData: scanData(makeAamvaBarcode(SAMPLE_PERSON, { truncate: true })) },
      ],
    });
    expect(unreadable).toEqual({
      nextStep: 'upload_document_front',
      issues: ['incomplete_barcode_detected'],
      issueDetails: {},
    });
    const scanned = await client.uploadIdScan(tokens, {
      idScans: [{ scanType: 'pdf417', extractedData: scanData(SAMPLE_AAMVA) }],
    });
    expect(scanned).toMatchObject({ nextStep: 'done', issues: [] });
    const transaction = await client.fetchTransaction(tokens);
    expect(transaction).toMatchObject({
      fields: { address_city: { value: 'San Francisco' }, id_number: { value: 'D1234567' } },
    });
  });

  it('surfaces issue details in its camel-cased shape', async () => {
    const tokens = await client.createApiOnlyTransaction({
      customerUid: 'sdk-user-3',
      templateKey: ctx.sandbox.templateKeys.frontBack,
      apiOnlyOpts: {},
    });
    const visa = presets.visaPage();
    const result = await client.uploadImages(tokens, {
      images: [new EncodedImage(b64(visa.bytes), 'document_front', visa.format)],
    });
    expect(result).toEqual({
      nextStep: 'upload_document_front',
      issues: ['unsupported_id_type'],
      issueDetails: { unsupportedIdType: { visaPageOfPassport: true } },
    });
  });

  it('refreshes on its own when its tokens have expired, and from a refresh token alone', async () => {
    ctx.sandbox.setTokenTtl(0);
    const tokens = await client.createApiOnlyTransaction({
      customerUid: 'sdk-user-4',
      templateKey: ctx.sandbox.templateKeys.frontBack,
      apiOnlyOpts: { idType: 'P' },
    });
    ctx.sandbox.setTokenTtl(3600);
    ctx.sandbox.clearCalls();
    const passport = presets.passport();
    const result = await client.uploadImages(tokens, {
      images: [new EncodedImage(b64(passport.bytes), 'document_front', passport.format)],
    });
    expect(result.nextStep).toBe('done');
    const fromRefresh = Tokens.fromRefresh(tokens.refreshToken);
    expect(await client.fetchTransaction(fromRefresh)).toMatchObject({ id: tokens.transactionId });
    expect(ctx.sandbox.calls().map((c) => `${c.method} ${c.path} ${c.status}`)).toEqual([
      'POST /v0/tokens 200',
      'POST /v0/images/upload 200',
      'POST /v0/tokens 200',
      'GET /v0/transactions 200',
    ]);
  });

  it('overrides a test transaction and records a review decision', async () => {
    const tokens = await client.createApiOnlyTransaction({
      customerUid: 'sdk-user-5',
      templateKey: ctx.sandbox.templateKeys.frontBack,
      apiOnlyOpts: {},
    });
    expect(
      await client.overrideTransaction(tokens, {
        responsePayload: 'us-dl',
        flags: ['id_under_21'],
        overrideFields: { given_name: 'Grace' },
      }),
    ).toEqual({});
    const updated = await client.updateTransaction(tokens, { action: 'review', note: 'manual check' });
    expect(updated).toMatchObject({
      action: 'review',
      flags: ['id_under_21'],
      fields: { given_name: { value: 'Grace' } },
    });
    expect((await failure(() => client.overrideTransaction(tokens, { flags: [] }))).status).toBe(409);
  });
});

// Documented in docs/sandbox.md, "Where the SDK is wrong".
describe('where the official SDK is wrong', () => {
  it('crashes the process with an uncaught exception when the connection drops', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sdk-drop-'));
    try {
      const caFile = join(dir, 'ca.pem');
      await writeFile(caFile, ctx.sandbox.caCertPem);
      const script = `
        const https = require('node:https');
        https.globalAgent.options.ca = require('node:fs').readFileSync(process.env.CA_FILE, 'utf8');
        const { Client } = require(process.env.BERBIX);
        process.on('uncaughtException', (e) => { console.log('uncaught ' + e.code); process.exit(3); });
        new Client({ apiSecret: process.env.SECRET, apiHost: process.env.HOST, httpClientOpts: { timeoutMs: 30000 } })
          .createApiOnlyTransaction({ customerUid: 'u', templateKey: process.env.TEMPLATE, apiOnlyOpts: {} })
          .then(() => { console.log('resolved'); process.exit(0); }, () => { console.log('rejected'); process.exit(4); });`;
      ctx.sandbox.setFaults({ burst: { status: 'drop', count: 1, paths: ['/v0/transactions'] } });
      const outcome = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
        execFile(
          process.execPath,
          ['-e', script],
          {
            env: {
              ...process.env,
              CA_FILE: caFile,
              BERBIX: require.resolve('berbix'),
              SECRET: ctx.sandbox.apiSecret,
              HOST: ctx.sandbox.httpsUrl,
              TEMPLATE: ctx.sandbox.templateKeys.frontBack,
            },
          },
          (error, stdout) => resolve({ code: error ? (error.code as number) : 0, stdout }),
        );
      });
      expect(outcome).toEqual({ code: 3, stdout: expect.stringMatching(/^uncaught ECONNRESET/) });
    } finally {
      ctx.sandbox.setFaults({});
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('throws from validateSignature on a missing header instead of returning false', () => {
    const client = new Client({ apiSecret: 'unused' });
    expect(() => client.validateSignature('secret', '{}', undefined as unknown as string)).toThrow(TypeError);
  });
});
