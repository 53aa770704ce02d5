import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DeleteObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  cancelled,
  ddb,
  events,
  givenMeta,
  givenTokens,
  putItems,
  resetAws,
  updates,
  s3,
  verification,
  VID,
} from '../support/aws';
import { setTestEnv } from '../support/env';
import { context } from '../support/events';
import { FakeBerbix, tokenReply } from '../support/fake-berbix';

type Task = (input: Record<string, unknown>, ctx: typeof context) => Promise<unknown>;
const tasks: Record<string, Task> = {};
const berbix = new FakeBerbix();

beforeAll(async () => {
  setTestEnv({ BERBIX_API_URL: await berbix.start() });
  for (const name of [
    'create-transaction',
    'await-upload',
    'fetch-result',
    'delete-images',
    'close-verification',
  ]) {
    tasks[name] = ((await import(`../../../lambdas/handlers/sfn/${name}`)) as { handler: Task }).handler;
  }
});
afterAll(() => berbix.stop());

beforeEach(() => {
  resetAws();
  berbix.reset();
  for (const c of [PutCommand, UpdateCommand, DeleteCommand] as const) ddb.on(c as never).resolves({});
  s3.on(ListObjectsV2Command).resolves({
    Contents: [{ Key: `uploads/${VID}/document_front/1-0123456789abcdef.jpg` }],
  });
  s3.on(DeleteObjectCommand).resolves({});
  events.on(PutEventsCommand).resolves({ FailedEntryCount: 0 });
});

describe('create-transaction', () => {
  it('creates an API-only transaction with the customer_uid only, stores the tokens and returns first_step', async () => {
    givenMeta(
      verification({
        status: 'creating',
        nextStep: undefined,
        berbixTransactionId: undefined,
        awaiting: undefined,
        idCountry: 'CA',
        idType: 'P',
      }),
    );
    // Left over from a deployment that sent contact details: not sent by this one.
    ddb
      .on(GetCommand, { Key: { pk: `V#${VID}`, sk: 'CREATE' } })
      .resolves({ Item: { email: 'ada@example.com' } });
    berbix.on('POST /v0/transactions', tokenReply({ first_step: 'upload_document_front' }));

    await expect(tasks['create-transaction']!({ verificationId: VID }, context)).resolves.toEqual({
      verificationId: VID,
      nextStep: 'upload_document_front',
    });
    expect(berbix.calls('POST /v0/transactions')[0]?.body).toEqual({
      customer_uid: 'user-1',
      template_key: 'tpl_test',
      api_only_options: { id_country: 'CA', id_type: 'P' },
    });
    // Tokens, the link to the transaction and the end of the create inputs: one transaction.
    const [write] = ddb.commandCalls(TransactWriteCommand).map((c) => c.args[0].input.TransactItems);
    expect(write?.[0]?.Put?.Item).toMatchObject({
      sk: 'TOKENS',
      clientToken: 'client-token-secret',
      transactionId: 4242,
    });
    expect(write?.[1]?.Update?.ExpressionAttributeValues).toMatchObject({
      ':tx': '4242',
      ':next': 'upload_document_front',
    });
    expect(write?.[2]?.Delete?.Key).toEqual({ pk: `V#${VID}`, sk: 'CREATE' });
  });

  it('hands the tokens of a transaction created for a deleted verification to its Berbix deletion', async () => {
    givenMeta(verification({ status: 'creating', berbixTransactionId: undefined, nextStep: undefined }));
    ddb.on(GetCommand, { Key: { pk: `V#${VID}`, sk: 'CREATE' } }).resolves({});
    berbix.on('POST /v0/transactions', tokenReply({ first_step: 'upload_document_front' }));
    // The DELETE came first: linking the transaction is refused, the hand-over is not.
    ddb
      .on(TransactWriteCommand)
      .rejectsOnce(cancelled(['None', 'ConditionalCheckFailed', 'None']))
      .resolves({});

    await expect(tasks['create-transaction']!({ verificationId: VID }, context)).rejects.toMatchObject({
      name: 'VerificationGoneError',
    });
    const handOver = ddb.commandCalls(TransactWriteCommand)[1]!.args[0].input.TransactItems!;
    expect(handOver[0]?.Put?.Item).toMatchObject({ sk: 'TOKENS', accessToken: 'access-token-secret' });
    expect(handOver[1]?.ConditionCheck?.ConditionExpression).toBe(
      '#status = :deleted AND berbixDeletion = :pending',
    );
  });

  it('never creates a second transaction when retried after success', async () => {
    givenMeta(verification({ status: 'creating' }));
    await expect(tasks['create-transaction']!({ verificationId: VID }, context)).resolves.toMatchObject({
      nextStep: 'upload_document_front',
    });
    expect(berbix.requests).toHaveLength(0);
  });

  it('throws BerbixRefusedError with the reason code when Berbix refuses the API secret', async () => {
    givenMeta(verification({ status: 'creating', berbixTransactionId: undefined, nextStep: undefined }));
    berbix.on('POST /v0/transactions', { status: 401, body: { code: 401, message: 'bad secret' } });
    await expect(tasks['create-transaction']!({ verificationId: VID }, context)).rejects.toMatchObject({
      name: 'BerbixRefusedError',
      message: 'berbix_auth_401',
    });
  });

  it('repeats a create Berbix answered 500 and hands a lasting fault to the state machine as transient', async () => {
    givenMeta(verification({ status: 'creating', berbixTransactionId: undefined, nextStep: undefined }));
    berbix.on('POST /v0/transactions', { status: 500, body: { code: 500, message: 'boom' } });
    await expect(tasks['create-transaction']!({ verificationId: VID }, context)).rejects.toMatchObject({
      name: 'BerbixTransientError',
      message: 'berbix_server_500',
    });
    // The client's own attempts (4) before the state machine's Retry takes over.
    expect(berbix.calls('POST /v0/transactions')).toHaveLength(4);
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
  });
});

describe('await-upload', () => {
  it('stores the task token with the step and the next attempt number', async () => {
    givenMeta(verification({ status: 'processing', attempts: { document_front: 2 }, awaiting: undefined }));
    ddb.on(UpdateCommand).resolves({
      Attributes: verification({
        awaiting: { step: 'document_front', attempt: 3, taskToken: 'tok', claimed: false },
      }),
    });
    await tasks['await-upload']!({ verificationId: VID, step: 'document_front', taskToken: 'tok' }, context);
    const update = ddb.commandCalls(UpdateCommand)[0]!.args[0].input;
    expect(update.ExpressionAttributeValues).toMatchObject({
      ':awaiting': { step: 'document_front', attempt: 3, taskToken: 'tok', claimed: false },
      ':awaitingUpload': 'awaiting_upload',
    });
  });

  it('still waits for the last allowed upload of a side', async () => {
    givenMeta(verification({ status: 'processing', attempts: { document_back: 9, document_front: 9 } }));
    await tasks['await-upload']!({ verificationId: VID, step: 'document_back', taskToken: 'tok' }, context);
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(1);
  });

  it('fails with upload_attempts_exhausted once a side has had MAX_UPLOAD_ATTEMPTS uploads, scans included', async () => {
    givenMeta(verification({ status: 'processing', attempts: { document_front: 7, id_scan: 3 } }));
    await expect(
      tasks['await-upload']!({ verificationId: VID, step: 'document_front', taskToken: 'tok' }, context),
    ).rejects.toMatchObject({ name: 'FlowFailedError', message: 'upload_attempts_exhausted' });
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
  });

  it('throws VerificationGoneError when the verification was closed or deleted', async () => {
    givenMeta(verification({ status: 'failed' }));
    ddb.on(UpdateCommand).rejects(new ConditionalCheckFailedException({ message: 'no', $metadata: {} }));
    await expect(
      tasks['await-upload']!({ verificationId: VID, step: 'document_back', taskToken: 'tok' }, context),
    ).rejects.toMatchObject({
      name: 'VerificationGoneError',
    });
    givenMeta(verification({ status: 'deleted' }));
    await expect(
      tasks['await-upload']!({ verificationId: VID, step: 'document_back', taskToken: 'tok' }, context),
    ).rejects.toMatchObject({
      name: 'VerificationGoneError',
    });
  });
});

describe('fetch-result', () => {
  it('fetches the result once, caches it, completes the verification and publishes an event without personal data', async () => {
    givenMeta(verification({ status: 'processing', nextStep: 'done', awaiting: undefined }));
    givenTokens();
    const transaction = {
      id: 4242,
      customer_uid: 'user-1',
      action: 'accept',
      flags: ['id_under_21'],
      fields: { given_name: { value: 'Ada', confidence: 'high', sources: [] } },
      duplicates: [],
    };
    berbix.on('GET /v0/transactions', { status: 200, body: transaction });
    await tasks['fetch-result']!({ verificationId: VID }, context);
    expect(berbix.calls('GET /v0/transactions')).toHaveLength(1);
    expect(putItems()).toEqual([expect.objectContaining({ sk: 'RESULT', transaction })]);
    const completion = updates().find((u) => u.UpdateExpression?.includes('#status = :completed'));
    const completedAt = completion?.ExpressionAttributeValues?.[':now'];
    expect(typeof completedAt).toBe('string');
    const entry = events.commandCalls(PutEventsCommand)[0]!.args[0].input.Entries![0]!;
    expect(entry).toMatchObject({
      Source: 'berbix-serverless',
      DetailType: 'VerificationCompleted',
      EventBusName: 'default',
      Resources: [context.invokedFunctionArn],
    });
    // The completion time written with the result, without reading the verification again.
    expect(JSON.parse(entry.Detail!)).toEqual({
      verificationId: VID,
      customerUid: 'user-1',
      action: 'accept',
      completedAt,
    });
    expect(ddb.commandCalls(GetCommand, { Key: { pk: `V#${VID}`, sk: 'META' } })).toHaveLength(1);
    expect(entry.Detail).not.toContain('Ada');
  });

  it('publishes the earlier completion time when the verification had one', async () => {
    givenMeta(
      verification({
        status: 'processing',
        nextStep: 'done',
        awaiting: undefined,
        completedAt: '2026-01-01T00:05:00.000Z',
      }),
    );
    givenTokens();
    berbix.on('GET /v0/transactions', {
      status: 200,
      body: { id: 4242, customer_uid: 'user-1', action: 'review', flags: [], fields: {}, duplicates: [] },
    });
    await tasks['fetch-result']!({ verificationId: VID }, context);
    const entry = events.commandCalls(PutEventsCommand)[0]!.args[0].input.Entries![0]!;
    expect(JSON.parse(entry.Detail!)).toMatchObject({
      action: 'review',
      completedAt: '2026-01-01T00:05:00.000Z',
    });
  });

  it('does not ask Berbix again when retried after completion', async () => {
    givenMeta(verification({ status: 'completed', resultSummary: { action: 'accept', flags: [] } }));
    givenTokens();
    await tasks['fetch-result']!({ verificationId: VID }, context);
    expect(berbix.requests).toHaveLength(0);
    expect(events.commandCalls(PutEventsCommand)).toHaveLength(1);
  });
});

describe('close-verification and delete-images', () => {
  it('abandons a verification and deletes its images', async () => {
    givenMeta(verification());
    await tasks['close-verification']!(
      { verificationId: VID, outcome: 'abandoned', reason: 'upload_timeout' },
      context,
    );
    expect(ddb.commandCalls(UpdateCommand)[0]!.args[0].input.ExpressionAttributeValues).toMatchObject({
      ':outcome': 'abandoned',
      ':reason': 'upload_timeout',
    });
    expect(s3.commandCalls(DeleteObjectCommand)).toHaveLength(1);
  });

  const closeReason = async (error: unknown) => {
    ddb.resetHistory();
    givenMeta(verification({ status: 'processing' }));
    await tasks['close-verification']!({ verificationId: VID, outcome: 'failed', error }, context);
    return ddb.commandCalls(UpdateCommand)[0]!.args[0].input.ExpressionAttributeValues?.[':reason'];
  };
  const lambdaCause = (errorType: string, errorMessage: string) =>
    JSON.stringify({ errorType, errorMessage, trace: ['at handler (index.js:1:1)'] });

  it('fails a verification with the reason code the failing task put in its error', async () => {
    expect(
      await closeReason({
        Error: 'BerbixTransientError',
        Cause: lambdaCause('BerbixTransientError', 'berbix_server_502'),
      }),
    ).toBe('berbix_server_502');
    expect(
      await closeReason({
        Error: 'FlowFailedError',
        Cause: lambdaCause('FlowFailedError', 'upload_attempts_exhausted'),
      }),
    ).toBe('upload_attempts_exhausted');
    expect(
      await closeReason({
        Error: 'UnsupportedNextStep',
        Cause: 'Berbix asked for a step this deployment does not collect',
      }),
    ).toBe('unsupported_next_step');
    expect(
      await closeReason({ Error: 'AwsTransientError', Cause: lambdaCause('AwsTransientError', 'x') }),
    ).toBe('aws_unavailable');
    expect(await closeReason({ Error: 'Lambda.ServiceException', Cause: 'Rate exceeded' })).toBe(
      'lambda_unavailable',
    );
  });

  it('stores only documented codes, never free text from an error', async () => {
    expect(
      await closeReason({
        Error: 'BerbixRefusedError',
        Cause: lambdaCause('BerbixRefusedError', 'Ada Lovelace, 1990-12-10'),
      }),
    ).toBe('task_failed');
    expect(await closeReason({ Error: 'TypeError', Cause: lambdaCause('TypeError', 'x is undefined') })).toBe(
      'task_failed',
    );
    expect(await closeReason(undefined)).toBe('task_failed');
  });

  it('marks the images deleted before it deletes every object under the verification prefix', async () => {
    await tasks['delete-images']!({ verificationId: VID }, context);
    expect(s3.commandCalls(ListObjectsV2Command)[0]!.args[0].input.Prefix).toBe(`uploads/${VID}/`);
    expect(s3.commandCalls(DeleteObjectCommand)).toHaveLength(1);
    const mark = ddb.commandCalls(UpdateCommand)[0]!;
    expect(mark.args[0].input.UpdateExpression).toContain('SET imagesDeletedAt = :now');
    expect(mark.args[0].input.ConditionExpression).toContain('#status <> :deleted');
    expect(mark.calledBefore(s3.commandCalls(ListObjectsV2Command)[0]!)).toBe(true);
  });
});
