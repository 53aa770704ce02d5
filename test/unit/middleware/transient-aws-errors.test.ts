import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  GetItemCommand,
  InternalServerError,
  ProvisionedThroughputExceededException,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import type { Context } from 'aws-lambda';
import { isTransientAwsError, taskHandler } from '../../../lambdas/middleware';

const dynamo = new DynamoDBClient({ region: 'us-east-1', maxAttempts: 1 });
const ddb = mockClient(dynamo);
const context = { functionName: 'Task', awsRequestId: 'req-1' } as Context;

/** A task that reads one item, as the state-machine tasks do through the repository. */
const task = taskHandler(async () => {
  await dynamo.send(new GetItemCommand({ TableName: 't', Key: { pk: { S: 'V#1' } } }));
  return { ok: true };
});

const meta = { $metadata: {}, message: 'from the fake' };

beforeEach(() => ddb.reset());

describe('transient AWS errors in state-machine tasks', () => {
  it('renames DynamoDB throttling to AwsTransientError so the state machine retries the task', async () => {
    ddb.on(GetItemCommand).rejects(new ProvisionedThroughputExceededException(meta));
    await expect(task({}, context)).rejects.toMatchObject({ name: 'AwsTransientError' });
  });

  it('renames a server-side fault to AwsTransientError', async () => {
    ddb.on(GetItemCommand).rejects(new InternalServerError(meta));
    await expect(task({}, context)).rejects.toMatchObject({ name: 'AwsTransientError' });
  });

  it('keeps the name of a client mistake such as a failed condition', async () => {
    ddb.on(GetItemCommand).rejects(new ConditionalCheckFailedException(meta));
    await expect(task({}, context)).rejects.toMatchObject({ name: 'ConditionalCheckFailedException' });
  });

  it('keeps the names of our own task errors and passes results through', async () => {
    const named = Object.assign(new Error('x'), { name: 'BerbixRefusedError' });
    await expect(taskHandler(async () => Promise.reject(named))({}, context)).rejects.toMatchObject({
      name: 'BerbixRefusedError',
    });
    ddb.on(GetItemCommand).resolves({});
    await expect(task({}, context)).resolves.toEqual({ ok: true });
  });

  it('does not treat values that are not errors as transient', () => {
    expect(isTransientAwsError({ name: 'ThrottlingException' })).toBe(false);
    expect(isTransientAwsError(undefined)).toBe(false);
  });
});
