import { berbixClientFactory, observedBerbixFetch } from '../adapters/berbix';
import { berbixSecretsReader } from '../adapters/secrets';
import { loadConfig } from '../contract/env';
import { metrics } from './metrics';
import { secretsManager } from './secrets';
import { tracer } from './tracer';

const config = loadConfig(['berbixSecretArn', 'berbixApiUrl', 'berbixSecretMaxAgeSeconds']);

/** The Berbix secret (API and webhook secrets), kept `BERBIX_SECRET_MAX_AGE_SECONDS`, then read again. */
export const berbixSecrets = berbixSecretsReader(secretsManager, config.berbixSecretArn, {
  maxAgeSeconds: config.berbixSecretMaxAgeSeconds,
});

/** The Berbix client of the current API secret; each request counted and traced. */
export const berbixClient = berbixClientFactory(berbixSecrets, config.berbixApiUrl, {
  fetch: observedBerbixFetch({ metrics, tracer }),
});
