import { repository } from '../../composition/repository';
import { loadConfig } from '../../contract/env';
import { apiHandler, jsonResponse, type ApiResult } from '../../middleware';
import { readVerification } from '../../use-cases/read-verification';

const scopes = loadConfig(['backendScope', 'clientScope']);

/** GET /verifications/{id}[?wait=<seconds>], conditional on If-None-Match. */
export const handler = apiHandler({ scopes }, async (event, context) => {
  const { view, etag, notModified } = await readVerification(
    { repository },
    {
      rawId: event.pathParameters?.id,
      auth: event.auth,
      wait: event.queryStringParameters?.wait,
      ifNoneMatch: event.headers?.['if-none-match'],
      remainingMs: context.getRemainingTimeInMillis(),
    },
  );
  const headers = { etag, 'cache-control': 'no-store' };
  if (notModified) return { statusCode: 304, headers } satisfies ApiResult;
  return jsonResponse(200, view, headers);
});
