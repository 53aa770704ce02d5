import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
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
