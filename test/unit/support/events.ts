import type { APIGatewayProxyEventV2WithJWTAuthorizer, Context, S3Event } from 'aws-lambda';

export const context = {
  functionName: 'test-function',
  awsRequestId: 'request-1',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:test-function',
  getRemainingTimeInMillis: () => 30_000,
} as unknown as Context;

export interface ApiEventInput {
  sub?: string;
  scope?: string;
  body?: unknown;
  rawBody?: string;
  id?: string;
  headers?: Record<string, string>;
}

/** An API Gateway v2 (payload 2.0) event as the JWT authorizer hands it on. */
export function apiEvent(input: ApiEventInput = {}): APIGatewayProxyEventV2WithJWTAuthorizer {
  const body = input.rawBody ?? (input.body === undefined ? undefined : JSON.stringify(input.body));
  return {
    version: '2.0',
    routeKey: 'ANY /test',
    rawPath: '/test',
    rawQueryString: '',
    headers: { 'content-type': 'application/json', ...input.headers },
    ...(body === undefined ? {} : { body }),
    isBase64Encoded: false,
    ...(input.id ? { pathParameters: { id: input.id } } : {}),
    requestContext: {
      authorizer: {
        jwt: {
          claims: {
            ...(input.sub === undefined ? {} : { sub: input.sub }),
            ...(input.scope === undefined ? {} : { scope: input.scope }),
          },
          scopes: [],
        },
        principalId: '',
        integrationLatency: 0,
      },
    },
  } as unknown as APIGatewayProxyEventV2WithJWTAuthorizer;
}

export const CLIENT = { sub: 'user-1', scope: 'openid verifications/client' };
export const OTHER_CLIENT = { sub: 'user-2', scope: 'verifications/client' };
export const BACKEND = { sub: 'backend-service', scope: 'verifications/backend' };

/** An ObjectCreated event per key (or per object with the ETag and sequencer of its write). */
export function s3Event(
  ...objects: (string | { key: string; eTag?: string; sequencer?: string })[]
): S3Event {
  return {
    Records: objects.map((o) => ({
      eventName: 'ObjectCreated:Post',
      s3: {
        bucket: { name: 'uploads-bucket' },
        object: { size: 100, ...(typeof o === 'string' ? { key: o } : o) },
      },
    })),
  } as unknown as S3Event;
}

export function parse(result: { body?: string }): Record<string, unknown> {
  return JSON.parse(result.body ?? '{}') as Record<string, unknown>;
}
