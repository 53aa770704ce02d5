import { dynamoDb } from '../../adapters/clients';
import { VerificationRepository } from '../../adapters/repository';
import { loadConfig } from '../../config';
import { toVerificationView } from '../../domain';
import { apiHandler, jsonResponse } from '../../middleware';
import { loadOwned } from '../helpers/access';

const config = loadConfig(['tableName', 'dataRetentionDays', 'backendScope', 'clientScope']);
const repo = new VerificationRepository(dynamoDb, config.tableName, config);

/** GET /verifications/{id} */
export const handler = apiHandler({ scopes: config }, async (event) => {
  const verification = await loadOwned(repo, event.pathParameters?.id, event.auth);
  return jsonResponse(200, toVerificationView(verification));
});
