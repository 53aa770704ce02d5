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

/** The claim of the front's first attempt goes through (the wait's token is `tok`). */
const claimSucceeds = () =>
  ddb.on(UpdateCommand).resolves({
    Attributes: verification({
      awaiting: { step: 'document_front', attempt: 1, taskToken: 'tok', claimed: true },
    }),
  });
const resumeFails = (name: string) =>
  sfn.on(SendTaskSuccessCommand).rejects(Object.assign(new Error(name), { name }));

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

  it('claims through a collision with a transaction on the verification, instead of failing', async () => {
    const front = key('document_front', 1);
    const collision = Object.assign(new Error('Transaction is ongoing for the item'), {
      name: 'TransactionConflictException',
    });
    ddb
      .on(UpdateCommand)
      .rejectsOnce(collision)
      .resolves({
        Attributes: verification({
          awaiting: { step: 'document_front', attempt: 1, taskToken: 'tok', claimed: true },
        }),
      });
    await handler(s3Event(front), context);
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(2);
    expect(resumed()).toEqual([{ taskToken: 'tok', output: JSON.stringify({ key: front }) }]);
  });

  it('decodes keys the way S3 encodes them in events', async () => {
    ddb.on(UpdateCommand).rejects(conditionFailed());
    givenMeta(verification());
    await handler(s3Event('uploads/not+a+key%21.jpg'), context);
    expect(deleted()).toEqual(['uploads/not a key!.jpg']);
  });

  it('matches an id scan by the key the id-scan request recorded', async () => {
    const scan = key('id_scan', 1);
    claimSucceeds();
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

  it('gives the wait back and deletes the object when the task was gone between the claim and the resume', async () => {
    const front = key('document_front', 1);
    claimSucceeds();
    resumeFails('TaskTimedOut');
    await handler(s3Event(front), context);
    expect(deleted()).toEqual([front]);
    const release = ddb.commandCalls(UpdateCommand)[1]?.args[0].input;
    expect(release?.UpdateExpression).toContain('SET #status = :awaitingUpload, awaiting.claimed = :false');
    expect(release?.ConditionExpression).toBe(
      '#status = :processing AND awaiting.uploadKey = :key AND awaiting.claimed = :true',
    );
    expect(release?.ExpressionAttributeValues).toMatchObject({ ':key': front });
  });

  it('keeps the claim and fails the event for a retry when the resume fails for another reason', async () => {
    const front = key('document_front', 1);
    claimSucceeds();
    resumeFails('ThrottlingException');
    await expect(handler(s3Event(front), context)).rejects.toMatchObject({ name: 'AwsTransientError' });
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(1); // the claim, not released
    expect(deleted()).toEqual([]);
  });

  it('never gives back a claim on a redelivery, whose first resume may have landed', async () => {
    const front = key('document_front', 1);
    ddb.on(UpdateCommand).rejects(conditionFailed());
    givenMeta(
      verification({
        status: 'processing',
        awaiting: { step: 'document_front', attempt: 1, taskToken: 'tok-1', claimed: true, uploadKey: front },
      }),
    );
    resumeFails('TaskTimedOut');
    await handler(s3Event(front), context);
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(1);
    expect(deleted()).toEqual([]);
  });

  it('records the claimed write by its ETag and sequencer', async () => {
    const front = key('document_front', 1);
    claimSucceeds();
    await handler(s3Event({ key: front, eTag: 'etag-1', sequencer: '0065A1' }), context);
    const claim = ddb.commandCalls(UpdateCommand)[0]?.args[0].input;
    expect(claim?.UpdateExpression).toContain('claimedObjects = list_append(if_not_exists(claimedObjects');
    expect(claim?.ExpressionAttributeValues?.[':claimed']).toEqual([
      { key: front, eTag: 'etag-1', sequencer: '0065A1' },
    ]);
  });

  it('forgets a re-post over an accepted object, then deletes it, but keeps that object on its own redelivery', async () => {
    const front = key('document_front', 1);
    // The claim is refused (nothing awaits the front); forgetting the accepted front is not.
    ddb.on(UpdateCommand).callsFake(async (input: { ConditionExpression?: string }) => {
      if (input.ConditionExpression?.includes('awaiting.attempt')) throw conditionFailed();
      return {};
    });
    givenMeta(
      verification({
        nextStep: 'upload_document_back',
        lastSubmittedKey: front,
        acceptedKeys: { document_front: front },
        claimedObjects: [{ key: front, eTag: 'etag-1', sequencer: '0065A1' }],
        awaiting: { step: 'document_back', attempt: 1, taskToken: 'tok-2', claimed: false },
      }),
    );
    await handler(s3Event({ key: front, eTag: 'etag-1', sequencer: '0065A1' }), context);
    expect(deleted()).toEqual([]);

    await handler(s3Event({ key: front, eTag: 'etag-2', sequencer: '0065A2' }), context);
    expect(deleted()).toEqual([front]);
    const forgetCall = ddb.commandCalls(UpdateCommand).at(-1)!;
    const forget = forgetCall.args[0].input;
    expect(forget?.UpdateExpression).toContain('REMOVE acceptedKeys.#step');
    expect(forget?.ExpressionAttributeNames).toMatchObject({ '#step': 'document_front' });
    // Forgotten first: a reuse-front in between never copies a front that is being deleted.
    expect(forgetCall.calledBefore(s3.commandCalls(DeleteObjectCommand).at(-1)!)).toBe(true);
  });

  it('deletes whatever a re-posted form brings once the images are deleted, or after a failure', async () => {
    const back = key('document_back', 1);
    ddb.on(UpdateCommand).rejects(conditionFailed());
    for (const closed of [
      verification({ status: 'completed', nextStep: 'done', lastSubmittedKey: back, imagesDeletedAt: 'x' }),
      verification({ status: 'failed', acceptedKeys: { document_front: key('document_front', 1) } }),
      verification({ status: 'deleted', awaiting: undefined }),
    ]) {
      s3.resetHistory();
      givenMeta({ ...closed, awaiting: undefined });
      const repost = closed.status === 'failed' ? key('document_front', 1) : back;
      await handler(s3Event(repost), context);
      expect({ status: closed.status, deleted: deleted() }).toEqual({
        status: closed.status,
        deleted: [repost],
      });
    }
  });

  it('deletes objects whose key the server never issued', async () => {
    await handler(s3Event('uploads/vrf_abcdefghijklmnopqrstuvwxyz/document_front/evil.jpg'), context);
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
    expect(deleted()).toEqual(['uploads/vrf_abcdefghijklmnopqrstuvwxyz/document_front/evil.jpg']);
  });
});
