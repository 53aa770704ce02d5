import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyResultV2 } from 'aws-lambda';
import { HttpError } from './http-error';
import { errorSummary, logger } from './logger';

export function jsonResponse(status: number, body?: unknown, headers: Record<string, string> = {}) {
  return {
    statusCode: status,
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? '' : JSON.stringify(body),
  } satisfies APIGatewayProxyResultV2;
}

/** Maps any error to the JSON error shape: HttpError as itself, anything else as a bare 500. */
export function errorHandler(): MiddlewareObj<unknown, APIGatewayProxyResultV2> {
  return {
    onError: (request) => {
      const error = request.error;
      if (error instanceof HttpError) {
        request.response = jsonResponse(error.status, {
          error: { ...error.details, code: error.code, message: error.message },
        });
        return;
      }
      logger.error('Unhandled error', errorSummary(error));
      request.response = jsonResponse(500, { error: { code: 'internal_error', message: 'Internal error' } });
    },
  };
}
