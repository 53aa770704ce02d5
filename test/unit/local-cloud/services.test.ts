import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  startAwsServices,
  type AwsServices,
  type EventBridgeEvent,
} from '../../../local/cloud/emulators/services';

const credentials = { accessKeyId: 'local', secretAccessKey: 'localsecretlocalsecret' };
const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:BerbixSecret-AbC123';
const berbixSecret = JSON.stringify({ apiSecret: 'secret_test_1', webhookSecret: 'whsec_1' });

let services: AwsServices;
let secretsManager: SecretsManagerClient;
let eventBridge: EventBridgeClient;
const delivered: EventBridgeEvent[][] = [];

beforeAll(async () => {
  services = await startAwsServices({
    secrets: { [SECRET_ARN]: berbixSecret, 'plain-name': 'plain value' },
    onEvents: (entries) => delivered.push(entries),
  });
  secretsManager = new SecretsManagerClient({
    endpoint: services.endpoint,
    region: 'us-east-1',
    credentials,
  });
  eventBridge = new EventBridgeClient({ endpoint: services.endpoint, region: 'us-east-1', credentials });
});

afterAll(async () => {
  secretsManager.destroy();
  eventBridge.destroy();
  await services.close();
});

beforeEach(() => {
  delivered.length = 0;
});

describe('the local Secrets Manager and EventBridge endpoint', () => {
  it('returns a secret by its ARN, its name and its ARN without the random suffix', async () => {
    const byArn = await secretsManager.send(new GetSecretValueCommand({ SecretId: SECRET_ARN }));
    const byName = await secretsManager.send(new GetSecretValueCommand({ SecretId: 'BerbixSecret' }));
    const byPartialArn = await secretsManager.send(
      new GetSecretValueCommand({
        SecretId: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:BerbixSecret',
      }),
    );

    expect(byArn).toMatchObject({
      ARN: SECRET_ARN,
      Name: 'BerbixSecret',
      SecretString: berbixSecret,
      VersionStages: ['AWSCURRENT'],
    });
    expect(byArn.CreatedDate).toBeInstanceOf(Date);
    expect(byName.SecretString).toBe(berbixSecret);
    expect(byPartialArn.SecretString).toBe(berbixSecret);
  });

  it('gives a secret configured by name an ARN that also finds it', async () => {
    const byName = await secretsManager.send(new GetSecretValueCommand({ SecretId: 'plain-name' }));
    const byArn = await secretsManager.send(new GetSecretValueCommand({ SecretId: byName.ARN }));

    expect(byName.ARN).toMatch(
      /^arn:aws:secretsmanager:us-east-1:000000000000:secret:plain-name-[A-Za-z0-9]{6}$/,
    );
    expect(byArn.SecretString).toBe('plain value');
  });

  it('answers an unknown secret with ResourceNotFoundException', async () => {
    await expect(
      secretsManager.send(new GetSecretValueCommand({ SecretId: 'missing' })),
    ).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
      $metadata: { httpStatusCode: 400 },
    });
  });

  it('accepts events, returns their ids and hands them on as EventBridge delivers them', async () => {
    const result = await eventBridge.send(
      new PutEventsCommand({
        Entries: [
          {
            Source: 'berbix-serverless',
            DetailType: 'VerificationCompleted',
            Detail: JSON.stringify({ verificationId: 'vrf_1', action: 'accept' }),
            Resources: ['arn:aws:states:us-east-1:000000000000:execution:M:vrf_1'],
          },
        ],
      }),
    );

    expect(result.FailedEntryCount).toBe(0);
    expect(result.Entries).toEqual([{ EventId: expect.any(String) }]);
    expect(delivered).toEqual([
      [
        expect.objectContaining({
          id: result.Entries![0]!.EventId,
          source: 'berbix-serverless',
          'detail-type': 'VerificationCompleted',
          detail: { verificationId: 'vrf_1', action: 'accept' },
          account: '000000000000',
          region: 'us-east-1',
        }),
      ],
    ]);
  });

  it('reports malformed entries in the result and delivers only the good ones', async () => {
    const result = await eventBridge.send(
      new PutEventsCommand({
        Entries: [
          { Source: 'berbix-serverless', DetailType: 'VerificationCompleted', Detail: 'not json' },
          { Source: 'berbix-serverless', Detail: '{}' },
          { Source: 'berbix-serverless', DetailType: 'VerificationCompleted', Detail: '{"ok":true}' },
        ],
      }),
    );

    expect(result.FailedEntryCount).toBe(2);
    expect(result.Entries!.map((e) => e.ErrorCode ?? 'ok')).toEqual([
      'MalformedDetail',
      'InvalidArgument',
      'ok',
    ]);
    expect(delivered.flat().map((e) => e.detail)).toEqual([{ ok: true }]);
  });

  it('refuses an empty PutEvents call and unknown operations with JSON errors', async () => {
    await expect(eventBridge.send(new PutEventsCommand({ Entries: [] }))).rejects.toMatchObject({
      name: 'ValidationException',
    });
    const response = await fetch(services.endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'secretsmanager.DeleteSecret',
      },
      body: '{}',
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      __type: 'UnknownOperationException',
      message: expect.any(String),
    });
  });
});
