import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

export interface BerbixSecrets {
  apiSecret: string;
  webhookSecret?: string;
}

/**
 * The Berbix secret JSON through Powertools Parameters: read on first use and kept `maxAgeSeconds`,
 * then read again on the next use, so a rotated secret is picked up within that time without a
 * deploy. A failed read is not kept (the next use tries again) and fails with the SDK's own error,
 * so a throttle or an outage stays a transient AWS fault for the state machine's retries.
 */
export function berbixSecretsReader(
  client: SecretsManagerClient,
  secretArn: string,
  options: { maxAgeSeconds: number },
): () => Promise<BerbixSecrets> {
  const provider = new SecretsProvider({ awsSdkV3Client: client });
  return async () => {
    let value: string | Uint8Array | undefined;
    try {
      value = await provider.get(secretArn, { maxAge: options.maxAgeSeconds });
    } catch (error) {
      // Parameters wraps the SDK's error in a GetParameterError; the SDK's is what callers classify.
      throw (error as { cause?: unknown }).cause ?? error;
    }
    return parseSecrets(typeof value === 'string' ? value : '');
  };
}

function parseSecrets(text: string): BerbixSecrets {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error('Berbix secret is not JSON');
  }
  const { apiSecret, webhookSecret } = (parsed ?? {}) as Record<string, unknown>;
  if (typeof apiSecret !== 'string' || apiSecret === '') throw new Error('Berbix secret has no apiSecret');
  return typeof webhookSecret === 'string' && webhookSecret !== ''
    ? { apiSecret, webhookSecret }
    : { apiSecret };
}
