import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
import { createTableFromTemplate, startDynamoDb } from '../../../local/cloud/emulators/dynamodb';

// Java starts slowly on a busy machine: room for two starts per test.
jest.setTimeout(180_000);

const credentials = { accessKeyId: 'local', secretAccessKey: 'localsecretlocalsecret' };

/** The Properties of the verifications table as the stack synthesizes it (docs/architecture.md). */
const tableProperties = {
  KeySchema: [
    { AttributeName: 'pk', KeyType: 'HASH' },
    { AttributeName: 'sk', KeyType: 'RANGE' },
  ],
  AttributeDefinitions: [
    { AttributeName: 'pk', AttributeType: 'S' },
    { AttributeName: 'sk', AttributeType: 'S' },
    { AttributeName: 'berbixTransactionId', AttributeType: 'S' },
  ],
  BillingMode: 'PAY_PER_REQUEST',
  GlobalSecondaryIndexes: [
    {
      IndexName: 'byBerbixTransaction',
      KeySchema: [{ AttributeName: 'berbixTransactionId', KeyType: 'HASH' }],
      Projection: { ProjectionType: 'ALL' },
    },
  ],
  TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
  SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: { 'Fn::GetAtt': ['Key', 'Arn'] } },
  PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
};

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('the local DynamoDB (DynamoDB Local)', () => {
  it('creates a table from template properties with its GSI, on-demand billing and TTL, and serves it', async () => {
    const db = await startDynamoDb({});
    // Other credentials than the ones that created the table: one shared database, like one AWS account.
    const client = new DynamoDBClient({
      endpoint: db.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'lambda', secretAccessKey: 'lambdasecret' },
    });
    try {
      await createTableFromTemplate(db.endpoint, 'Verifications', tableProperties);
      const { Table } = await client.send(new DescribeTableCommand({ TableName: 'Verifications' }));
      const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: 'Verifications' }));
      await client.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            {
              Put: {
                TableName: 'Verifications',
                Item: { pk: { S: 'V#vrf_1' }, sk: { S: 'META' }, berbixTransactionId: { S: 'txn_1' } },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
          ],
        }),
      );
      const byTransaction = await client.send(
        new QueryCommand({
          TableName: 'Verifications',
          IndexName: 'byBerbixTransaction',
          KeyConditionExpression: 'berbixTransactionId = :t',
          ExpressionAttributeValues: { ':t': { S: 'txn_1' } },
        }),
      );

      expect(Table!.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
      expect(Table!.KeySchema).toEqual(tableProperties.KeySchema);
      expect(Table!.GlobalSecondaryIndexes!.map((i) => i.IndexName)).toEqual(['byBerbixTransaction']);
      expect(ttl.TimeToLiveDescription).toMatchObject({ AttributeName: 'ttl', TimeToLiveStatus: 'ENABLED' });
      expect(byTransaction.Items!.map((i) => i.pk!.S)).toEqual(['V#vrf_1']);
    } finally {
      client.destroy();
      await db.close();
    }
    expect(isRunning(db.pid)).toBe(false);
  });

  it('keeps tables and items in dataDir across restarts, and re-creating the table from the template keeps them', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'ddb-data-'));
    try {
      const first = await startDynamoDb({ dataDir });
      await createTableFromTemplate(first.endpoint, 'Verifications', tableProperties);
      const writer = new DynamoDBClient({ endpoint: first.endpoint, region: 'us-east-1', credentials });
      await writer.send(
        new PutItemCommand({ TableName: 'Verifications', Item: { pk: { S: 'V#kept' }, sk: { S: 'META' } } }),
      );
      writer.destroy();
      await first.close();

      const second = await startDynamoDb({ dataDir });
      const reader = new DynamoDBClient({ endpoint: second.endpoint, region: 'us-east-1', credentials });
      try {
        await createTableFromTemplate(second.endpoint, 'Verifications', tableProperties);
        const { Item } = await reader.send(
          new GetItemCommand({ TableName: 'Verifications', Key: { pk: { S: 'V#kept' }, sk: { S: 'META' } } }),
        );
        expect(Item?.pk?.S).toBe('V#kept');
      } finally {
        reader.destroy();
        await second.close();
      }
      expect(isRunning(first.pid)).toBe(false);
      expect(isRunning(second.pid)).toBe(false);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
