import { App, Duration } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { stackPropsFromContext } from '../../lib/context';
import { VerificationStack, type VerificationStackProps } from '../../lib/verification-stack';
import { synthesize, type Synthesized } from './synth';
import type { VerificationFunctionId } from '../../lib/berbix-verification';

let synth: Synthesized;

beforeAll(() => {
  synth = synthesize({
    templateKey: 'tpk_custom',
    berbixApiUrl: 'http://127.0.0.1:4010',
    jwtIssuer: 'https://issuer.example.com/tenant',
    jwtAudience: ['aud-1', 'aud-2'],
    clientScope: 'kyc/app',
    backendScope: 'kyc/server',
    allowedOrigins: ['https://app.example.com'],
    abandonAfter: Duration.minutes(10),
    imageRetention: Duration.hours(2),
    dataRetention: Duration.days(7),
    logRetention: RetentionDays.ONE_WEEK,
    throttling: { rateLimit: 5, burstLimit: 10 },
    berbixRetry: {
      attempts: 9,
      interval: Duration.seconds(1),
      backoffRate: 1.5,
      maxInterval: Duration.seconds(45),
    },
    maxUploadAttempts: 4,
    sendContactDetails: true,
  });
});
afterAll(() => synth.cleanup());

const env = (fnId: string) => {
  const fn = synth.stack.verification.functions[fnId as VerificationFunctionId];
  const resources = synth.template.toJSON().Resources as Record<
    string,
    { Properties: { Environment?: { Variables: Record<string, unknown> } } }
  >;
  return (
    resources[synth.stack.getLogicalId(fn?.node.defaultChild as never)]?.Properties.Environment?.Variables ??
    {}
  );
};

describe('VerificationStack props', () => {
  it('reach the functions as their environment', () => {
    expect(env('CreateTransactionFn')).toEqual(
      expect.objectContaining({
        BERBIX_TEMPLATE_KEY: 'tpk_custom',
        BERBIX_API_URL: 'http://127.0.0.1:4010',
        DATA_RETENTION_DAYS: '7',
      }),
    );
    expect(env('CreateVerificationFn')).toEqual(
      expect.objectContaining({
        ABANDON_AFTER_SECONDS: '600',
        IMAGE_RETENTION_SECONDS: '7200',
        CLIENT_SCOPE: 'kyc/app',
        BACKEND_SCOPE: 'kyc/server',
      }),
    );
  });

  it('set the attempt limit and the contact-details opt-in of the functions that apply them', () => {
    for (const opensOrArmsAWait of ['AwaitUploadFn', 'CreateTransactionFn', 'SubmitUploadFn'])
      expect(env(opensOrArmsAWait)).toEqual(expect.objectContaining({ MAX_UPLOAD_ATTEMPTS: '4' }));
    expect(env('CreateVerificationFn')).toEqual(expect.objectContaining({ SEND_CONTACT_DETAILS: 'true' }));
    expect(env('CreateTransactionFn')).toEqual(expect.objectContaining({ SEND_CONTACT_DETAILS: 'true' }));
  });

  it('keep the image hold with an image retention: the result, a Wait on imageRetentionSeconds, the deletion', () => {
    const [machine] = Object.values(synth.template.findResources('AWS::StepFunctions::StateMachine'));
    const { States: states } = JSON.parse(machine!.Properties.DefinitionString as string) as {
      States: Record<string, Record<string, unknown>>;
    };
    expect(states.FetchResult?.Next).toBe('HoldImages');
    expect(states.HoldImages).toEqual({
      Comment: expect.any(String),
      Type: 'Wait',
      SecondsPath: '$.imageRetentionSeconds',
      Next: 'DeleteImages',
    });
    expect(states.DeleteImages?.End).toBe(true);
  });

  it('set the retry budget of every state retrying transient Berbix faults', () => {
    const [machine] = Object.values(synth.template.findResources('AWS::StepFunctions::StateMachine'));
    const definition = JSON.parse(machine!.Properties.DefinitionString as string) as {
      States: Record<string, { Retry?: Array<Record<string, unknown> & { ErrorEquals: string[] }> }>;
    };
    const berbixRetriers = Object.entries(definition.States).flatMap(([name, s]) =>
      (s.Retry ?? [])
        .filter((r) => r.ErrorEquals.includes('BerbixTransientError'))
        .map((r) => ({ name, ...r })),
    );
    expect(berbixRetriers.map((r) => r.name).sort()).toEqual([
      'CreateTransaction',
      'FetchResult',
      'SubmitUpload',
    ]);
    for (const r of berbixRetriers) {
      expect(r).toEqual({
        name: r.name,
        ErrorEquals: ['BerbixTransientError'],
        IntervalSeconds: 1,
        MaxAttempts: 9,
        BackoffRate: 1.5,
        MaxDelaySeconds: 45,
      });
    }
  });

  it('configure the JWT authorizer, the route scopes, CORS and throttling', () => {
    synth.template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      JwtConfiguration: { Issuer: 'https://issuer.example.com/tenant', Audience: ['aud-1', 'aud-2'] },
    });
    synth.template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: 'GET /verifications/{id}/result',
      AuthorizationScopes: ['kyc/server'],
    });
    synth.template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: 'POST /verifications',
      AuthorizationScopes: ['kyc/app', 'kyc/server'],
    });
    synth.template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      CorsConfiguration: {
        AllowOrigins: ['https://app.example.com'],
        AllowMethods: ['GET', 'POST', 'DELETE'],
        AllowHeaders: ['authorization', 'content-type', 'idempotency-key', 'if-none-match'],
        ExposeHeaders: ['etag'],
      },
    });
    synth.template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: { ThrottlingRateLimit: 5, ThrottlingBurstLimit: 10 },
    });
  });

  it('keep raw uploads a day longer than a multi-hour image retention unless told otherwise', () => {
    synth.template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: { Rules: [Match.objectLike({ Prefix: 'uploads/', ExpirationInDays: 2 })] },
    });
  });

  it('set the retention of every log group', () => {
    const groups = Object.values(synth.template.findResources('AWS::Logs::LogGroup'));
    expect(groups.length).toBeGreaterThanOrEqual(17);
    for (const g of groups) expect(g.Properties.RetentionInDays).toBe(7);
  });

  it('are validated at synth, naming the offending prop', () => {
    const build = (overrides: Partial<VerificationStackProps>) => {
      const { stackName, ...props } = stackPropsFromContext(() => undefined);
      return () =>
        new VerificationStack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), stackName, {
          ...props,
          ...overrides,
        });
    };
    expect(build({ templateKey: '' })).toThrow(/templateKey/);
    expect(build({ dataRetention: Duration.days(0) })).toThrow(/dataRetention/);
    expect(build({ dataRetention: Duration.hours(36) })).toThrow(/dataRetention/);
    expect(build({ abandonAfter: Duration.days(400) })).toThrow(/abandonAfter/);
    expect(build({ createWait: Duration.seconds(29) })).toThrow(/createWait/);
    expect(build({ jwtIssuer: 'not a url' })).toThrow(/jwtIssuer/);
    expect(build({ imageRetention: Duration.days(3), rawUploadExpiration: Duration.days(2) })).toThrow(
      /shorter than imageRetention/,
    );
    expect(build({ clientScope: 'same', backendScope: 'same' })).toThrow(/differ/);
    expect(build({ maxUploadAttempts: 0 })).toThrow(/maxUploadAttempts/);
    expect(build({ maxUploadAttempts: 51 })).toThrow(/maxUploadAttempts/);
    expect(build({ berbixRetry: { attempts: 21 } })).toThrow(/berbixRetry.attempts/);
    expect(build({ berbixRetry: { interval: Duration.millis(500) } })).toThrow(/berbixRetry.interval/);
    expect(build({ berbixRetry: { backoffRate: 0.5 } })).toThrow(/berbixRetry.backoffRate/);
    expect(
      build({ berbixRetry: { interval: Duration.seconds(10), maxInterval: Duration.seconds(5) } }),
    ).toThrow(/berbixRetry.maxInterval/);
  });
});
