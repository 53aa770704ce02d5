import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { berbixSecretsReader } from '../../../lambdas/adapters/secrets';
import { isTransientAwsError } from '../../../lambdas/middleware';

const secretsManager = mockClient(SecretsManagerClient);
const ARN = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:berbix';
const secret = (apiSecret: string) => ({ SecretString: JSON.stringify({ apiSecret, webhookSecret: 'wh' }) });

beforeEach(() => {
  secretsManager.reset();
  jest.useFakeTimers({ now: new Date('2026-03-01T12:00:00Z'), doNotFake: ['nextTick', 'setImmediate'] });
});
afterEach(() => jest.useRealTimers());

describe('the Berbix secret read with a cache that expires', () => {
  it('keeps the secret for its max age, then reads the rotated one', async () => {
    secretsManager
      .on(GetSecretValueCommand)
      .resolvesOnce(secret('secret_old'))
      .resolves(secret('secret_new'));
    const read = berbixSecretsReader(new SecretsManagerClient({}), ARN, { maxAgeSeconds: 300 });

    expect(await read()).toEqual({ apiSecret: 'secret_old', webhookSecret: 'wh' });
    jest.setSystemTime(new Date('2026-03-01T12:04:59Z'));
    expect((await read()).apiSecret).toBe('secret_old');
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(1);

    jest.setSystemTime(new Date('2026-03-01T12:05:01Z'));
    expect((await read()).apiSecret).toBe('secret_new');
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(2);
    expect(secretsManager.commandCalls(GetSecretValueCommand)[0]!.args[0].input).toEqual({ SecretId: ARN });
    // And keeps the new one for a max age again.
    jest.setSystemTime(new Date('2026-03-01T12:09:00Z'));
    expect((await read()).apiSecret).toBe('secret_new');
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('honours a shorter max age', async () => {
    secretsManager
      .on(GetSecretValueCommand)
      .resolvesOnce(secret('secret_old'))
      .resolves(secret('secret_new'));
    const read = berbixSecretsReader(new SecretsManagerClient({}), ARN, { maxAgeSeconds: 10 });
    expect((await read()).apiSecret).toBe('secret_old');
    jest.setSystemTime(new Date('2026-03-01T12:00:11Z'));
    expect((await read()).apiSecret).toBe('secret_new');
  });

  it('keeps no failed read, and fails with the SDK’s own error so a throttle stays transient', async () => {
    const throttled = Object.assign(new Error('Rate exceeded'), {
      name: 'ThrottlingException',
      $fault: 'client',
      $retryable: { throttling: true },
    });
    secretsManager.on(GetSecretValueCommand).rejectsOnce(throttled).resolves(secret('secret_old'));
    const read = berbixSecretsReader(new SecretsManagerClient({}), ARN, { maxAgeSeconds: 300 });
    const error = await read().catch((e: unknown) => e);
    expect(error).toBe(throttled);
    expect(isTransientAwsError(error)).toBe(true);
    expect((await read()).apiSecret).toBe('secret_old');
  });

  it('refuses a secret that is not the documented JSON, without echoing it', async () => {
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: 'secret_plain_text' });
    const read = berbixSecretsReader(new SecretsManagerClient({}), ARN, { maxAgeSeconds: 300 });
    await expect(read()).rejects.toThrow(/^Berbix secret is not JSON$/);
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: '{"webhookSecret":"wh"}' });
    jest.setSystemTime(new Date('2026-03-01T12:06:00Z'));
    await expect(read()).rejects.toThrow(/^Berbix secret has no apiSecret$/);
  });
});
