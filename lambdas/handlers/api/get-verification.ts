import { dynamoDb } from '../../adapters/clients';
import { VerificationRepository } from '../../adapters/repository';
import { loadConfig } from '../../config';
import { apiHandler } from '../../middleware';
import { readVerification } from '../helpers/read-verification';

const config = loadConfig(['tableName', 'dataRetentionDays', 'backendScope', 'clientScope']);
const repo = new VerificationRepository(dynamoDb, config.tableName, config);

/** GET /verifications/{id}[?wait=<seconds>], conditional on If-None-Match. */
export const handler = apiHandler({ scopes: config }, (event, context) =>
  readVerification(
    { repo },
    {
      rawId: event.pathParameters?.id,
      auth: event.auth,
      wait: event.queryStringParameters?.wait,
      ifNoneMatch: event.headers?.['if-none-match'],
      remainingMs: context.getRemainingTimeInMillis(),
    },
  ),
);
