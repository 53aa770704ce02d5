import { CopyObjectCommand, NoSuchKey, PutObjectCommand } from '@aws-sdk/client-s3';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { parseUploadKey } from '../../../lambdas/domain';
import { ddb, givenMeta, resetAws, s3, verification, VID } from '../support/aws';
import { setTestEnv } from '../support/env';
import { apiEvent, BACKEND, CLIENT, context, OTHER_CLIENT, parse } from '../support/events';

type Handler = (
  event: ReturnType<typeof apiEvent>,
  ctx: typeof context,
) => Promise<{ statusCode: number; body?: string }>;
const handlers: Record<string, Handler> = {};

beforeAll(async () => {
  setTestEnv();
  for (const name of ['create-upload', 'reuse-front', 'submit-id-scan', 'get-verification']) {
    handlers[name] = (
      (await import(`../../../lambdas/handlers/api/${name}`)) as { handler: Handler }
    ).handler;
  }
});

beforeEach(() => {
  resetAws();
  s3.on(CopyObjectCommand).resolves({});
  s3.on(PutObjectCommand).resolves({});
  ddb.on(UpdateCommand).resolves({});
});

const call = (name: string, input: Parameters<typeof apiEvent>[0]) =>
  handlers[name]!(apiEvent({ id: VID, ...input }), context);
const errorOf = (res: { body?: string }) => parse(res).error as Record<string, unknown>;

describe('POST /verifications/{id}/uploads', () => {
  const upload = { step: 'document_front', content_type: 'image/jpeg' };

  it('returns a presigned POST for the awaited step and attempt, with a server-chosen key', async () => {
    givenMeta(
      verification({
        attempts: { document_front: 1 },
        awaiting: { step: 'document_front', attempt: 2, taskToken: 't', claimed: false },
      }),
    );
    const res = await call('create-upload', { ...CLIENT, body: upload });
    expect(res.statusCode).toBe(201);
    const body = parse(res) as {
      url: string;
      fields: Record<string, string>;
      key: string;
      expires_at: string;
      max_bytes: number;
    };
    expect(parseUploadKey(body.key)).toMatchObject({
      verificationId: VID,
      step: 'document_front',
      attempt: 2,
      ext: 'jpg',
    });
    expect(body.max_bytes).toBe(20 * 1024 * 1024);
    expect(body.fields.key).toBe(body.key);
    expect(body.fields['Content-Type']).toBe('image/jpeg');
    const policy = JSON.parse(Buffer.from(body.fields.Policy!, 'base64').toString('utf8')) as {
      expiration: string;
      conditions: unknown[];
    };
    expect(policy.conditions).toEqual(
      expect.arrayContaining([
        ['content-length-range', 1, 20 * 1024 * 1024],
        ['eq', '$Content-Type', 'image/jpeg'],
        { key: body.key },
        { bucket: 'uploads-bucket' },
      ]),
    );
    const lifetime = new Date(policy.expiration).getTime() - Date.now();
    expect(lifetime).toBeGreaterThan(0);
    expect(lifetime).toBeLessThanOrEqual(300_000);
  });

  it('answers 409 step_out_of_order with the step Berbix expects', async () => {
    givenMeta(verification());
    const res = await call('create-upload', {
      ...CLIENT,
      body: { step: 'document_back', content_type: 'image/png' },
    });
    expect(res.statusCode).toBe(409);
    expect(errorOf(res)).toMatchObject({ code: 'step_out_of_order', next_step: 'upload_document_front' });
  });

  it.each(['completed', 'failed', 'abandoned', 'deleted'] as const)(
    'answers 409 verification_closed when %s',
    async (status) => {
      givenMeta(verification({ status, awaiting: undefined }));
      const res = await call('create-upload', { ...CLIENT, body: upload });
      expect(res.statusCode).toBe(409);
      expect(errorOf(res).code).toBe('verification_closed');
    },
  );

  it('answers 409 verification_closed once Berbix said done, before the result is cached', async () => {
    givenMeta(verification({ status: 'processing', nextStep: 'done', awaiting: undefined }));
    expect(errorOf(await call('create-upload', { ...CLIENT, body: upload })).code).toBe(
      'verification_closed',
    );
  });

  it('answers 409 upload_in_progress while an upload is being processed', async () => {
    givenMeta(verification({ status: 'processing', awaiting: undefined }));
    expect(errorOf(await call('create-upload', { ...CLIENT, body: upload })).code).toBe('upload_in_progress');
  });

  it("answers 404 for another user's verification", async () => {
    givenMeta(verification());
    const res = await call('create-upload', { ...OTHER_CLIENT, body: upload });
    expect(res.statusCode).toBe(404);
    expect(errorOf(res).code).toBe('not_found');
  });

  it('answers 400 for an unsupported content type', async () => {
    givenMeta(verification());
    const res = await call('create-upload', {
      ...CLIENT,
      body: { step: 'document_front', content_type: 'image/gif' },
    });
    expect(res.statusCode).toBe(400);
    expect(errorOf(res).code).toBe('invalid_request');
  });
});

describe('POST /verifications/{id}/document-back/reuse-front', () => {
  const front = `uploads/${VID}/document_front/1-0123456789abcdef.png`;

  it('copies the accepted front to a new document_back key for the awaited attempt', async () => {
    givenMeta(
      verification({
        nextStep: 'upload_document_back',
        acceptedKeys: { document_front: front },
        awaiting: { step: 'document_back', attempt: 1, taskToken: 't', claimed: false },
      }),
    );
    const res = await call('reuse-front', CLIENT);
    expect(res.statusCode).toBe(202);
    const copy = s3.commandCalls(CopyObjectCommand)[0]!.args[0].input;
    expect(copy.CopySource).toBe(`uploads-bucket/${front}`);
    expect(parseUploadKey(copy.Key!)).toMatchObject({ step: 'document_back', attempt: 1, ext: 'png' });
  });

  it('answers 409 step_out_of_order when Berbix does not ask for the back', async () => {
    givenMeta(verification());
    expect(errorOf(await call('reuse-front', CLIENT))).toMatchObject({
      code: 'step_out_of_order',
      next_step: 'upload_document_front',
    });
  });

  it('answers 409 front_not_available when no front was accepted', async () => {
    givenMeta(
      verification({
        nextStep: 'upload_document_back',
        awaiting: { step: 'document_back', attempt: 1, taskToken: 't', claimed: false },
      }),
    );
    expect(errorOf(await call('reuse-front', CLIENT)).code).toBe('front_not_available');
  });

  it('answers 409 front_not_available when the accepted front was deleted meanwhile', async () => {
    givenMeta(
      verification({
        nextStep: 'upload_document_back',
        acceptedKeys: { document_front: front },
        awaiting: { step: 'document_back', attempt: 1, taskToken: 't', claimed: false },
      }),
    );
    s3.on(CopyObjectCommand).rejects(new NoSuchKey({ message: 'gone', $metadata: {} }));
    const res = await call('reuse-front', CLIENT);
    expect(res.statusCode).toBe(409);
    expect(errorOf(res).code).toBe('front_not_available');
  });
});

describe('POST /verifications/{id}/id-scans', () => {
  const scan = { scan_type: 'pdf417', data: Buffer.from('@\nANSI 636014').toString('base64') };

  it('stores the scan as an id_scan object after recording its key on the wait', async () => {
    givenMeta(verification());
    const res = await call('submit-id-scan', { ...CLIENT, body: scan });
    expect(res.statusCode).toBe(202);
    const put = s3.commandCalls(PutObjectCommand)[0]!.args[0].input;
    expect(parseUploadKey(put.Key!)).toMatchObject({ step: 'id_scan', attempt: 1, ext: 'pdf417' });
    expect(Buffer.from(put.Body as Uint8Array).toString()).toBe('@\nANSI 636014');
    const update = ddb.commandCalls(UpdateCommand)[0]!.args[0].input;
    expect(update.ExpressionAttributeValues).toMatchObject({ ':key': put.Key, ':attempt': 1 });
  });

  it('stores nothing when the wait was claimed meanwhile', async () => {
    givenMeta(verification());
    ddb.on(UpdateCommand).rejects(new ConditionalCheckFailedException({ message: 'no', $metadata: {} }));
    const res = await call('submit-id-scan', { ...CLIENT, body: scan });
    expect(res.statusCode).toBe(409);
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  it('answers 400 for data that is not base64', async () => {
    givenMeta(verification());
    const res = await call('submit-id-scan', {
      ...CLIENT,
      body: { scan_type: 'pdf417', data: 'not base64!' },
    });
    expect(res.statusCode).toBe(400);
  });
});

describe('GET /verifications/{id}', () => {
  it('shows the owner their verification without tokens or keys', async () => {
    givenMeta(verification({ issues: ['text_unreadable'], attempts: { document_front: 1 } }));
    const res = await call('get-verification', CLIENT);
    expect(res.statusCode).toBe(200);
    expect(parse(res)).toMatchObject({
      id: VID,
      status: 'awaiting_upload',
      issues: ['text_unreadable'],
      next_step: 'upload_document_front',
    });
    expect(res.body).not.toContain('task-token');
  });

  it('shows the backend any verification', async () => {
    givenMeta(verification());
    expect((await call('get-verification', BACKEND)).statusCode).toBe(200);
  });

  it('takes wait from the query and If-None-Match from the headers: 304 when nothing changed', async () => {
    givenMeta(verification());
    const first = (await call('get-verification', CLIENT)) as { headers?: Record<string, string> };
    const etag = first.headers?.etag;
    expect(etag).toMatch(/^W\/"/);
    expect(first.headers?.['cache-control']).toBe('no-store');
    const event = {
      ...apiEvent({ ...CLIENT, id: VID, headers: { 'if-none-match': etag! } }),
      queryStringParameters: { wait: '1' },
    };
    const res = (await handlers['get-verification']!(event, context)) as {
      statusCode: number;
      body?: string;
      headers?: Record<string, string>;
    };
    expect(res.statusCode).toBe(304);
    expect(res.body).toBeUndefined();
    expect(res.headers).toEqual({ etag, 'cache-control': 'no-store' });
  });

  it('refuses a wait over 20 seconds with 400 invalid_request naming the parameter', async () => {
    givenMeta(verification());
    const event = { ...apiEvent({ ...CLIENT, id: VID }), queryStringParameters: { wait: '30' } };
    const res = await handlers['get-verification']!(event, context);
    expect(res.statusCode).toBe(400);
    expect(errorOf(res)).toMatchObject({
      code: 'invalid_request',
      details: [{ path: 'wait', message: expect.stringContaining('0 to 20') }],
    });
  });

  it('answers 404 to another end user and for ids that cannot exist', async () => {
    givenMeta(verification());
    expect((await call('get-verification', OTHER_CLIENT)).statusCode).toBe(404);
    expect(
      (await handlers['get-verification']!(apiEvent({ ...CLIENT, id: '../etc' }), context)).statusCode,
    ).toBe(404);
  });
});
