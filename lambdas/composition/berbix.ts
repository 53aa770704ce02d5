import { berbixClientFactory } from '../adapters/berbix';
import { berbixSecretsReader } from '../adapters/secrets';
import { loadConfig } from '../contract/env';
import { secretsManager } from './secrets';

const config = loadConfig(['berbixSecretArn', 'berbixApiUrl']);

/** The Berbix secret (API and webhook secrets), read once per cold start. */
export const berbixSecrets = berbixSecretsReader(secretsManager, config.berbixSecretArn);

/** The Berbix client, built on first use from the API secret. */
export const berbixClient = berbixClientFactory(berbixSecrets, config.berbixApiUrl);
