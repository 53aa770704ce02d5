import { DeleteObjectCommand, GetObjectCommand } from '@aws-sdk/client-s3';
import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { buildUploadKey } from '../../../lambdas/domain';
import { body, ddb, givenMeta, givenTokens, putItems, resetAws, s3, verification, VID } from '../support/aws';
import { setTestEnv } from '../support/env';
import { context } from '../support/events';
import { FakeBerbix, tokenReply } from '../support/fake-berbix';
import { hostileImages } from '../../../local/test-images';
import { makeJpeg, makePng } from '../support/images';

const berbix = new FakeBerbix();
let handler: (input: { verificationId: string; key: string }, ctx: typeof context) => Promise<unknown>;

const frontKey = buildUploadKey({
  verificationId: VID,
  step: 'document_front',
  attempt: 1,
  nonce: '0123456789abcdef',
  ext: 'jpg',
});
const scanKey = buildUploadKey({
  verificationId: VID,
  step: 'id_scan',
  attempt: 1,
  nonce: '0123456789abcdef',
  ext: 'pdf417',
});

beforeAll(async () => {
  setTestEnv({ BERBIX_API_URL: await berbix.start() });
  ({ handler } = await import('../../../lambdas/handlers/sfn/submit-upload'));
});
afterAll(() => berbix.stop());

function claimed(key: string) {
  givenMeta(
    verification({
      status: 'processing',
      awaiting: { step: 'document_front', attempt: 1, taskToken: 't', claimed: true, uploadKey: key },
    }),
  );
  givenTokens();
}

const recorded = () => ddb.commandCalls(UpdateCommand).map((c) => c.args[0].input);

beforeEach(() => {
  resetAws();
  berbix.reset();
  ddb.on(UpdateCommand).resolves({});
  ddb.on(PutCommand).resolves({});
});

describe('submit-upload', () => {
  it('sends a valid JPEG to Berbix with the client token and records the next step', async () => {
    claimed(frontKey);
    const jpeg = makeJpeg();
    s3.on(GetObjectCommand).resolves({ Body: body(jpeg) });
    berbix.on('POST /v0/images/upload', {
      status: 200,
      body: { next_step: 'upload_document_back', issues: [] },
    });

    await expect(handler({ verificationId: VID, key: frontKey }, context)).resolves.toEqual({
      verificationId: VID,
      nextStep: 'upload_document_back',
    });
    const [upload] = berbix.calls('POST /v0/images/upload');
    expect(upload?.authorization).toBe('Bearer client-token-secret');
    expect(upload?.body).toEqual({
      images: [{ image_subject: 'document_front', format: 'image/jpeg', data: jpeg.toString('base64') }],
    });
    const [update] = recorded();
    expect(update?.ExpressionAttributeValues).toMatchObject({
      ':next': 'upload_document_back',
      ':issues': [],
      ':key': frontKey,
    });
    expect(update?.UpdateExpression).toContain('acceptedKeys.#step = :key');
    expect(update?.ConditionExpression).toContain('awaiting.uploadKey = :key');
  });

  it('sends the format found in the bytes, not the one the key was created for', async () => {
    claimed(frontKey); // a .jpg key
    s3.on(GetObjectCommand).resolves({ Body: body(makePng()) });
    berbix.on('POST /v0/images/upload', { status: 200, body: { next_step: 'upload_document_back' } });
    await handler({ verificationId: VID, key: frontKey }, context);
    const [upload] = berbix.calls('POST /v0/images/upload');
    expect((upload?.body as { images: Array<{ format: string }> }).images[0]?.format).toBe('image/png');
  });

  it('records a local bad_upload for a text file sent as a JPEG, keeps the step and never calls Berbix', async () => {
    claimed(frontKey);
    s3.on(GetObjectCommand).resolves({ Body: body(Buffer.from('hello, I am a text file')) });
    s3.on(DeleteObjectCommand).resolves({});

    await expect(handler({ verificationId: VID, key: frontKey }, context)).resolves.toEqual({
      verificationId: VID,
      nextStep: 'upload_document_front',
    });
    expect(berbix.requests).toHaveLength(0);
    expect(recorded()[0]?.ExpressionAttributeValues).toMatchObject({
      ':issues': ['bad_upload'],
      ':details': { bad_upload: { reason: 'unsupported_format', source: 'local' } },
    });
    expect(recorded()[0]?.UpdateExpression).not.toContain('acceptedKeys');
    expect(s3.commandCalls(DeleteObjectCommand)[0]?.args[0].input.Key).toBe(frontKey);
  });

  it.each(
    hostileImages()
      .filter((i) => ['zip-polyglot.jpg', 'short-idat.png', 'scrambled-scan.jpg'].includes(i.fileName))
      .map((i) => [i.fileName, i] as const),
  )('records the precise local reason for %s and never calls Berbix', async (_name, image) => {
    claimed(frontKey);
    s3.on(GetObjectCommand).resolves({ Body: body(image.bytes) });
    s3.on(DeleteObjectCommand).resolves({});

    await handler({ verificationId: VID, key: frontKey }, context);
    expect(berbix.requests).toHaveLength(0);
    expect(recorded()[0]?.ExpressionAttributeValues).toMatchObject({
      ':details': { bad_upload: { reason: image.reason, source: 'local' } },
    });
  });

  it('records Berbix issues and the retake step after text_unreadable', async () => {
    claimed(frontKey);
    s3.on(GetObjectCommand).resolves({ Body: body(makeJpeg()) });
    berbix.on('POST /v0/images/upload', {
      status: 200,
      body: { next_step: 'upload_document_front', issues: ['text_unreadable'] },
    });
    await expect(handler({ verificationId: VID, key: frontKey }, context)).resolves.toMatchObject({
      nextStep: 'upload_document_front',
    });
    expect(recorded()[0]?.ExpressionAttributeValues).toMatchObject({ ':issues': ['text_unreadable'] });
    expect(recorded()[0]?.UpdateExpression).not.toContain('acceptedKeys');
  });

  it('routes by the next_step of a 409', async () => {
    claimed(frontKey);
    s3.on(GetObjectCommand).resolves({ Body: body(makeJpeg()) });
    berbix.on('POST /v0/images/upload', {
      status: 409,
      body: { message: 'upload not valid now', next_step: 'upload_document_back' },
    });
    await expect(handler({ verificationId: VID, key: frontKey }, context)).resolves.toMatchObject({
      nextStep: 'upload_document_back',
    });
  });

  it('throws BerbixTransientError when Berbix keeps answering 503', async () => {
    claimed(frontKey);
    s3.on(GetObjectCommand).resolves({ Body: body(makeJpeg()) });
    berbix.on('POST /v0/images/upload', { status: 503, body: { code: 503, message: 'unavailable' } });
    await expect(handler({ verificationId: VID, key: frontKey }, context)).rejects.toMatchObject({
      name: 'BerbixTransientError',
    });
    expect(recorded()).toEqual([]);
  });

  it.each([500, 502, 504])(
    'repeats an upload Berbix answered %i and records the answer of the repeat',
    async (status) => {
      claimed(frontKey);
      s3.on(GetObjectCommand).resolves({ Body: body(makeJpeg()) });
      berbix.on(
        'POST /v0/images/upload',
        { status, body: { code: status, message: 'server error' } },
        { status: 200, body: { next_step: 'upload_document_back', issues: [] } },
      );
      await expect(handler({ verificationId: VID, key: frontKey }, context)).resolves.toMatchObject({
        nextStep: 'upload_document_back',
      });
      expect(berbix.calls('POST /v0/images/upload')).toHaveLength(2);
    },
  );

  it('converges through the 409 when an upload Berbix processed lost its answer', async () => {
    claimed(frontKey);
    s3.on(GetObjectCommand).resolves({ Body: body(makeJpeg()) });
    berbix.on(
      'POST /v0/images/upload',
      { status: 0, drop: true },
      { status: 409, body: { code: 409, message: 'out of order', next_step: 'upload_document_back' } },
    );
    await expect(handler({ verificationId: VID, key: frontKey }, context)).resolves.toMatchObject({
      nextStep: 'upload_document_back',
    });
    expect(recorded()[0]?.ExpressionAttributeValues).toMatchObject({
      ':next': 'upload_document_back',
      ':key': frontKey,
    });
    // Accepted: the front is not asked for again.
    expect(recorded()[0]?.UpdateExpression).toContain('acceptedKeys.#step = :key');
  });

  it('hands connections that keep dropping to the state machine as BerbixTransientError', async () => {
    claimed(frontKey);
    s3.on(GetObjectCommand).resolves({ Body: body(makeJpeg()) });
    berbix.on('POST /v0/images/upload', { status: 0, drop: true });
    const error = await handler({ verificationId: VID, key: frontKey }, context).catch((e: Error) => e);
    expect(error).toMatchObject({ name: 'BerbixTransientError' });
    expect((error as Error).message).toMatch(/^berbix_network_(connection_reset|network)$/);
    expect(berbix.calls('POST /v0/images/upload')).toHaveLength(4);
    expect(recorded()).toEqual([]);
  });

  it('throws BerbixRefusedError with the reason code on a 400, at once', async () => {
    claimed(frontKey);
    s3.on(GetObjectCommand).resolves({ Body: body(makeJpeg()) });
    berbix.on('POST /v0/images/upload', { status: 400, body: { code: 400, message: 'bad request' } });
    const error = await handler({ verificationId: VID, key: frontKey }, context).catch((e: Error) => e);
    expect(error).toMatchObject({ name: 'BerbixRefusedError', message: 'berbix_request_400' });
    expect(berbix.calls('POST /v0/images/upload')).toHaveLength(1);
    expect(recorded()).toEqual([]);
  });

  it('refreshes expired tokens, persists them, and uploads with the new client token', async () => {
    givenMeta(
      verification({
        status: 'processing',
        awaiting: { step: 'document_front', attempt: 1, taskToken: 't', claimed: true, uploadKey: frontKey },
      }),
    );
    givenTokens({
      accessToken: 'old-access',
      clientToken: 'old-client',
      refreshToken: 'refresh-token-secret',
      expiresAt: Date.now() - 1000,
      transactionId: 4242,
    });
    s3.on(GetObjectCommand).resolves({ Body: body(makeJpeg()) });
    berbix.on(
      'POST /v0/tokens',
      tokenReply({ client_token: 'new-client', access_token: 'new-access', refresh_token: undefined }),
    );
    berbix.on('POST /v0/images/upload', { status: 200, body: { next_step: 'done' } });

    await handler({ verificationId: VID, key: frontKey }, context);
    expect(berbix.calls('POST /v0/images/upload')[0]?.authorization).toBe('Bearer new-client');
    expect(putItems()).toContainEqual(
      expect.objectContaining({
        sk: 'TOKENS',
        clientToken: 'new-client',
        refreshToken: 'refresh-token-secret',
      }),
    );
  });

  it('sends an id-scan object to the id-scan endpoint', async () => {
    claimed(scanKey);
    const aamva = Buffer.from('@\n\x1e\rANSI 636014040002DL00410278ZC03190008DLDCSLOVELACE\n');
    s3.on(GetObjectCommand).resolves({ Body: body(aamva) });
    berbix.on('POST /v0/idscans/upload', {
      status: 200,
      body: { next_step: 'upload_document_front', issues: ['incomplete_barcode_detected'] },
    });
    await expect(handler({ verificationId: VID, key: scanKey }, context)).resolves.toMatchObject({
      nextStep: 'upload_document_front',
    });
    expect(berbix.calls('POST /v0/idscans/upload')[0]?.body).toEqual({
      id_scans: [{ scan_type: 'pdf417', extracted_data: aamva.toString('base64') }],
    });
  });

  it('does not upload twice when retried after the outcome was recorded', async () => {
    givenMeta(
      verification({
        status: 'awaiting_upload',
        nextStep: 'upload_document_back',
        lastSubmittedKey: frontKey,
      }),
    );
    await expect(handler({ verificationId: VID, key: frontKey }, context)).resolves.toEqual({
      verificationId: VID,
      nextStep: 'upload_document_back',
    });
    expect(berbix.requests).toHaveLength(0);
  });

  it('ends quietly with VerificationGoneError when the verification was deleted', async () => {
    givenMeta(verification({ status: 'deleted' }));
    await expect(handler({ verificationId: VID, key: frontKey }, context)).rejects.toMatchObject({
      name: 'VerificationGoneError',
    });
  });

  it('refuses a key that is not the claimed upload', async () => {
    claimed(frontKey);
    const other = frontKey.replace('0123456789abcdef', 'fedcba9876543210');
    await expect(handler({ verificationId: VID, key: other }, context)).rejects.toMatchObject({
      name: 'FlowFailedError',
      message: 'upload_not_claimed',
    });
    expect(berbix.requests).toHaveLength(0);
  });
});
