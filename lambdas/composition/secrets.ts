import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { tracer } from './tracer';

export const secretsManager = tracer.captureAwsClient(new SecretsManagerClient({}));
