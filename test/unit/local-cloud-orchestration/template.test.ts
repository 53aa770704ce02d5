import { existsSync, mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createLambdaRuntime } from '../../../local/cloud/lambda-runtime';
import {
  isCdkOutFresh,
  loadTemplate,
  parseTemplate,
  type TemplateModel,
} from '../../../local/cloud/template';
import { CONTRACT_ROUTES } from '../../infra/synth';
import {
  ARCHITECTURE_FUNCTIONS,
  synthesizeStandInStack,
  type SynthesizedFixture,
} from './support/synth-stack';

const ISSUER = 'http://127.0.0.1:4000/_local/issuer';

describe('reading the synthesized template', () => {
  let fixture: SynthesizedFixture;
  let model: TemplateModel;

  beforeAll(() => {
    fixture = synthesizeStandInStack({ jwtIssuer: ISSUER, jwtAudience: 'berbix-serverless-local' });
    model = loadTemplate({ cdkOutDir: fixture.cdkOutDir });
  }, 120_000);

  afterAll(() => fixture?.remove());

  const fn = (name: string) => {
    const found = model.functions.find((f) => f.name === name);
    if (!found) throw new Error(`no function ${name}`);
    return found;
  };

  it('finds every function of the architecture with its bundled code and handler', () => {
    expect(model.functions.map((f) => f.name).sort()).toEqual(Object.keys(ARCHITECTURE_FUNCTIONS).sort());
    for (const f of model.functions) {
      expect(existsSync(path.join(f.assetDir, 'index.js'))).toBe(true);
      expect(f.handler).toBe('index.handler');
      expect(f.arn).toBe(`arn:aws:lambda:us-east-1:000000000000:function:${f.name}`);
    }
  });

  it('skips the CDK bucket-notifications handler explicitly, with a reason', () => {
    expect(model.skippedFunctions).toEqual([
      expect.objectContaining({
        path: expect.stringContaining('BucketNotificationsHandler'),
        reason: expect.any(String),
      }),
    ]);
  });

  it('resolves each function environment to the local names of the table, bucket, secret and state machine', () => {
    const [table] = model.tables;
    const uploads = model.buckets.find((b) => b.notifications.length > 0);
    const [secret] = model.secrets;
    const [machine] = model.stateMachines;
    expect(fn('SubmitUploadFn').environment).toMatchObject({
      TABLE_NAME: table!.name,
      BUCKET_NAME: uploads!.name,
      BERBIX_SECRET_ARN: secret!.arn,
    });
    expect(fn('CreateVerificationFn').environment).toMatchObject({
      STATE_MACHINE_ARN: machine!.arn,
      ABANDON_AFTER_SECONDS: '86400',
      CLIENT_SCOPE: 'verifications/client',
      BACKEND_SCOPE: 'verifications/backend',
    });
    expect(fn('FetchResultFn').environment.EVENT_BUS_NAME).toBe('default');
    expect(model.warnings).toEqual([]);
    expect(JSON.stringify(model.functions.map((f) => f.environment))).not.toMatch(/unresolved|Fn::|"Ref"/);
  });

  it('reads the HTTP API routes with their JWT authorizer and scopes', () => {
    const [api] = model.httpApis;
    const routes = Object.fromEntries(api!.routes.map((r) => [r.routeKey, r]));
    expect(Object.keys(routes).sort()).toEqual([...CONTRACT_ROUTES].sort());
    expect(routes['GET /verifications/{id}/result']).toMatchObject({
      functionName: 'GetResultFn',
      authorizationType: 'JWT',
      scopes: ['verifications/backend'],
      authorizer: {
        issuer: ISSUER,
        audience: ['berbix-serverless-local'],
        identitySource: ['$request.header.Authorization'],
      },
      payloadFormatVersion: '2.0',
    });
    expect(routes['POST /verifications']!.scopes.sort()).toEqual([
      'verifications/backend',
      'verifications/client',
    ]);
    expect(routes['POST /webhooks/berbix']).toMatchObject({
      functionName: 'BerbixWebhookFn',
      authorizationType: 'NONE',
    });
  });

  it('reads the bucket notification with its event and prefix filter', () => {
    const uploads = model.buckets.find((b) => b.notifications.length > 0)!;
    expect(uploads.notifications).toEqual([
      {
        functionName: 'UploadReceivedFn',
        events: ['s3:ObjectCreated:*'],
        prefix: 'uploads/',
        suffix: undefined,
      },
    ]);
    expect(uploads.name).toMatch(/^[a-z0-9-]{3,63}$/);
    expect(fn('UploadReceivedFn').asyncRetryAttempts).toBe(2);
  });

  it('substitutes local function ARNs into the state machine definition', () => {
    const [machine] = model.stateMachines;
    expect(machine!.definition).not.toContain('${');
    const arns = [...machine!.definition.matchAll(/arn:aws:lambda:[^"]+/g)].map((m) => m[0]);
    expect(arns.length).toBeGreaterThan(0);
    for (const a of arns) expect(model.functions.map((f) => f.arn)).toContain(a);
    expect(JSON.parse(machine!.definition)).toHaveProperty('StartAt');
  });

  it('gives the table its keys, index and TTL from the template', () => {
    const [table] = model.tables;
    expect(table!.properties).toMatchObject({
      TableName: table!.name,
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [expect.objectContaining({ IndexName: 'byBerbixTransaction' })],
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
    });
  });

  it('runs a synthesized function bundle with the environment the template gives it', async () => {
    const getVerification = fn('GetVerificationFn');
    const runtime = createLambdaRuntime({ functions: [getVerification], log: () => undefined });
    try {
      const payload = (await runtime.invokeOrThrow('GetVerificationFn', { ping: 1 })) as {
        env: Record<string, string | undefined>;
      };
      expect(payload).toMatchObject({
        handler: 'api/get-verification',
        functionName: 'GetVerificationFn',
        event: { ping: 1 },
        env: { TABLE_NAME: model.tables[0]!.name },
      });
      expect(payload.env.BUCKET_NAME).toBeUndefined();
    } finally {
      await runtime.close();
    }
  });

  it('reports a cdk.out as stale once a source file or the lockfile is newer, or when it was made with other context', () => {
    const project = fixture.dir;
    const manifest = path.join(fixture.cdkOutDir, 'manifest.json');
    writeFileSync(path.join(fixture.cdkOutDir, 'local-cloud-context.json'), JSON.stringify({ a: '1' }));
    const later = new Date(Date.now() + 60_000);
    utimesSync(path.join(fixture.cdkOutDir, 'local-cloud-context.json'), later, later);
    const source = path.join(project, 'lib', 'x.ts');
    mkdirSync(path.dirname(source), { recursive: true });
    writeFileSync(source, '');
    const old = new Date(Date.now() - 60_000);
    utimesSync(source, old, old);
    utimesSync(path.join(project, 'lib'), old, old);
    expect(isCdkOutFresh(project, fixture.cdkOutDir, { a: '1' })).toBe(true);
    expect(isCdkOutFresh(project, fixture.cdkOutDir, { a: '2' })).toBe(false);
    // Dependencies changed (npm install): the bundles hold them.
    const lockfile = path.join(project, 'package-lock.json');
    writeFileSync(lockfile, '{}');
    utimesSync(lockfile, later, later);
    expect(isCdkOutFresh(project, fixture.cdkOutDir, { a: '1' })).toBe(false);
    utimesSync(lockfile, old, old);
    expect(isCdkOutFresh(project, fixture.cdkOutDir, { a: '1' })).toBe(true);
    utimesSync(source, later, later);
    expect(isCdkOutFresh(project, fixture.cdkOutDir, { a: '1' })).toBe(false);
    expect(readFileSync(manifest, 'utf8')).toContain('artifacts');
  });

  it('refuses a route whose integration targets a function it does not know', () => {
    const template = JSON.parse(readFileSync(model.templateFile, 'utf8'));
    const integration = Object.values(
      template.Resources as Record<string, { Type: string; Properties: Record<string, unknown> }>,
    ).find((r) => r.Type === 'AWS::ApiGatewayV2::Integration')!;
    integration.Properties.IntegrationUri = 'arn:aws:lambda:us-east-1:000000000000:function:Elsewhere';
    expect(() =>
      parseTemplate(template, { stackName: 'S', templateFile: 'x', cdkOutDir: fixture.cdkOutDir }),
    ).toThrow(/not a function the local cloud runs/);
  });
});
