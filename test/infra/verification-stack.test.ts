import { Match } from 'aws-cdk-lib/assertions';
import type { CfnElement } from 'aws-cdk-lib';
import { CALL_BUDGET_MS } from '../../lambdas/adapters/berbix';
import { ENV } from '../../lambdas/contract';
import { MAX_WAIT_SECONDS } from '../../lambdas/domain/version';
import { ANSWER_MARGIN_MS } from '../../lambdas/use-cases/read-verification';
import { resolvedEnv, variablesReadOnLoad } from './handler-env';
import { CONTRACT_ROUTES, HANDLER_OF, synthesize, type Synthesized } from './synth';
import type { VerificationFunctionId } from '../../lib/berbix-verification';

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
  const fn = synth.stack.verification.functions[fnId as VerificationFunctionId];
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
  const bucketId = () => idOf(synth.stack.verification.uploadsBucket);

  it('is encrypted with the customer key and an S3 bucket key', () => {
    expect(resources[bucketId()]?.Properties.BucketEncryption).toEqual({
      ServerSideEncryptionConfiguration: [
        {
          BucketKeyEnabled: true,
          ServerSideEncryptionByDefault: {
            SSEAlgorithm: 'aws:kms',
            KMSMasterKeyID: { 'Fn::GetAtt': [idOf(synth.stack.verification.encryptionKey), 'Arn'] },
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
        KMSMasterKeyId: { 'Fn::GetAtt': [idOf(synth.stack.verification.encryptionKey), 'Arn'] },
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
      KmsKeyId: { 'Fn::GetAtt': [idOf(synth.stack.verification.encryptionKey), 'Arn'] },
      GenerateSecretString: Match.objectLike({ SecretStringTemplate: '{"apiSecret":""}' }),
    });
  });

  it('encrypts the upload-failure DLQ with the customer key and refuses plain HTTP to it', () => {
    const queueId = idOf(synth.stack.verification.uploadFailuresQueue);
    expect(resources[queueId]?.Properties.KmsMasterKeyId).toEqual({
      'Fn::GetAtt': [idOf(synth.stack.verification.encryptionKey), 'Arn'],
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
        OnFailure: {
          Destination: { 'Fn::GetAtt': [idOf(synth.stack.verification.uploadFailuresQueue), 'Arn'] },
        },
      },
    });
  });
});

describe('the functions', () => {
  it('are the sixteen of the architecture, each on nodejs22.x, arm64, active tracing and its own log group', () => {
    expect(Object.keys(synth.stack.verification.functions).sort()).toEqual([...FUNCTION_IDS].sort());
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
        BERBIX_DELETION_STATE_MACHINE_ARN: { Ref: idOf(synth.stack.verification.berbixDeletionStateMachine) },
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
          // The instance's name: the stack's, as the construct's id is `Default`.
          POWERTOOLS_SERVICE_NAME: 'BerbixServerless',
          POWERTOOLS_LOG_LEVEL: 'INFO',
        }),
      );
    }
  });

  it('gives each function exactly the variables its handler loads, valid for the contract readers', () => {
    const configVariables: ReadonlySet<string> = new Set(Object.values(ENV));
    for (const fnId of FUNCTION_IDS) {
      // Loading the handler reads its configuration (and throws when a variable is missing or bad).
      const read = variablesReadOnLoad(HANDLER_OF[fnId] ?? fnId, resolvedEnv(env(fnId)));
      const loaded = [...read].filter((v) => configVariables.has(v));
      // Powertools' own settings aside, unless a handler reads one itself (the metrics namespace).
      const vars = Object.keys(env(fnId)).filter(
        (v) => configVariables.has(v) || !/^(POWERTOOLS_|NODE_OPTIONS$)/.test(v),
      );
      expect({ fnId, vars: vars.sort() }).toEqual({ fnId, vars: loaded.sort() });
    }
  });
});

describe('timeouts', () => {
  it('lets GetVerificationFn hold its longest waiting read and still answer inside API Gateway’s 30 s', () => {
    const timeout = resources[logicalId('GetVerificationFn')]?.Properties.Timeout as number;
    expect(timeout * 1000).toBeGreaterThanOrEqual(MAX_WAIT_SECONDS * 1000 + ANSWER_MARGIN_MS);
    expect(timeout).toBeLessThan(30);
  });

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

/**
 * What each function's role may do beside writing its own logs and X-Ray traces: exactly the calls
 * its handler and adapters make (docs/architecture.md, "Functions and their environment"). A KMS
 * action is listed with the one service allowed to use the key for it (`kms:ViaService`).
 * A new function or a new call adds a row or an action here; a wider grant fails the test.
 */
const TABLE_READ = ['dynamodb:GetItem', 'kms:Decrypt via dynamodb', 'kms:DescribeKey via dynamodb'];
const TABLE_WRITE_KEY = [
  'kms:Decrypt via dynamodb',
  'kms:DescribeKey via dynamodb',
  'kms:Encrypt via dynamodb',
  'kms:GenerateDataKey via dynamodb',
];
const items = (...names: string[]) => names.map((n) => `dynamodb:${n}`);
const SECRET = ['secretsmanager:GetSecretValue', 'kms:Decrypt via secretsmanager'];
const LIST_AND_DELETE = ['s3:ListBucket', 's3:DeleteObject'];
/** A Berbix call may refresh the tokens: TOKENS is written only while META allows it (a ConditionCheck). */
const BERBIX_CALLER = [
  ...items('GetItem', 'PutItem', 'UpdateItem', 'ConditionCheckItem'),
  ...TABLE_WRITE_KEY,
  ...SECRET,
];
const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  CreateVerificationFn: [
    ...items('GetItem', 'PutItem', 'UpdateItem', 'DeleteItem'),
    ...TABLE_WRITE_KEY,
    'states:StartExecution',
  ],
  GetVerificationFn: TABLE_READ,
  CreateUploadFn: [...TABLE_READ, 's3:PutObject', 'kms:GenerateDataKey via s3'],
  ReuseFrontFn: [
    ...TABLE_READ,
    's3:GetObject',
    's3:PutObject',
    'kms:Decrypt via s3',
    'kms:GenerateDataKey via s3',
  ],
  SubmitIdScanFn: [
    ...items('GetItem', 'UpdateItem'),
    ...TABLE_WRITE_KEY,
    's3:PutObject',
    'kms:GenerateDataKey via s3',
  ],
  GetResultFn: TABLE_READ,
  // Stops the verification's execution, starts its Berbix deletion's.
  DeleteVerificationFn: [
    ...BERBIX_CALLER,
    ...items('DeleteItem'),
    ...LIST_AND_DELETE,
    'states:StopExecution',
    'states:StartExecution',
  ],
  BerbixWebhookFn: [...BERBIX_CALLER, ...items('DeleteItem', 'Query')],
  CreateTransactionFn: [...BERBIX_CALLER, ...items('DeleteItem')],
  AwaitUploadFn: [...items('GetItem', 'UpdateItem'), ...TABLE_WRITE_KEY],
  SubmitUploadFn: [...BERBIX_CALLER, 's3:GetObject', 's3:DeleteObject', 'kms:Decrypt via s3'],
  FetchResultFn: [...BERBIX_CALLER, 'events:PutEvents'],
  DeleteImagesFn: [...items('UpdateItem'), ...TABLE_WRITE_KEY, ...LIST_AND_DELETE],
  CloseVerificationFn: [...items('GetItem', 'UpdateItem'), ...TABLE_WRITE_KEY, ...LIST_AND_DELETE],
  DeleteBerbixTransactionFn: [...BERBIX_CALLER, ...items('DeleteItem')],
  UploadReceivedFn: [
    ...items('GetItem', 'UpdateItem'),
    ...TABLE_WRITE_KEY,
    's3:DeleteObject',
    'states:SendTaskSuccess',
    'sqs:SendMessage',
    'kms:GenerateDataKey via sqs',
    'kms:Decrypt via sqs',
  ],
};
const EVERY_FUNCTION = [
  'logs:CreateLogStream',
  'logs:PutLogEvents',
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
];

type Resources = Record<string, { Type: string; Properties: Json }>;

/** `kms:Decrypt via s3` for a KMS action limited to one service, the bare action otherwise. */
function labelled(action: string, statement: Statement & { Condition?: Json }): string {
  const via = JSON.stringify(
    (statement.Condition?.StringEquals as Json | undefined)?.['kms:ViaService'] ?? '',
  ).match(/"([a-z0-9]+)\./)?.[1];
  return action.startsWith('kms:') && via ? `${action} via ${via}` : action;
}

/** Every action each function's role allows, labelled, from a template's resources. */
function grantedActions(from: Resources): Record<string, string[]> {
  return Object.fromEntries(
    FUNCTION_IDS.map((fnId) => {
      const roleRef = (from[logicalId(fnId)]?.Properties.Role as { 'Fn::GetAtt': [string, string] })[
        'Fn::GetAtt'
      ][0];
      const statements = Object.values(from)
        .filter((r) => r.Type === 'AWS::IAM::Policy')
        .filter((p) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === roleRef))
        .flatMap((p) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
      const labels = statements.flatMap((s) => actions(s).map((a) => labelled(a, s)));
      return [fnId, [...new Set(labels)].filter((a) => !EVERY_FUNCTION.includes(a)).sort()];
    }),
  );
}

const expectedActions = () =>
  Object.fromEntries(FUNCTION_IDS.map((fnId) => [fnId, [...new Set(ALLOWED[fnId] ?? [])].sort()]));

describe('least privilege', () => {
  it('allows each function exactly the actions its code calls', () => {
    expect(Object.keys(ALLOWED).sort()).toEqual([...FUNCTION_IDS].sort());
    expect(grantedActions(resources)).toEqual(expectedActions());
  });

  it('fails that check when a grant is widened, by an action or by a key use outside its service', () => {
    const widened = structuredClone(resources);
    const role = (widened[logicalId('GetVerificationFn')]?.Properties.Role as { 'Fn::GetAtt': [string] })[
      'Fn::GetAtt'
    ][0];
    const policy = Object.values(widened).find(
      (r) =>
        r.Type === 'AWS::IAM::Policy' &&
        (r.Properties.Roles as { Ref: string }[]).some((x) => x.Ref === role),
    )!;
    const statements = (policy.Properties.PolicyDocument as { Statement: Json[] }).Statement;
    statements.push({ Effect: 'Allow', Action: ['dynamodb:Scan', 'kms:Decrypt'], Resource: '*' });
    expect(grantedActions(widened).GetVerificationFn).toEqual(
      [...TABLE_READ, 'dynamodb:Scan', 'kms:Decrypt'].sort(),
    );
    expect(grantedActions(widened)).not.toEqual(expectedActions());
  });

  it('lets every function write its own log group and X-Ray traces, nothing more on logs', () => {
    for (const fnId of FUNCTION_IDS) {
      const logs = statementsOf(fnId).filter((s) => actions(s).some((a) => a.startsWith('logs:')));
      expect({ fnId, logs: logs.flatMap((s) => [s.Resource].flat()) }).toEqual({
        fnId,
        logs: [{ 'Fn::GetAtt': [expect.stringMatching(new RegExp(`^${fnId}Logs`)), 'Arn'] }],
      });
    }
  });

  it('grants no wildcard action, and a wildcard resource only to X-Ray and log delivery', () => {
    for (const [id, policy] of ofType('AWS::IAM::Policy')) {
      for (const s of (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement) {
        for (const a of actions(s))
          expect({ id, action: a }).not.toEqual({ id, action: expect.stringMatching(/\*/) });
        if (s.Resource === '*') {
          for (const a of actions(s))
            expect(a).toMatch(
              /^(xray:|logs:(Create|Delete|Describe|Get|List|Put|Update)|s3:PutBucketNotification$)/,
            );
        }
      }
    }
  });

  it('uses the stack key only through DynamoDB, S3, Secrets Manager or SQS, never directly', () => {
    for (const fnId of FUNCTION_IDS) {
      for (const s of statementsOf(fnId).filter((st) => actions(st).some((a) => a.startsWith('kms:')))) {
        expect({ fnId, resource: s.Resource }).toEqual({
          fnId,
          resource: { 'Fn::GetAtt': [idOf(synth.stack.verification.encryptionKey), 'Arn'] },
        });
        expect(JSON.stringify((s as { Condition?: unknown }).Condition)).toMatch(
          /"kms:ViaService":\{"Fn::Join":\["",\["(dynamodb|s3|secretsmanager|sqs)\./,
        );
      }
    }
  });

  it('grants nothing to the functions through resource policies (key, bucket, queue, secret)', () => {
    const roles = FUNCTION_IDS.map(
      (fnId) => (resources[logicalId(fnId)]?.Properties.Role as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0],
    );
    const key = resources[idOf(synth.stack.verification.encryptionKey)]?.Properties.KeyPolicy;
    const policies = [
      key,
      ...['AWS::S3::BucketPolicy', 'AWS::SQS::QueuePolicy', 'AWS::SecretsManager::ResourcePolicy'].flatMap(
        (t) => ofType(t).map(([, r]) => r.Properties),
      ),
    ];
    for (const role of roles) expect(JSON.stringify(policies)).not.toContain(`"${role}"`);
  });

  const tableArn = () => ({ 'Fn::GetAtt': [idOf(synth.stack.verification.table), 'Arn'] });
  it('puts item actions on the table only, and Query on the webhook index only', () => {
    for (const fnId of FUNCTION_IDS) {
      for (const s of statementsOf(fnId).filter((st) => actions(st).some((a) => a.startsWith('dynamodb:')))) {
        const expected = actions(s).includes('dynamodb:Query')
          ? [{ 'Fn::Join': ['', [tableArn(), '/index/byBerbixTransaction']] }]
          : [tableArn()];
        expect({ fnId, actions: actions(s), resources: [s.Resource].flat() }).toEqual({
          fnId,
          actions: actions(s),
          resources: expected,
        });
      }
    }
    expect(FUNCTION_IDS.filter((f) => allowedActions(f).has('dynamodb:Query'))).toEqual(['BerbixWebhookFn']);
  });

  const bucketArn = () => ({ 'Fn::GetAtt': [idOf(synth.stack.verification.uploadsBucket), 'Arn'] });
  const objects = (pattern: string) => ({ 'Fn::Join': ['', [bucketArn(), `/${pattern}`]] });
  const s3Statements = (fnId: string) =>
    statementsOf(fnId).filter((st) => actions(st).some((a) => a.startsWith('s3:')));
  const resourcesOf = (s: Statement) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]);

  it('lists the bucket only under uploads/, and scopes every object action to keys under uploads/', () => {
    for (const fnId of FUNCTION_IDS) {
      for (const s of s3Statements(fnId)) {
        if (actions(s).includes('s3:ListBucket')) {
          expect(s).toMatchObject({
            Action: 's3:ListBucket',
            Resource: bucketArn(),
            Condition: { StringLike: { 's3:prefix': ['uploads/*'] } },
          });
          continue;
        }
        for (const r of resourcesOf(s)) {
          expect({ fnId, r }).toEqual({
            fnId,
            r: { 'Fn::Join': ['', [bucketArn(), expect.stringMatching(/^\/uploads\/\*/)]] },
          });
        }
      }
    }
  });

  it('lets the API writers put objects for their own step only', () => {
    const on = (fnId: string, action: string) =>
      s3Statements(fnId)
        .filter((s) => actions(s).includes(action))
        .flatMap(resourcesOf);
    expect(on('CreateUploadFn', 's3:PutObject')).toEqual([objects('uploads/*/document_*/*')]);
    expect(on('SubmitIdScanFn', 's3:PutObject')).toEqual([objects('uploads/*/id_scan/*')]);
    expect(on('ReuseFrontFn', 's3:PutObject')).toEqual([objects('uploads/*/document_back/*')]);
    expect(on('ReuseFrontFn', 's3:GetObject')).toEqual([objects('uploads/*/document_front/*')]);
  });

  it('lets CreateVerificationFn start verifications, DeleteVerificationFn stop them and start Berbix deletions, UploadReceivedFn resume them', () => {
    const holders = (action: string) => FUNCTION_IDS.filter((f) => allowedActions(f).has(action));
    const started = (fnId: string) =>
      statementsOf(fnId)
        .filter((s) => actions(s).includes('states:StartExecution'))
        .flatMap(resourcesOf);
    expect(holders('states:StartExecution')).toEqual(['CreateVerificationFn', 'DeleteVerificationFn']);
    expect(started('CreateVerificationFn')).toEqual([{ Ref: idOf(synth.stack.verification.stateMachine) }]);
    expect(started('DeleteVerificationFn')).toEqual([
      { Ref: idOf(synth.stack.verification.berbixDeletionStateMachine) },
    ]);
    expect(holders('states:StopExecution')).toEqual(['DeleteVerificationFn']);
    expect(holders('states:SendTaskSuccess')).toEqual(['UploadReceivedFn']);
    expect(holders('events:PutEvents')).toEqual(['FetchResultFn']);
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
    const deletion = resources[idOf(synth.stack.verification.berbixDeletionStateMachine)]!.Properties;
    expect(deletion.DefinitionSubstitutions).toEqual({
      DeleteBerbixTransactionFunctionArn: { 'Fn::GetAtt': [logicalId('DeleteBerbixTransactionFn'), 'Arn'] },
    });
    expect(invokedBy(deletion)).toEqual(['DeleteBerbixTransactionFn']);
  });
});

describe('the verification state machine', () => {
  const machine = () => resources[idOf(synth.stack.verification.stateMachine)]!.Properties;

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
    const single = alarms().filter((a) => a.MetricName !== undefined);
    const byMetric = Object.fromEntries(single.map((a) => [a.MetricName as string, a]));
    expect(single.map((a) => a.MetricName as string).sort()).toStrictEqual([
      '5xx',
      'ApproximateNumberOfMessagesVisible',
      'ExecutionsFailed',
      'ExecutionsFailed',
    ]);
    const failedOf = (machine: { node: { defaultChild?: unknown } }) =>
      alarms().filter(
        (a) =>
          a.MetricName === 'ExecutionsFailed' &&
          JSON.stringify(a.Dimensions).includes(`"Ref":"${idOf(machine)}"`),
      );
    expect(failedOf(synth.stack.verification.stateMachine)).toHaveLength(1);
    expect(failedOf(synth.stack.verification.berbixDeletionStateMachine)).toEqual([
      expect.objectContaining({ Namespace: 'AWS/States', Threshold: 1 }),
    ]);
    expect(byMetric.ApproximateNumberOfMessagesVisible).toMatchObject({
      Namespace: 'AWS/SQS',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Dimensions: [
        {
          Name: 'QueueName',
          Value: { 'Fn::GetAtt': [idOf(synth.stack.verification.uploadFailuresQueue), 'QueueName'] },
        },
      ],
    });
    expect(byMetric.ExecutionsFailed).toMatchObject({ Namespace: 'AWS/States', Threshold: 1 });
    expect(byMetric['5xx']).toMatchObject({ Namespace: 'AWS/ApiGateway', Threshold: 5 });
  });

  it('watch the Berbix error rate and an abandonment spike with metric math on the funnel metrics', () => {
    const math = alarms().filter((a) => a.MetricName === undefined);
    expect(alarms()).toHaveLength(6);
    expect(
      math.map((a) => (a.Metrics as { Expression?: string }[]).find((m) => m.Expression)?.Expression).sort(),
    ).toStrictEqual([
      'IF(calls >= 10, 100 * errors / calls, 0)',
      'IF(completed + failed + abandoned >= 10, 100 * abandoned / (completed + failed + abandoned), 0)',
    ]);
  });

  it('stay quiet while there is no data, so an idle deployment raises nothing', () => {
    for (const alarm of alarms()) expect(alarm.TreatMissingData).toBe('notBreaching');
  });
});
