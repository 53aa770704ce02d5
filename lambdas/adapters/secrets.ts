import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

export interface BerbixSecrets {
  apiSecret: string;
  webhookSecret?: string;
}

const cache = new Map<string, Promise<BerbixSecrets>>();

/** The Berbix secret JSON, read once per cold start (per secret) and cached; a failed read is retried next time. */
export function getBerbixSecrets(client: SecretsManagerClient, secretArn: string): Promise<BerbixSecrets> {
  let pending = cache.get(secretArn);
  if (!pending) {
    pending = readSecrets(client, secretArn);
    cache.set(secretArn, pending);
    pending.catch(() => cache.delete(secretArn));
  }
  return pending;
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

/** For tests: forget what was read. */
export function clearSecretsCache(): void {
  cache.clear();
}
