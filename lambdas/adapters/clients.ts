import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

// Created once per cold start and reused by every invocation. Endpoints and region come from the
// SDK's standard environment (AWS_REGION, AWS_ENDPOINT_URL_<SERVICE>), so the same code runs locally.
export const dynamoDb = DynamoDBDocumentClient.from(new DynamoDBClient({}), {
  marshallOptions: { removeUndefinedValues: true },
});
// WHEN_REQUIRED: no aws-chunked bodies or empty-body checksums in presigned requests (s3rver and
// some S3-compatible stores mishandle them); S3 does not need them either.
export const s3 = new S3Client({ requestChecksumCalculation: 'WHEN_REQUIRED' });
export const sfn = new SFNClient({});
export const eventBridge = new EventBridgeClient({});
export const secretsManager = new SecretsManagerClient({});
