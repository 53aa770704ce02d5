import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type * as z from 'zod/mini';
import { HttpError } from './http-error';

/** The request body as text, whether API Gateway base64-encoded it or not. */
export function rawBody(event: Pick<APIGatewayProxyEventV2, 'body' | 'isBase64Encoded'>): string {
  if (event.body === undefined || event.body === null) return '';
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
}

/**
 * Parses the JSON body and validates it with `schema`; the result is `event.parsedBody`.
 * Problems are a 400 `invalid_request` listing each path and message (never the values sent).
 */
export function jsonBody<S extends z.ZodMiniType>(
  schema: S,
): MiddlewareObj<APIGatewayProxyEventV2 & { parsedBody?: z.output<S> }> {
  return {
    before: (request) => {
      const text = rawBody(request.event);
      let json: unknown;
      try {
        json = text === '' ? {} : JSON.parse(text);
      } catch {
        throw new HttpError(400, 'invalid_request', 'The body is not valid JSON', {
          details: [{ path: '', message: 'not valid JSON' }],
        });
      }
      const parsed = schema.safeParse(json);
      if (!parsed.success) {
        throw new HttpError(400, 'invalid_request', 'The request body is invalid', {
          details: parsed.error.issues.map((issue) => ({
            path: issue.path.join('.'),
            message: issue.message,
          })),
        });
      }
      request.event.parsedBody = parsed.data;
    },
  };
}
