import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

// Each SDK client has a module of its own, created once per cold start and reused by every
// invocation: a function bundles only the clients it imports. Endpoints and region come from the
// SDK's standard environment (AWS_REGION, AWS_ENDPOINT_URL_<SERVICE>), so the same code runs locally.
export const dynamoDb = DynamoDBDocumentClient.from(new DynamoDBClient({}), {
  marshallOptions: { removeUndefinedValues: true },
});
