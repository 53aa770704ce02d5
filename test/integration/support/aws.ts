/** Direct looks into DynamoDB Local and S3, to prove what was stored or deleted. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { integrationConfig } from './config';

let clients: { db: DynamoDBDocumentClient; s3: S3Client } | undefined;

function aws() {
  if (clients) return clients;
  const { endpoints, credentials } = integrationConfig();
  const base = { region: credentials.region, credentials };
  clients = {
    db: DynamoDBDocumentClient.from(new DynamoDBClient({ ...base, endpoint: endpoints.dynamodb })),
    s3: new S3Client({ ...base, endpoint: endpoints.s3, forcePathStyle: true }),
  };
  return clients;
}

/** Every item of a verification (META, TOKENS, RESULT, CREATE, …) keyed by sort key. */
export async function itemsOf(id: string): Promise<Record<string, Record<string, unknown>>> {
  const { Items = [] } = await aws().db.send(
    new QueryCommand({
      TableName: integrationConfig().tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': `V#${id}` },
    }),
  );
  return Object.fromEntries(Items.map((i) => [String(i.sk), i]));
}

/** The Berbix transaction id the pipeline stored for a verification. */
export async function berbixTransactionId(id: string): Promise<number> {
  const { Item } = await aws().db.send(
    new GetCommand({ TableName: integrationConfig().tableName, Key: { pk: `V#${id}`, sk: 'META' } }),
  );
  const value = Item?.berbixTransactionId;
  if (value === undefined) throw new Error(`no Berbix transaction recorded for ${id}`);
  return Number(value);
}

/** Keys of the objects stored for a verification. */
export async function objectsOf(id: string): Promise<string[]> {
  const { Contents = [] } = await aws().s3.send(
    new ListObjectsV2Command({ Bucket: integrationConfig().bucketName, Prefix: `uploads/${id}/` }),
  );
  return Contents.map((c) => c.Key!);
}

/** The SDK keeps sockets alive: close them when the test file is done. */
afterAll(() => {
  clients?.db.destroy();
  clients?.s3.destroy();
  clients = undefined;
});
