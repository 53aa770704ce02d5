import { dynamoDb, sfn } from '../../adapters/clients';
import { VerificationRepository } from '../../adapters/repository';
import { Workflow } from '../../adapters/workflow';
import { loadConfig } from '../../config';
import { createVerificationBody } from '../../domain';
import { apiHandler } from '../../middleware';
import { createVerification } from '../helpers/create-verification';

const config = loadConfig([
  'tableName',
  'stateMachineArn',
  'createWaitMs',
  'abandonAfterSeconds',
  'imageRetentionSeconds',
  'dataRetentionDays',
  'backendScope',
  'clientScope',
  'sendContactDetails',
]);
const repo = new VerificationRepository(dynamoDb, config.tableName, config);
const workflow = new Workflow(sfn, config.stateMachineArn);

/** POST /verifications */
export const handler = apiHandler({ scopes: config, body: createVerificationBody }, (event) =>
  createVerification(
    { repo, workflow, config },
    { auth: event.auth, body: event.parsedBody, idempotencyKey: event.headers?.['idempotency-key'] },
  ),
);
