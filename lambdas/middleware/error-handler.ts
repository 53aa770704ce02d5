import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyResultV2 } from 'aws-lambda';
import { HttpError } from './http-error';
import { errorSummary, logger } from './logger';
import { isTransientAwsError } from './transient-aws-errors';

export function jsonResponse(status: number, body?: unknown, headers: Record<string, string> = {}) {
  return {
    statusCode: status,
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? '' : JSON.stringify(body),
  } satisfies APIGatewayProxyResultV2;
}

/** Seconds a caller is asked to wait after an AWS service it depends on was busy. */
export const RETRY_AFTER_SECONDS = 1;

/**
 * Maps any error to the JSON error shape: HttpError as itself; AWS throttling, timeouts and
 * server faults as `503 service_unavailable` with `Retry-After` (a use case leaves nothing
 * half-made, so the caller may simply try again); anything else as a bare 500.
 */
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
      if (isTransientAwsError(error)) {
        logger.warn('AWS was unavailable', errorSummary(error));
        request.response = jsonResponse(
          503,
          { error: { code: 'service_unavailable', message: 'The service is busy; try again shortly' } },
          { 'retry-after': String(RETRY_AFTER_SECONDS) },
        );
        return;
      }
      logger.error('Unhandled error', errorSummary(error));
      request.response = jsonResponse(500, { error: { code: 'internal_error', message: 'Internal error' } });
    },
  };
}
