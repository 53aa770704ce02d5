import { GetObjectCommand } from '@aws-sdk/client-s3';
import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { buildUploadKey } from '../../../lambdas/domain';
import {
  API_SECRET,
  body,
  ddb,
  givenMeta,
  givenTokens,
  resetAws,
  s3,
  verification,
  VID,
} from '../support/aws';
import { setTestEnv } from '../support/env';
import { context } from '../support/events';
import { FakeBerbix } from '../support/fake-berbix';
import { makeJpeg } from '../support/images';

// Logs at INFO here, to see what a deployed function would write.
const berbix = new FakeBerbix();
let submit: (input: { verificationId: string; key: string }, ctx: typeof context) => Promise<unknown>;
const key = buildUploadKey({
  verificationId: VID,
  step: 'document_front',
  attempt: 1,
  nonce: '0123456789abcdef',
  ext: 'jpg',
});
let written = '';
const capture = (chunk: unknown) => {
  written += String(chunk);
  return true;
};

beforeAll(async () => {
  setTestEnv({ BERBIX_API_URL: await berbix.start(), POWERTOOLS_LOG_LEVEL: 'INFO' });
  ({ handler: submit } = await import('../../../lambdas/handlers/sfn/submit-upload'));
});
afterAll(() => berbix.stop());

beforeEach(() => {
  resetAws();
  berbix.reset();
  written = '';
  jest.spyOn(process.stdout, 'write').mockImplementation(capture);
  jest.spyOn(process.stderr, 'write').mockImplementation(capture);
  ddb.on(UpdateCommand).resolves({});
  ddb.on(PutCommand).resolves({});
  givenMeta(
    verification({
      status: 'processing',
      awaiting: {
        step: 'document_front',
        attempt: 1,
        taskToken: 'task-token-secret',
        claimed: true,
        uploadKey: key,
      },
    }),
  );
  givenTokens();
});
afterEach(() => jest.restoreAllMocks());

const SECRETS = [
  'client-token-secret',
  'access-token-secret',
  'refresh-token-secret',
  'task-token-secret',
  API_SECRET,
];

describe('what the functions log', () => {
  it('logs the upload outcome with ids and steps, and never tokens or image bytes', async () => {
    const jpeg = makeJpeg();
    s3.on(GetObjectCommand).resolves({ Body: body(jpeg) });
    berbix.on('POST /v0/images/upload', {
      status: 200,
      body: { next_step: 'upload_document_back', issues: ['text_unreadable'] },
    });
    await submit({ verificationId: VID, key }, context);
    expect(written).toContain('Upload submitted');
    expect(written).toContain(VID);
    for (const secret of [...SECRETS, jpeg.toString('base64').slice(0, 40)])
      expect(written).not.toContain(secret);
  });

  it('keeps secrets out of the logs when Berbix fails too', async () => {
    s3.on(GetObjectCommand).resolves({ Body: body(makeJpeg()) });
    berbix.on('POST /v0/images/upload', {
      status: 400,
      body: { code: 400, message: 'token client-token-secret refused' },
    });
    await expect(submit({ verificationId: VID, key }, context)).rejects.toMatchObject({
      name: 'BerbixRefusedError',
    });
    for (const secret of SECRETS) expect(written).not.toContain(secret);
  });
});
