import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { CONTEXT_DEFAULTS, stackPropsFromContext } from '../../lib/context';

const fromContext = (values: Record<string, unknown>) => stackPropsFromContext((key) => values[key]);

describe('stack props from CDK context', () => {
  it('falls back to the documented defaults when no context is given', () => {
    const props = fromContext({});
    expect(props).toEqual(
      expect.objectContaining({
        stackName: 'BerbixServerless',
        templateKey: CONTEXT_DEFAULTS.templateKey,
        berbixApiUrl: 'https://api.berbix.com',
        jwtAudience: ['berbix-serverless'],
        allowedOrigins: [],
        logRetention: RetentionDays.ONE_MONTH,
        throttling: { rateLimit: 50, burstLimit: 100 },
        removalPolicy: RemovalPolicy.RETAIN,
      }),
    );
    expect(props.abandonAfter?.toSeconds()).toBe(86400);
    expect(props.imageRetention?.toSeconds()).toBe(0);
    expect(props.createWait?.toMilliseconds()).toBe(8000);
    expect(props.rawUploadExpiration).toBeUndefined();
    expect(props.dataRetention?.toDays()).toBe(30);
    expect(props.maxUploadAttempts).toBe(10);
    expect(props.sendContactDetails).toBe(false);
    expect(props.berbixRetry?.attempts).toBe(6);
    expect(props.berbixRetry?.interval?.toSeconds()).toBe(2);
    expect(props.berbixRetry?.backoffRate).toBe(2);
    expect(props.berbixRetry?.maxInterval?.toSeconds()).toBe(30);
  });

  it('reads the retry budget, the attempt limit and the contact-details opt-in', () => {
    const props = fromContext({
      berbixRetryAttempts: '10',
      berbixRetryIntervalSeconds: '5',
      berbixRetryBackoffRate: '1.5',
      berbixRetryMaxIntervalSeconds: '120',
      maxUploadAttempts: '6',
      sendContactDetails: 'true',
    });
    expect(props.berbixRetry?.attempts).toBe(10);
    expect(props.berbixRetry?.interval?.toSeconds()).toBe(5);
    expect(props.berbixRetry?.backoffRate).toBe(1.5);
    expect(props.berbixRetry?.maxInterval?.toSeconds()).toBe(120);
    expect(props.maxUploadAttempts).toBe(6);
    expect(props.sendContactDetails).toBe(true);
    expect(() => fromContext({ sendContactDetails: 'yes' })).toThrow(/sendContactDetails/);
  });

  it('reads -c strings: comma lists, numbers and the removal policy', () => {
    const props = fromContext({
      allowedOrigins: 'https://a.example.com, http://localhost:5173',
      jwtAudience: 'one,two',
      abandonAfterSeconds: '120',
      logRetentionDays: '7',
      removalPolicy: 'destroy',
      jwtIssuer: 'http://127.0.0.1:4566/issuer',
    });
    expect(props.allowedOrigins).toEqual(['https://a.example.com', 'http://localhost:5173']);
    expect(props.jwtAudience).toEqual(['one', 'two']);
    expect(props.abandonAfter?.toSeconds()).toBe(Duration.minutes(2).toSeconds());
    expect(props.logRetention).toBe(RetentionDays.ONE_WEEK);
    expect(props.removalPolicy).toBe(RemovalPolicy.DESTROY);
    expect(props.jwtIssuer).toBe('http://127.0.0.1:4566/issuer');
    expect(fromContext({ rawUploadExpirationDays: '3' }).rawUploadExpiration?.toDays()).toBe(3);
  });

  it('accepts arrays and numbers from cdk.json', () => {
    const props = fromContext({ allowedOrigins: ['https://a.example.com'], dataRetentionDays: 7 });
    expect(props.allowedOrigins).toEqual(['https://a.example.com']);
    expect(props.dataRetention?.toDays()).toBe(7);
  });

  it('refuses values it cannot use, naming the key', () => {
    expect(() => fromContext({ abandonAfterSeconds: 'soon' })).toThrow(/abandonAfterSeconds/);
    expect(() => fromContext({ logRetentionDays: '8' })).toThrow(/logRetentionDays/);
    expect(() => fromContext({ removalPolicy: 'snapshot' })).toThrow(/removalPolicy/);
    expect(() => fromContext({ rawUploadExpirationDays: '0.5' })).toThrow(/rawUploadExpirationDays/);
  });
});
