import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { buildUploadKey } from '../../../lambdas/domain';
import { ddb, givenMeta, resetAws, s3, sfn, verification, VID } from '../support/aws';
import { setTestEnv } from '../support/env';
import { context, s3Event } from '../support/events';

let handler: (event: ReturnType<typeof s3Event>, ctx: typeof context) => Promise<void>;

const key = (
  step: 'document_front' | 'document_back' | 'id_scan',
  attempt: number,
  nonce = '0123456789abcdef',
) =>
  buildUploadKey({ verificationId: VID, step, attempt, nonce, ext: step === 'id_scan' ? 'pdf417' : 'jpg' });

const conditionFailed = () =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

beforeAll(async () => {
  setTestEnv();
  ({ handler } = await import('../../../lambdas/handlers/s3/upload-received'));
});

beforeEach(() => {
  resetAws();
  s3.on(DeleteObjectCommand).resolves({});
  sfn.on(SendTaskSuccessCommand).resolves({});
});

const deleted = () => s3.commandCalls(DeleteObjectCommand).map((c) => c.args[0].input.Key);
const resumed = () => sfn.commandCalls(SendTaskSuccessCommand).map((c) => c.args[0].input);

describe('upload-received', () => {
  it('claims the awaited upload and resumes the wait with its key', async () => {
    const front = key('document_front', 1);
    ddb.on(UpdateCommand).resolves({
      Attributes: {
        ...verification({
          awaiting: {
            step: 'document_front',
            attempt: 1,
            taskToken: 'tok-1',
            claimed: true,
            uploadKey: front,
          },
        }),
      },
    });
    await handler(s3Event(front), context);
    expect(resumed()).toEqual([{ taskToken: 'tok-1', output: JSON.stringify({ key: front }) }]);
    const claim = ddb.commandCalls(UpdateCommand)[0]?.args[0].input;
    expect(claim?.ConditionExpression).toContain('awaiting.attempt = :attempt');
    expect(claim?.ConditionExpression).toContain('awaiting.claimed = :false');
    expect(claim?.ConditionExpression).toContain('awaiting.step = :step');
    expect(claim?.ExpressionAttributeValues).toMatchObject({
      ':attempt': 1,
      ':step': 'document_front',
      ':key': front,
    });
    expect(deleted()).toEqual([]);
  });

  it('decodes keys the way S3 encodes them in events', async () => {
    ddb.on(UpdateCommand).rejects(conditionFailed());
    givenMeta(verification());
    await handler(s3Event('uploads/not+a+key%21.jpg'), context);
    expect(deleted()).toEqual(['uploads/not a key!.jpg']);
  });

  it('matches an id scan by the key the id-scan request recorded', async () => {
    const scan = key('id_scan', 1);
    ddb.on(UpdateCommand).resolves({
      Attributes: verification({
        awaiting: { step: 'document_front', attempt: 1, taskToken: 'tok', claimed: true },
      }),
    });
    await handler(s3Event(scan), context);
    const claim = ddb.commandCalls(UpdateCommand)[0]?.args[0].input;
    expect(claim?.ConditionExpression).toContain('awaiting.scanKey = :key');
    expect(resumed()).toHaveLength(1);
  });

  it('resumes nothing and deletes a stale upload from an earlier attempt', async () => {
    const stale = key('document_front', 1);
    ddb.on(UpdateCommand).rejects(conditionFailed());
    givenMeta(
      verification({
        attempts: { document_front: 1 },
        awaiting: { step: 'document_front', attempt: 2, taskToken: 'tok-2', claimed: false },
      }),
    );
    await handler(s3Event(stale), context);
    expect(resumed()).toEqual([]);
    expect(deleted()).toEqual([stale]);
  });

  it('keeps the claimed object on a duplicate delivery and re-sends the same resume only', async () => {
    const front = key('document_front', 1);
    ddb.on(UpdateCommand).rejects(conditionFailed());
    givenMeta(
      verification({
        status: 'processing',
        awaiting: { step: 'document_front', attempt: 1, taskToken: 'tok-1', claimed: true, uploadKey: front },
      }),
    );
    await handler(s3Event(front), context);
    expect(deleted()).toEqual([]);
    expect(resumed()).toEqual([{ taskToken: 'tok-1', output: JSON.stringify({ key: front }) }]);
  });

  it('keeps an already submitted object when its event arrives again later', async () => {
    const front = key('document_front', 1);
    ddb.on(UpdateCommand).rejects(conditionFailed());
    givenMeta(
      verification({
        nextStep: 'upload_document_back',
        lastSubmittedKey: front,
        acceptedKeys: { document_front: front },
        awaiting: undefined,
      }),
    );
    await handler(s3Event(front), context);
    expect(deleted()).toEqual([]);
    expect(resumed()).toEqual([]);
  });

  it('resumes only one of two uploads for the same wait', async () => {
    const first = key('document_front', 1, '1111111111111111');
    const second = key('document_front', 1, '2222222222222222');
    ddb
      .on(UpdateCommand)
      .resolvesOnce({
        Attributes: verification({
          awaiting: { step: 'document_front', attempt: 1, taskToken: 'tok', claimed: true, uploadKey: first },
        }),
      })
      .rejects(conditionFailed());
    givenMeta(
      verification({
        status: 'processing',
        awaiting: { step: 'document_front', attempt: 1, taskToken: 'tok', claimed: true, uploadKey: first },
      }),
    );
    await handler(s3Event(first, second), context);
    expect(resumed()).toEqual([{ taskToken: 'tok', output: JSON.stringify({ key: first }) }]);
    expect(deleted()).toEqual([second]);
  });

  it('deletes a late upload whose wait already ended', async () => {
    const front = key('document_front', 1);
    ddb.on(UpdateCommand).rejects(conditionFailed());
    givenMeta(verification({ status: 'abandoned', awaiting: undefined }));
    await handler(s3Event(front), context);
    expect(deleted()).toEqual([front]);
  });

  it('deletes the object when the wait timed out between the claim and the resume', async () => {
    const front = key('document_front', 1);
    ddb.on(UpdateCommand).resolves({
      Attributes: verification({
        awaiting: { step: 'document_front', attempt: 1, taskToken: 'tok', claimed: true },
      }),
    });
    sfn
      .on(SendTaskSuccessCommand)
      .rejects(Object.assign(new Error('Task Timed Out'), { name: 'TaskTimedOut' }));
    await handler(s3Event(front), context);
    expect(deleted()).toEqual([front]);
  });

  it('deletes objects whose key the server never issued', async () => {
    await handler(s3Event('uploads/vrf_abcdefghijklmnopqrstuvwxyz/document_front/evil.jpg'), context);
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
    expect(deleted()).toEqual(['uploads/vrf_abcdefghijklmnopqrstuvwxyz/document_front/evil.jpg']);
  });
});
