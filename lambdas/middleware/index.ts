import middy, { type MiddlewareObj } from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyEventV2WithJWTAuthorizer,
  APIGatewayProxyResultV2,
  Context,
} from 'aws-lambda';
import type * as z from 'zod/mini';
import { authContext, type AuthContext, type AuthScopes } from './auth-context';
import { errorHandler } from './error-handler';
import { jsonBody } from './json-body';
import { logger } from './logger';
import { transientAwsErrors } from './transient-aws-errors';

export { authContext, type AuthContext, type AuthScopes } from './auth-context';
export { errorHandler, jsonResponse } from './error-handler';
export { HttpError, notFound } from './http-error';
export { jsonBody, rawBody } from './json-body';
export { errorSummary, logger } from './logger';
export { isTransientAwsError, transientAwsErrors } from './transient-aws-errors';

export type ApiEvent<TBody = undefined> = APIGatewayProxyEventV2WithJWTAuthorizer & {
  auth: AuthContext;
  parsedBody: TBody;
};
export type ApiResult = Exclude<APIGatewayProxyResultV2, string>;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyMiddleware = MiddlewareObj<any, any>;

/** An authenticated JSON route: logger context, error shape, auth context and (optionally) a body schema. */
export function apiHandler<S extends z.ZodMiniType | undefined = undefined>(
  options: { scopes: AuthScopes; body?: S },
  fn: (
    event: ApiEvent<S extends z.ZodMiniType ? z.output<S> : undefined>,
    context: Context,
  ) => Promise<ApiResult>,
): (event: APIGatewayProxyEventV2WithJWTAuthorizer, context: Context) => Promise<ApiResult> {
  const middlewares: AnyMiddleware[] = [
    injectLambdaContext(logger, { resetKeys: true }),
    errorHandler(),
    authContext(options.scopes),
  ];
  if (options.body) middlewares.push(jsonBody(options.body));
  return middy(fn as (event: unknown, context: Context) => Promise<ApiResult>).use(middlewares);
}

/** A public JSON route without JWT (webhooks): logger context and the error shape. */
export function publicHandler(
  fn: (event: APIGatewayProxyEventV2, context: Context) => Promise<ApiResult>,
): (event: APIGatewayProxyEventV2, context: Context) => Promise<ApiResult> {
  const middlewares: AnyMiddleware[] = [injectLambdaContext(logger, { resetKeys: true }), errorHandler()];
  return middy(fn as (event: unknown, context: Context) => Promise<ApiResult>).use(middlewares);
}

/** A state-machine or S3 task: structured logging with the Lambda context, transient AWS faults named for Retry. */
export function taskHandler<E, R>(
  fn: (event: E, context: Context) => Promise<R>,
): (event: E, context: Context) => Promise<R> {
  return middy(fn as (event: unknown, context: Context) => Promise<R>).use([
    injectLambdaContext(logger, { resetKeys: true }) as AnyMiddleware,
    transientAwsErrors() as AnyMiddleware,
  ]);
}
