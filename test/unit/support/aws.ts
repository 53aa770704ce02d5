import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import type { Verification } from '../../../lambdas/domain';

export const ddb = mockClient(DynamoDBDocumentClient);
export const s3 = mockClient(S3Client);
export const sfn = mockClient(SFNClient);
export const secrets = mockClient(SecretsManagerClient);
export const events = mockClient(EventBridgeClient);

export const API_SECRET = 'secret_test_api_secret_value';
export const WEBHOOK_SECRET = 'webhook-secret-value';

export function resetAws(): void {
  for (const mock of [ddb, s3, sfn, secrets, events]) mock.reset();
  secrets
    .on(GetSecretValueCommand)
    .resolves({ SecretString: JSON.stringify({ apiSecret: API_SECRET, webhookSecret: WEBHOOK_SECRET }) });
}

export const VID = 'vrf_abcdefghijklmnopqrstuvwxyz';

export function verification(overrides: Partial<Verification> = {}): Verification {
  return {
    id: VID,
    customerUid: 'user-1',
    status: 'awaiting_upload',
    nextStep: 'upload_document_front',
    issues: [],
    issueDetails: {},
    attempts: {},
    acceptedKeys: {},
    berbixTransactionId: '4242',
    awaiting: { step: 'document_front', attempt: 1, taskToken: 'task-token-1', claimed: false },
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    ...overrides,
  };
}

/** META as DynamoDB returns it. */
export function givenMeta(v: Verification | undefined): void {
  ddb
    .on(GetCommand, { Key: { pk: `V#${VID}`, sk: 'META' } })
    .resolves({ Item: v && { pk: `V#${v.id}`, sk: 'META', ...v } });
}

export const TOKENS = {
  accessToken: 'access-token-secret',
  clientToken: 'client-token-secret',
  refreshToken: 'refresh-token-secret',
  expiresAt: Date.now() + 3_600_000,
  transactionId: 4242,
};

export function givenTokens(tokens: typeof TOKENS | undefined = TOKENS): void {
  ddb
    .on(GetCommand, { Key: { pk: `V#${VID}`, sk: 'TOKENS' } })
    .resolves({ Item: tokens && { pk: `V#${VID}`, sk: 'TOKENS', ...tokens } });
}

/** An S3 GetObject body: what the handler reads is `transformToByteArray()`. */
export function body(bytes: Uint8Array) {
  return { transformToByteArray: async () => bytes } as never;
}

type Json = Record<string, unknown>;
const transactItems = () =>
  ddb.commandCalls(TransactWriteCommand).flatMap((c) => c.args[0].input.TransactItems ?? []);

/** Every item written, by a PutCommand or as a Put of a transaction, in order. */
export function putItems(): Json[] {
  return [
    ...ddb.commandCalls(PutCommand).map((c) => c.args[0].input.Item as Json),
    ...transactItems().flatMap((t) => (t.Put ? [t.Put.Item as Json] : [])),
  ];
}

/** Every update (UpdateCommand or in a transaction): its expression and values. */
export function updates(): { UpdateExpression?: string; ExpressionAttributeValues?: Json }[] {
  return [
    ...ddb.commandCalls(UpdateCommand).map((c) => c.args[0].input),
    ...transactItems().flatMap((t) => (t.Update ? [t.Update] : [])),
  ];
}

/** The sort keys of every item deleted (DeleteCommand or in a transaction). */
export function deletedSortKeys(): string[] {
  return [
    ...ddb.commandCalls(DeleteCommand).map((c) => String(c.args[0].input.Key?.sk)),
    ...transactItems().flatMap((t) => (t.Delete ? [String(t.Delete.Key?.sk)] : [])),
  ];
}

/** A transaction DynamoDB cancelled, with one reason code per item (`ConditionalCheckFailed`, `None`). */
export function cancelled(codes: string[]): TransactionCanceledException {
  return new TransactionCanceledException({
    message: 'Transaction cancelled',
    $metadata: {},
    CancellationReasons: codes.map((Code) => ({ Code })),
  });
}
