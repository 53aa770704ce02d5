import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { loadOnce } from './once';

export interface BerbixSecrets {
  apiSecret: string;
  webhookSecret?: string;
}

/** The Berbix secret JSON, read on first use and kept for the function's life; a failed read is retried. */
export function berbixSecretsReader(
  client: SecretsManagerClient,
  secretArn: string,
): () => Promise<BerbixSecrets> {
  return loadOnce(() => readSecrets(client, secretArn));
}

async function readSecrets(client: SecretsManagerClient, secretArn: string): Promise<BerbixSecrets> {
  const out = await client.send(new GetSecretValueCommand({ SecretId: secretArn }));
  let parsed: unknown;
  try {
    parsed = JSON.parse(out.SecretString ?? '');
  } catch {
    throw new Error('Berbix secret is not JSON');
  }
  const { apiSecret, webhookSecret } = (parsed ?? {}) as Record<string, unknown>;
  if (typeof apiSecret !== 'string' || apiSecret === '') throw new Error('Berbix secret has no apiSecret');
  return typeof webhookSecret === 'string' && webhookSecret !== ''
    ? { apiSecret, webhookSecret }
    : { apiSecret };
}
