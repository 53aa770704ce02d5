import { VerificationRepository } from '../adapters/repository';
import { loadConfig } from '../contract/env';
import { dynamoDb } from './dynamodb';

const config = loadConfig(['tableName', 'dataRetentionDays']);

/** The verifications table (every function has one). */
export const repository = new VerificationRepository(dynamoDb, config.tableName, config);
