import { Match } from 'aws-cdk-lib/assertions';
import type { CfnElement } from 'aws-cdk-lib';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { CALL_BUDGET_MS } from '../../lambdas/adapters/berbix';
import { loadConfig, type ConfigKey } from '../../lambdas/config';
import { DEFAULT_HANDLERS_DIR } from '../../lib/constructs/verification-function';
import { CONTRACT_ROUTES, HANDLER_OF, synthesize, type Synthesized } from './synth';

type Json = Record<string, unknown>;
interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}

let synth: Synthesized;
let resources: Record<string, { Type: string; Properties: Json }>;

beforeAll(() => {
  synth = synthesize();
  resources = synth.template.toJSON().Resources;
});
afterAll(() => synth.cleanup());

const logicalId = (fnId: string): string => {
  const fn = synth.stack.functions[fnId];
  if (!fn) throw new Error(`no function ${fnId}`);
  return synth.stack.getLogicalId(fn.node.defaultChild as CfnElement);
};
const idOf = (construct: { node: { defaultChild?: unknown } }): string =>
  synth.stack.getLogicalId(construct.node.defaultChild as CfnElement);
const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const actions = (s: Statement): string[] => (Array.isArray(s.Action) ? s.Action : [s.Action]);

/** Every Allow statement of the policies attached to a function's execution role. */
function statementsOf(fnId: string): Statement[] {
  const fn = resources[logicalId(fnId)];
  const roleRef = (fn?.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  return ofType('AWS::IAM::Policy')
    .filter(([, p]) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === roleRef))
    .flatMap(([, p]) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
}
const allowedActions = (fnId: string) => new Set(statementsOf(fnId).flatMap(actions));

const env = (fnId: string): Json =>
  ((resources[logicalId(fnId)]?.Properties.Environment as { Variables?: Json } | undefined)?.Variables ??
    {}) as Json;

const FUNCTION_IDS = Object.keys(HANDLER_OF);

describe('the uploads bucket', () => {
  const bucketId = () => idOf(synth.stack.storage.bucket);

  it('is encrypted with the customer key and an S3 bucket key', () => {
    expect(resources[bucketId()]?.Properties.BucketEncryption).toEqual({
      ServerSideEncryptionConfiguration: [
        {
          BucketKeyEnabled: true,
          ServerSideEncryptionByDefault: {
            SSEAlgorithm: 'aws:kms',
            KMSMasterKeyID: { 'Fn::GetAtt': [idOf(synth.stack.storage.key), 'Arn'] },
          },
        },
      ],
    });
  });

  it('blocks every kind of public access', () => {
    expect(resources[bucketId()]?.Properties.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
  });

  it('denies every request that does not use TLS', () => {
    synth.template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucketId() },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 's3:*',
            Principal: { AWS: '*' },
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  it('expires raw uploads after one day by default', () => {
    expect(resources[bucketId()]?.Properties.LifecycleConfiguration).toEqual({
      Rules: [expect.objectContaining({ Prefix: 'uploads/', ExpirationInDays: 1, Status: 'Enabled' })],
    });
  });

  it('has no CORS rule unless browser origins are configured', () => {
    expect(resources[bucketId()]?.Properties.CorsConfiguration).toBeUndefined();
  });

  it('notifies UploadReceivedFn of objects created under uploads/ only', () => {
    synth.template.hasResourceProperties('Custom::S3BucketNotifications', {
      BucketName: { Ref: bucketId() },
      NotificationConfiguration: {
        LambdaFunctionConfigurations: [
          {
            Events: ['s3:ObjectCreated:*'],
            Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'uploads/' }] } },
            LambdaFunctionArn: { 'Fn::GetAtt': [logicalId('UploadReceivedFn'), 'Arn'] },
          },
        ],
      },
    });
  });
});

describe('the data at rest', () => {
  it('uses one customer-managed KMS key with rotation on', () => {
    synth.template.resourceCountIs('AWS::KMS::Key', 1);
    synth.template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  it('keeps verifications in an on-demand, KMS-encrypted table with PITR, TTL and the webhook GSI', () => {
    synth.template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      SSESpecification: {
        SSEEnabled: true,
        SSEType: 'KMS',
        KMSMasterKeyId: { 'Fn::GetAtt': [idOf(synth.stack.storage.key), 'Arn'] },
      },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
      GlobalSecondaryIndexes: [
        {
          IndexName: 'byBerbixTransaction',
          KeySchema: [{ AttributeName: 'berbixTransactionId', KeyType: 'HASH' }],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        },
      ],
    });
  });

  it('encrypts the Berbix secret with the customer key', () => {
    synth.template.hasResourceProperties('AWS::SecretsManager::Secret', {
      KmsKeyId: { 'Fn::GetAtt': [idOf(synth.stack.storage.key), 'Arn'] },
      GenerateSecretString: Match.objectLike({ SecretStringTemplate: '{"apiSecret":""}' }),
    });
  });

  it('encrypts the upload-failure DLQ with the customer key and refuses plain HTTP to it', () => {
    const queueId = idOf(synth.stack.uploadFailures);
    expect(resources[queueId]?.Properties.KmsMasterKeyId).toEqual({
      'Fn::GetAtt': [idOf(synth.stack.storage.key), 'Arn'],
    });
    synth.template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: queueId }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('sends failed S3-event invocations of UploadReceivedFn to that DLQ', () => {
    synth.template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: logicalId('UploadReceivedFn') },
      DestinationConfig: {
        OnFailure: { Destination: { 'Fn::GetAtt': [idOf(synth.stack.uploadFailures), 'Arn'] } },
      },
    });
  });
});

describe('the functions', () => {
  it('are the sixteen of the architecture, each on nodejs22.x, arm64, active tracing and its own log group', () => {
    expect(Object.keys(synth.stack.functions).sort()).toEqual([...FUNCTION_IDS].sort());
    for (const fnId of FUNCTION_IDS) {
      const props = resources[logicalId(fnId)]?.Properties;
      expect({
        fnId,
        runtime: props?.Runtime,
        arch: props?.Architectures,
        tracing: props?.TracingConfig,
      }).toEqual({
        fnId,
        runtime: 'nodejs22.x',
        arch: ['arm64'],
        tracing: { Mode: 'Active' },
      });
      expect(props?.LoggingConfig).toEqual(
        expect.objectContaining({
          LogFormat: 'JSON',
          LogGroup: { Ref: expect.stringContaining(`${fnId}Logs`) },
        }),
      );
    }
  });

  it('gives the Berbix deletion its retry window, and DELETE the same first wait', () => {
    expect(env('DeleteBerbixTransactionFn')).toEqual(
      expect.objectContaining({
        BERBIX_DELETION_RETRY_SECONDS: '30',
        BERBIX_DELETION_GIVE_UP_SECONDS: '21600',
        BERBIX_CREATE_WINDOW_SECONDS: String(
          (resources[logicalId('CreateTransactionFn')]?.Properties.Timeout as number) + 30,
        ),
      }),
    );
    expect(env('DeleteVerificationFn')).toEqual(
      expect.objectContaining({
        BERBIX_DELETION_RETRY_SECONDS: '30',
        BERBIX_DELETION_STATE_MACHINE_ARN: { Ref: idOf(synth.stack.berbixDeletion.stateMachine) },
      }),
    );
  });

  it('sets the defaults of the architecture in the environment', () => {
    expect(env('CreateTransactionFn')).toEqual(
      expect.objectContaining({
        BERBIX_TEMPLATE_KEY: 'tpk_api_only_sandbox',
        BERBIX_API_URL: 'https://api.berbix.com',
      }),
    );
    expect(env('CreateVerificationFn')).toEqual(
      expect.objectContaining({
        ABANDON_AFTER_SECONDS: '86400',
        IMAGE_RETENTION_SECONDS: '0',
        CREATE_WAIT_MS: '8000',
        DATA_RETENTION_DAYS: '30',
        BACKEND_SCOPE: 'verifications/backend',
        CLIENT_SCOPE: 'verifications/client',
      }),
    );
    expect(env('CreateUploadFn')).toEqual(
      expect.objectContaining({ UPLOAD_URL_TTL_SECONDS: '300', MAX_UPLOAD_BYTES: '20971520' }),
    );
    expect(env('FetchResultFn')).toEqual(expect.objectContaining({ EVENT_BUS_NAME: 'default' }));
    for (const fnId of FUNCTION_IDS) {
      expect(env(fnId)).toEqual(
        expect.objectContaining({
          POWERTOOLS_SERVICE_NAME: 'berbix-serverless',
          POWERTOOLS_LOG_LEVEL: 'INFO',
        }),
      );
    }
  });

  it('gives each function exactly the variables its handler loads, valid for lambdas/config.ts', () => {
    const snake = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase();
    for (const fnId of FUNCTION_IDS) {
      const source = readFileSync(path.join(DEFAULT_HANDLERS_DIR, `${HANDLER_OF[fnId] ?? fnId}.ts`), 'utf8');
      const keys = [...(source.match(/loadConfig\(\[([^\]]*)\]/)?.[1] ?? '').matchAll(/'([a-zA-Z]+)'/g)].map(
        (m) => m[1] ?? '',
      );
      const vars = Object.keys(env(fnId)).filter((v) => !/^(POWERTOOLS_|NODE_OPTIONS$)/.test(v));
      expect({ fnId, vars: vars.sort() }).toEqual({ fnId, vars: keys.map(snake).sort() });
      // References resolve only at deploy: stand in a plausible string for them.
      const resolved = Object.fromEntries(
        Object.entries(env(fnId)).map(([k, v]) => [
          k,
          typeof v === 'string' ? v : `deploy-time-${k.toLowerCase()}`,
        ]),
      );
      expect(() => loadConfig(keys as ConfigKey[], resolved)).not.toThrow();
    }
  });
});

describe('timeouts', () => {
  it('lets every function that calls Berbix outlive one Berbix call with its retries', () => {
    const callers = FUNCTION_IDS.filter((fnId) => 'BERBIX_API_URL' in env(fnId));
    expect(callers.length).toBeGreaterThan(0);
    for (const fnId of callers) {
      const timeout = resources[logicalId(fnId)]?.Properties.Timeout as number;
      expect({ fnId, outlivesBudget: timeout * 1000 > CALL_BUDGET_MS }).toEqual({
        fnId,
        outlivesBudget: true,
      });
    }
  });
});

describe('least privilege', () => {
  it('grants no wildcard action, and a wildcard resource only to X-Ray and log delivery', () => {
    for (const [id, policy] of ofType('AWS::IAM::Policy')) {
      for (const s of (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement) {
        for (const a of actions(s))
          expect({ id, action: a }).not.toEqual({
            id,
            action: expect.stringMatching(/^(\*|[a-z0-9-]+:\*)$/),
          });
        if (s.Resource === '*') {
          expect({ id, actions: actions(s) }).toEqual({
            id,
            actions: expect.arrayContaining([
              expect.stringMatching(/^(xray:|logs:|s3:PutBucketNotification)/),
            ]),
          });
          for (const a of actions(s))
            expect(a).toMatch(
              /^(xray:|logs:(Create|Delete|Describe|Get|List|Put|Update)|s3:PutBucketNotification$)/,
            );
        }
      }
    }
  });

  it('lets UploadReceivedFn resume a wait but not start or stop executions', () => {
    const granted = allowedActions('UploadReceivedFn');
    expect(granted).toContain('states:SendTaskSuccess');
    for (const a of ['states:StartExecution', 'states:StopExecution', 'states:*'])
      expect(granted).not.toContain(a);
    expect([...granted].filter((a) => a.startsWith('s3:'))).toEqual(['s3:DeleteObject*']);
  });

  it('lets CreateVerificationFn start verifications, and DeleteVerificationFn stop them and start Berbix deletions', () => {
    const holders = (action: string) => FUNCTION_IDS.filter((f) => allowedActions(f).has(action));
    const started = (fnId: string) =>
      statementsOf(fnId)
        .filter((s) => actions(s).includes('states:StartExecution'))
        .flatMap(resourcesOf);
    expect(holders('states:StartExecution')).toEqual(['CreateVerificationFn', 'DeleteVerificationFn']);
    expect(started('CreateVerificationFn')).toEqual([{ Ref: idOf(synth.stack.workflow.stateMachine) }]);
    expect(started('DeleteVerificationFn')).toEqual([{ Ref: idOf(synth.stack.berbixDeletion.stateMachine) }]);
    expect(holders('states:StopExecution')).toEqual(['DeleteVerificationFn']);
    expect(holders('events:PutEvents')).toEqual(['FetchResultFn']);
  });

  it('gives the read-only API functions no write access to the table and no bucket or secret access', () => {
    for (const fnId of ['GetVerificationFn', 'GetResultFn']) {
      const granted = [...allowedActions(fnId)];
      expect(granted.filter((a) => /^dynamodb:(Put|Update|Delete|BatchWrite)/.test(a))).toEqual([]);
      expect(granted.filter((a) => a.startsWith('s3:') || a.startsWith('secretsmanager:'))).toEqual([]);
    }
  });

  const bucketArn = () => ({ 'Fn::GetAtt': [idOf(synth.stack.storage.bucket), 'Arn'] });
  const objects = (pattern: string) => ({ 'Fn::Join': ['', [bucketArn(), `/${pattern}`]] });
  const s3Statements = (fnId: string) =>
    statementsOf(fnId).filter((st) => actions(st).some((a) => a.startsWith('s3:')));
  const resourcesOf = (s: Statement) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]);

  it('scopes object access of every function to keys under uploads/', () => {
    for (const fnId of FUNCTION_IDS) {
      for (const s of s3Statements(fnId)) {
        for (const r of resourcesOf(s)) {
          // Only grantRead's bucket-level List/GetBucket touch the bucket ARN itself.
          if (JSON.stringify(r) === JSON.stringify(bucketArn())) continue;
          expect({ fnId, r }).toEqual({
            fnId,
            r: { 'Fn::Join': ['', [bucketArn(), expect.stringMatching(/^\/uploads\/\*/)]] },
          });
        }
      }
    }
  });

  it('lets the API writers put objects for their own step only', () => {
    const puts = (fnId: string) =>
      s3Statements(fnId)
        .filter((s) => actions(s).includes('s3:PutObject'))
        .flatMap(resourcesOf);
    expect(puts('CreateUploadFn')).toEqual([objects('uploads/*/document_*/*')]);
    expect(puts('SubmitIdScanFn')).toEqual([objects('uploads/*/id_scan/*')]);
    expect(puts('ReuseFrontFn')).toEqual([objects('uploads/*/document_back/*')]);
    const reads = s3Statements('ReuseFrontFn')
      .filter((s) => actions(s).includes('s3:GetObject*'))
      .flatMap(resourcesOf);
    expect(reads).toContainEqual(objects('uploads/*/document_front/*'));
    expect(reads).not.toContainEqual(objects('uploads/*'));
  });
});

describe('the HTTP API', () => {
  const routes = () =>
    Object.fromEntries(
      ofType('AWS::ApiGatewayV2::Route').map(([, r]) => [r.Properties.RouteKey as string, r.Properties]),
    );

  it('is a real API Gateway v2 HTTP API with a JWT authorizer for the configured issuer and audience', () => {
    synth.template.hasResourceProperties('AWS::ApiGatewayV2::Api', { ProtocolType: 'HTTP' });
    synth.template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
      JwtConfiguration: { Issuer: 'https://auth.example.com', Audience: ['berbix-serverless'] },
    });
  });

  it('serves the eight routes of the contract', () => {
    expect(Object.keys(routes()).sort()).toEqual([...CONTRACT_ROUTES].sort());
  });

  it('requires the backend scope for results and deletion, and client or backend for the rest', () => {
    for (const [key, props] of Object.entries(routes())) {
      if (key === 'POST /webhooks/berbix') continue;
      expect({ key, type: props.AuthorizationType }).toEqual({ key, type: 'JWT' });
      const expected = ['GET /verifications/{id}/result', 'DELETE /verifications/{id}'].includes(key)
        ? ['verifications/backend']
        : ['verifications/client', 'verifications/backend'];
      expect({ key, scopes: props.AuthorizationScopes }).toEqual({ key, scopes: expected });
    }
  });

  it('leaves the Berbix webhook without a JWT (the handler checks the Berbix signature)', () => {
    expect(routes()['POST /webhooks/berbix']).toEqual(expect.objectContaining({ AuthorizationType: 'NONE' }));
  });

  it('routes each path to its function through a payload 2.0 proxy integration', () => {
    const integrations = Object.fromEntries(ofType('AWS::ApiGatewayV2::Integration'));
    const target = (routeKey: string) => {
      const ref = (routes()[routeKey]?.Target as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1][1] as {
        Ref: string;
      };
      return integrations[ref.Ref]?.Properties;
    };
    const expectations: Record<string, string> = {
      'POST /verifications': 'CreateVerificationFn',
      'GET /verifications/{id}/result': 'GetResultFn',
      'DELETE /verifications/{id}': 'DeleteVerificationFn',
      'POST /webhooks/berbix': 'BerbixWebhookFn',
    };
    for (const [key, fnId] of Object.entries(expectations)) {
      expect(target(key)).toEqual(
        expect.objectContaining({
          IntegrationType: 'AWS_PROXY',
          PayloadFormatVersion: '2.0',
          IntegrationUri: { 'Fn::GetAtt': [logicalId(fnId), 'Arn'] },
        }),
      );
    }
  });

  it('throttles the default stage and writes JSON access logs', () => {
    synth.template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
      AccessLogSettings: {
        DestinationArn: Match.anyValue(),
        Format: Match.stringLikeRegexp('"requestId":"\\$context.requestId"'),
      },
    });
  });
});

/** The functions a state machine's role may invoke, by construct id. */
const invokedBy = (machine: Json) => {
  const roleRef = (machine.RoleArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  const invoked = ofType('AWS::IAM::Policy')
    .filter(([, p]) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === roleRef))
    .flatMap(([, p]) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement)
    .filter((s) => actions(s).includes('lambda:InvokeFunction'))
    .flatMap((s) => s.Resource as unknown[])
    .map((r) => JSON.stringify(r).match(/"([A-Za-z]+Fn)[0-9A-F]{8}"/)?.[1]);
  return [...new Set(invoked)].sort();
};

describe('the state machines', () => {
  it('are the verification and the Berbix deletion: Standard, X-Ray, and logs of every event without execution data', () => {
    synth.template.resourceCountIs('AWS::StepFunctions::StateMachine', 2);
    for (const [, m] of ofType('AWS::StepFunctions::StateMachine')) {
      expect(m.Properties).toEqual(
        expect.objectContaining({
          StateMachineType: 'STANDARD',
          TracingConfiguration: { Enabled: true },
          LoggingConfiguration: expect.objectContaining({ Level: 'ALL', IncludeExecutionData: false }),
        }),
      );
    }
  });

  it('lets the Berbix deletion invoke exactly its one task function, named by its one substitution', () => {
    const deletion = resources[idOf(synth.stack.berbixDeletion.stateMachine)]!.Properties;
    expect(deletion.DefinitionSubstitutions).toEqual({
      DeleteBerbixTransactionFunctionArn: { 'Fn::GetAtt': [logicalId('DeleteBerbixTransactionFn'), 'Arn'] },
    });
    expect(invokedBy(deletion)).toEqual(['DeleteBerbixTransactionFn']);
  });
});

describe('the verification state machine', () => {
  const machine = () => resources[idOf(synth.stack.workflow.stateMachine)]!.Properties;

  it('keeps its definition inline with one substitution per task function', () => {
    expect(typeof machine().DefinitionString).toBe('string');
    expect(machine().DefinitionS3Location).toBeUndefined();
    const subs = machine().DefinitionSubstitutions as Json;
    expect(subs).toEqual({
      CreateTransactionFunctionArn: { 'Fn::GetAtt': [logicalId('CreateTransactionFn'), 'Arn'] },
      AwaitUploadFunctionArn: { 'Fn::GetAtt': [logicalId('AwaitUploadFn'), 'Arn'] },
      SubmitUploadFunctionArn: { 'Fn::GetAtt': [logicalId('SubmitUploadFn'), 'Arn'] },
      FetchResultFunctionArn: { 'Fn::GetAtt': [logicalId('FetchResultFn'), 'Arn'] },
      DeleteImagesFunctionArn: { 'Fn::GetAtt': [logicalId('DeleteImagesFn'), 'Arn'] },
      CloseVerificationFunctionArn: { 'Fn::GetAtt': [logicalId('CloseVerificationFn'), 'Arn'] },
    });
    for (const name of Object.keys(subs)) expect(machine().DefinitionString).toContain(`\${${name}}`);
  });

  it('may invoke exactly the six task functions', () => {
    expect(invokedBy(machine())).toEqual([
      'AwaitUploadFn',
      'CloseVerificationFn',
      'CreateTransactionFn',
      'DeleteImagesFn',
      'FetchResultFn',
      'SubmitUploadFn',
    ]);
  });
});

describe('the outputs', () => {
  it('name the API URL, the bucket, the table and the state machines', () => {
    const outputs = Object.keys(synth.template.toJSON().Outputs ?? {});
    expect(outputs).toEqual(
      expect.arrayContaining([
        'ApiUrl',
        'UploadsBucketName',
        'TableName',
        'StateMachineArn',
        'BerbixDeletionStateMachineArn',
      ]),
    );
  });
});

describe('the alarms', () => {
  const alarms = () => ofType('AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);

  it('watch the upload DLQ, failed verifications, failed Berbix deletions and API 5xx answers', () => {
    const byMetric = Object.fromEntries(alarms().map((a) => [a.MetricName as string, a]));
    expect(
      alarms()
        .map((a) => a.MetricName as string)
        .sort(),
    ).toEqual(['5xx', 'ApproximateNumberOfMessagesVisible', 'ExecutionsFailed', 'ExecutionsFailed']);
    const failedOf = (machine: { node: { defaultChild?: unknown } }) =>
      alarms().filter(
        (a) =>
          a.MetricName === 'ExecutionsFailed' &&
          JSON.stringify(a.Dimensions).includes(`"Ref":"${idOf(machine)}"`),
      );
    expect(failedOf(synth.stack.workflow.stateMachine)).toHaveLength(1);
    expect(failedOf(synth.stack.berbixDeletion.stateMachine)).toEqual([
      expect.objectContaining({ Namespace: 'AWS/States', Threshold: 1 }),
    ]);
    expect(byMetric.ApproximateNumberOfMessagesVisible).toMatchObject({
      Namespace: 'AWS/SQS',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Dimensions: [
        { Name: 'QueueName', Value: { 'Fn::GetAtt': [idOf(synth.stack.uploadFailures), 'QueueName'] } },
      ],
    });
    expect(byMetric.ExecutionsFailed).toMatchObject({ Namespace: 'AWS/States', Threshold: 1 });
    expect(byMetric['5xx']).toMatchObject({ Namespace: 'AWS/ApiGateway', Threshold: 5 });
  });

  it('stay quiet while there is no data, so an idle deployment raises nothing', () => {
    for (const alarm of alarms()) expect(alarm.TreatMissingData).toBe('notBreaching');
  });
});
