import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, CfnParameter, Duration, Stack, Token, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { IConstruct } from 'constructs';
import { AwsSolutionsChecks } from 'cdk-nag';
import {
  BerbixVerification,
  EVENT_SOURCE,
  RESULT_ATTRIBUTES,
  VERIFICATION_COMPLETED,
  type BerbixVerificationProps,
  type VerificationFunctionId,
} from '../../lib/berbix-verification';
import { logicalIdOf } from '../../lib/constructs/verification-function';

type Json = Record<string, unknown>;
interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Json;
}

const REQUIRED: BerbixVerificationProps = {
  templateKey: 'tpk_test',
  jwtIssuer: 'https://issuer.example.com',
  jwtAudience: ['kyc'],
};

/** A stack of the customer's own; bundling skipped (the assertions never read the bundles). */
const newStack = () =>
  new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'CustomerStack', {
    env: { account: '111111111111', region: 'eu-west-1' },
  });

const actions = (s: Statement): string[] => (Array.isArray(s.Action) ? s.Action : [s.Action]);

/** The Allow statements of every policy attached to the role of a construct's function. */
function statementsOf(
  template: Template,
  fn: { node: { defaultChild?: unknown } },
  stack: Stack,
): Statement[] {
  const resources = template.toJSON().Resources as Record<string, { Type: string; Properties: Json }>;
  const fnId = stack.getLogicalId(fn.node.defaultChild as never);
  const roleRef = (resources[fnId]!.Properties.Role as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0];
  return Object.values(resources)
    .filter((r) => r.Type === 'AWS::IAM::Policy')
    .filter((p) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === roleRef))
    .flatMap((p) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
}

describe('BerbixVerification with resources the customer brings', () => {
  let stack: Stack;
  let template: Template;
  let verification: BerbixVerification;
  let key: kms.Key;
  let bus: events.EventBus;
  let secret: secretsmanager.ISecret;
  let secretKey: kms.Key;
  let topic: sns.Topic;

  beforeAll(() => {
    stack = newStack();
    key = new kms.Key(stack, 'CustomerKey', { enableKeyRotation: true });
    bus = new events.EventBus(stack, 'CustomerBus');
    secretKey = new kms.Key(stack, 'SecretKey', { enableKeyRotation: true });
    secret = secretsmanager.Secret.fromSecretAttributes(stack, 'CustomerSecret', {
      secretCompleteArn: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:berbix-AbCdEf',
      encryptionKey: secretKey,
    });
    topic = new sns.Topic(stack, 'Pager', { enforceSSL: true, masterKey: key });
    verification = new BerbixVerification(stack, 'Kyc', {
      ...REQUIRED,
      encryptionKey: key,
      berbixSecret: secret,
      eventBus: bus,
      alarmActions: [new SnsAction(topic)],
    });
    template = Template.fromStack(stack);
  });

  it('encrypts the bucket, the table and the DLQ with the customer key and creates no key of its own', () => {
    template.resourceCountIs('AWS::KMS::Key', 2);
    const keyArn = { 'Fn::GetAtt': [logicalIdOf(key), 'Arn'] };
    expect(verification.encryptionKey).toBe(key);
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          Match.objectLike({
            ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: keyArn },
          }),
        ],
      },
    });
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      SSESpecification: Match.objectLike({ KMSMasterKeyId: keyArn }),
    });
    template.hasResourceProperties('AWS::SQS::Queue', { KmsMasterKeyId: keyArn });
  });

  it('creates no secret and grants its functions the customer secret, decrypted through Secrets Manager only', () => {
    template.resourceCountIs('AWS::SecretsManager::Secret', 0);
    expect(verification.berbixSecret).toBe(secret);
    const fn = verification.functions.CreateTransactionFn;
    const statements = statementsOf(template, fn, stack);
    expect(statements).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Action: 'secretsmanager:GetSecretValue', Resource: secret.secretArn }),
        expect.objectContaining({
          Action: 'kms:Decrypt',
          Resource: { 'Fn::GetAtt': [logicalIdOf(secretKey), 'Arn'] },
          Condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.eu-west-1.amazonaws.com' } },
        }),
      ]),
    );
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ BERBIX_SECRET_ARN: secret.secretArn }) },
    });
  });

  it('puts completion events on the customer bus: FetchResultFn alone may, on that bus only', () => {
    const busArn = { 'Fn::GetAtt': [logicalIdOf(bus), 'Arn'] };
    expect(verification.eventBus).toBe(bus);
    const fetchResult = statementsOf(template, verification.functions.FetchResultFn, stack);
    expect(fetchResult.filter((s) => actions(s).includes('events:PutEvents'))).toEqual([
      expect.objectContaining({ Action: 'events:PutEvents', Resource: busArn }),
    ]);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ EVENT_BUS_NAME: busArn }) },
    });
    const others = (Object.keys(verification.functions) as VerificationFunctionId[]).filter(
      (id) => id !== 'FetchResultFn',
    );
    for (const id of others) {
      const puts = statementsOf(template, verification.functions[id], stack).filter((s) =>
        actions(s).includes('events:PutEvents'),
      );
      expect({ id, puts }).toEqual({ id, puts: [] });
    }
  });

  it('notifies the customer alarm actions from every alarm', () => {
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
    expect(alarms).toHaveLength(6);
    expect(verification.alarms).toHaveLength(6);
    for (const alarm of alarms) expect(alarm.Properties.AlarmActions).toEqual([{ Ref: logicalIdOf(topic) }]);
  });
});

describe('onVerificationCompleted', () => {
  it('returns a rule on the instance bus matching its own completion events, narrowed by the options, with the target', () => {
    const stack = newStack();
    const bus = new events.EventBus(stack, 'CustomerBus');
    const queue = new sqs.Queue(stack, 'Results', { enforceSSL: true });
    const verification = new BerbixVerification(stack, 'Kyc', { ...REQUIRED, eventBus: bus });
    const rule = verification.onVerificationCompleted('Accepted', {
      target: new targets.SqsQueue(queue),
      eventPattern: { detail: { action: ['accept'] } },
      description: 'Accepted verifications',
    });
    expect(rule).toBeInstanceOf(events.Rule);
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: { Ref: logicalIdOf(bus) },
      Description: 'Accepted verifications',
      EventPattern: {
        source: [EVENT_SOURCE],
        'detail-type': [VERIFICATION_COMPLETED],
        resources: [{ 'Fn::GetAtt': [logicalIdOf(verification.functions.FetchResultFn), 'Arn'] }],
        detail: { action: ['accept'] },
      },
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [logicalIdOf(queue), 'Arn'] } })],
    });
  });

  it('puts the rule on the default bus when no bus is given', () => {
    const stack = newStack();
    const verification = new BerbixVerification(stack, 'Kyc', REQUIRED);
    verification.onVerificationCompleted('Completed');
    const [rule] = Object.values(Template.fromStack(stack).findResources('AWS::Events::Rule'));
    expect(rule?.Properties.EventBusName).toBe('default');
    expect(rule?.Properties.Targets).toBeUndefined();
  });
});

describe('grantReadResults', () => {
  it('lets the grantee get only the result attributes of the table, and decrypt them through DynamoDB only', () => {
    const stack = newStack();
    const verification = new BerbixVerification(stack, 'Kyc', REQUIRED);
    const reader = new iam.Role(stack, 'Reader', { assumedBy: new iam.AccountRootPrincipal() });
    const grant = verification.grantReadResults(reader);
    expect(grant.success).toBe(true);
    const [policy, ...more] = Object.values(
      Template.fromStack(stack).findResources('AWS::IAM::Policy'),
    ).filter((p) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === logicalIdOf(reader)));
    expect(more).toEqual([]);
    expect(policy?.Properties.PolicyDocument.Statement).toEqual([
      {
        Effect: 'Allow',
        Action: 'dynamodb:GetItem',
        Resource: { 'Fn::GetAtt': [logicalIdOf(verification.table), 'Arn'] },
        Condition: {
          'ForAllValues:StringEquals': { 'dynamodb:Attributes': [...RESULT_ATTRIBUTES] },
          StringEqualsIfExists: { 'dynamodb:Select': 'SPECIFIC_ATTRIBUTES' },
        },
      },
      {
        Effect: 'Allow',
        Action: ['kms:Decrypt', 'kms:DescribeKey'],
        Resource: { 'Fn::GetAtt': [logicalIdOf(verification.encryptionKey), 'Arn'] },
        Condition: { StringEquals: { 'kms:ViaService': 'dynamodb.eu-west-1.amazonaws.com' } },
      },
    ]);
    expect(RESULT_ATTRIBUTES).not.toContain('accessToken');
  });
});

describe('two instances in one stack', () => {
  let stack: Stack;
  let template: Template;
  let a: BerbixVerification;
  let b: BerbixVerification;
  let outdir: string;

  beforeAll(() => {
    outdir = mkdtempSync(path.join(tmpdir(), 'berbix-two-'));
    const app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': [] } });
    stack = new Stack(app, 'CustomerStack');
    const key = new kms.Key(stack, 'CustomerKey', { enableKeyRotation: true });
    const bus = new events.EventBus(stack, 'CustomerBus');
    a = new BerbixVerification(stack, 'KycEurope', { ...REQUIRED, encryptionKey: key, eventBus: bus });
    b = new BerbixVerification(stack, 'KycAmerica', { ...REQUIRED, encryptionKey: key, eventBus: bus });
    a.onVerificationCompleted('Completed');
    b.onVerificationCompleted('Completed');
    // Synthesis fails on any open cdk-nag finding.
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    app.synth();
    template = Template.fromJSON(
      JSON.parse(readFileSync(path.join(outdir, `${stack.artifactId}.template.json`), 'utf8')),
    );
  });
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it('synthesizes with cdk-nag AwsSolutions clean (a finding fails the synth) and every explicit name distinct', () => {
    const report = JSON.parse(readFileSync(path.join(outdir, 'validation-report.json'), 'utf8')) as {
      pluginReports: { conclusion: string }[];
    };
    expect(report.pluginReports.filter((p) => p.conclusion !== 'success')).toEqual([]);
    const names = Object.values(template.findResources('AWS::Logs::LogGroup'))
      .map((g) => g.Properties.LogGroupName as unknown)
      .filter((n) => n !== undefined);
    expect(names.sort()).toEqual([
      '/aws/vendedlogs/states/CustomerStack-KycAmerica-berbix-deletion',
      '/aws/vendedlogs/states/CustomerStack-KycAmerica-verification',
      '/aws/vendedlogs/states/CustomerStack-KycEurope-berbix-deletion',
      '/aws/vendedlogs/states/CustomerStack-KycEurope-verification',
    ]);
  });

  it('have their own table, bucket, state machines and functions', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 2);
    template.resourceCountIs('AWS::StepFunctions::StateMachine', 4);
    template.resourceCountIs('AWS::Lambda::Function', 2 * 16 + 1);
    template.resourceCountIs('AWS::SecretsManager::Secret', 2);
    for (const field of ['table', 'uploadsBucket', 'stateMachine', 'berbixSecret', 'httpApi'] as const) {
      expect(logicalIdOf(a[field])).not.toEqual(logicalIdOf(b[field]));
    }
  });

  it('grant each instance functions only on the resources of their own instance', () => {
    const own = (v: BerbixVerification) =>
      [v.table, v.uploadsBucket, v.stateMachine, v.berbixDeletionStateMachine, v.uploadFailuresQueue].map(
        logicalIdOf,
      );
    for (const [mine, theirs] of [
      [a, b],
      [b, a],
    ] as const) {
      for (const [id, fn] of Object.entries(mine.functions)) {
        const text = JSON.stringify(statementsOf(template, fn, stack));
        for (const other of own(theirs)) {
          expect({ id, grantsOnOther: text.includes(`"${other}"`) }).toEqual({ id, grantsOnOther: false });
        }
      }
    }
  });

  it('put rules that match only their own instance completion events', () => {
    const rules = Object.values(template.findResources('AWS::Events::Rule'));
    expect(rules.map((r) => r.Properties.EventPattern.resources)).toEqual([
      [{ 'Fn::GetAtt': [logicalIdOf(a.functions.FetchResultFn), 'Arn'] }],
      [{ 'Fn::GetAtt': [logicalIdOf(b.functions.FetchResultFn), 'Arn'] }],
    ]);
  });
});

describe('validation', () => {
  const build = (props: Partial<BerbixVerificationProps>) => () =>
    new BerbixVerification(newStack(), 'Kyc', { ...REQUIRED, ...props });

  it('lets deploy-time values through where the value only reaches the functions or the API', () => {
    const stack = newStack();
    const param = (id: string, type = 'String') => new CfnParameter(stack, id, { type });
    const attempts = param('Attempts', 'Number').valueAsNumber;
    const abandon = param('AbandonSeconds', 'Number').valueAsNumber;
    const v = new BerbixVerification(stack, 'Kyc', {
      templateKey: param('TemplateKey').valueAsString,
      jwtIssuer: param('Issuer').valueAsString,
      jwtAudience: [param('Audience').valueAsString],
      clientScope: param('ClientScope').valueAsString,
      backendScope: param('BackendScope').valueAsString,
      allowedOrigins: [param('Origin').valueAsString],
      maxUploadAttempts: attempts,
      abandonAfter: Duration.seconds(abandon),
    });
    const template = Template.fromStack(stack);
    const envOf = (fn: IConstruct) =>
      template.toJSON().Resources[logicalIdOf(fn)].Properties.Environment.Variables as Json;
    expect(envOf(v.functions.CreateTransactionFn).BERBIX_TEMPLATE_KEY).toEqual({ Ref: 'TemplateKey' });
    for (const opensOrArmsAWait of ['AwaitUploadFn', 'CreateTransactionFn', 'SubmitUploadFn'] as const)
      expect(envOf(v.functions[opensOrArmsAWait]).MAX_UPLOAD_ATTEMPTS).toEqual({ Ref: 'Attempts' });
    expect(envOf(v.functions.CreateVerificationFn).ABANDON_AFTER_SECONDS).toEqual({ Ref: 'AbandonSeconds' });
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      JwtConfiguration: { Issuer: { Ref: 'Issuer' }, Audience: [{ Ref: 'Audience' }] },
    });
    expect(Token.isUnresolved(v.apiUrl)).toBe(true);
  });

  it('keeps the image hold when imageRetention is a deploy-time value: it waits what the execution input says', () => {
    const stack = newStack();
    const seconds = new CfnParameter(stack, 'RetentionSeconds', { type: 'Number' }).valueAsNumber;
    new BerbixVerification(stack, 'Kyc', {
      ...REQUIRED,
      imageRetention: Duration.seconds(seconds),
      rawUploadExpiration: Duration.days(2),
    });
    const [machine] = Object.values(
      Template.fromStack(stack).findResources('AWS::StepFunctions::StateMachine'),
    );
    const { States: states } = JSON.parse(machine!.Properties.DefinitionString as string) as {
      States: Record<string, Json>;
    };
    expect(states.FetchResult?.Next).toBe('HoldImages');
    expect(states.HoldImages).toMatchObject({ Type: 'Wait', SecondsPath: '$.imageRetentionSeconds' });
  });

  it('refuses a token where the value shapes the template, naming the prop', () => {
    const stack = newStack();
    const seconds = new CfnParameter(stack, 'Seconds', { type: 'Number' }).valueAsNumber;
    expect(
      () => new BerbixVerification(stack, 'A', { ...REQUIRED, createWait: Duration.seconds(seconds) }),
    ).toThrow(/createWait/);
    expect(
      () => new BerbixVerification(stack, 'B', { ...REQUIRED, imageRetention: Duration.seconds(seconds) }),
    ).toThrow(/rawUploadExpiration/);
  });

  it('names the offending prop of a bad literal', () => {
    expect(build({ dataRetention: Duration.days(0) })).toThrow(/dataRetention/);
    expect(build({ maxUploadAttempts: 1.5 })).toThrow(/maxUploadAttempts/);
    expect(build({ abandonAfter: Duration.millis(10) })).toThrow(/abandonAfter/);
    expect(build({ jwtAudience: [] })).toThrow(/jwtAudience/);
    expect(build({ allowedOrigins: ['*'] })).toThrow(/allowedOrigins/);
  });
});
