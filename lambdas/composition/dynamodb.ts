import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { tracer } from './tracer';

// Each SDK client has a module of its own, created once per cold start and reused by every
// invocation: a function bundles only the clients it imports. Endpoints and region come from the
// SDK's standard environment (AWS_REGION, AWS_ENDPOINT_URL_<SERVICE>), so the same code runs locally.
// Each is wrapped by the tracer: its operations become X-Ray subsegments when the invocation is traced.
export const dynamoDb = DynamoDBDocumentClient.from(tracer.captureAwsClient(new DynamoDBClient({})), {
  marshallOptions: { removeUndefinedValues: true },
});
