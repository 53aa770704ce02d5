import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { DEFAULT_BERBIX_API_URL, DEFAULT_SCOPES, UPLOAD_ATTEMPTS } from '../lambdas/contract';
import type { VerificationStackProps } from './verification-stack';

/** Reads one CDK context value (`cdk.json` "context" or `-c key=value`). */
export type ContextReader = (key: string) => unknown;

/** Defaults of the CDK app, overridable with `-c key=value` or in `cdk.json`. */
export const CONTEXT_DEFAULTS = {
  stackName: 'BerbixServerless',
  /** Placeholder: set your API-only template key for a real deploy. */
  templateKey: 'tpk_api_only_sandbox',
  berbixApiUrl: DEFAULT_BERBIX_API_URL,
  /** Placeholder: set your identity provider's issuer for a real deploy. */
  jwtIssuer: 'https://auth.example.com',
  jwtAudience: 'berbix-serverless',
  clientScope: DEFAULT_SCOPES.client,
  backendScope: DEFAULT_SCOPES.backend,
  allowedOrigins: '',
  abandonAfterSeconds: 86400,
  imageRetentionSeconds: 0,
  dataRetentionDays: 30,
  createWaitMs: 8000,
  uploadUrlTtlSeconds: 300,
  berbixRetryAttempts: 6,
  berbixRetryIntervalSeconds: 2,
  berbixRetryBackoffRate: 2,
  berbixRetryMaxIntervalSeconds: 30,
  maxUploadAttempts: UPLOAD_ATTEMPTS.default,
  /** Send email/phone to Berbix (see the prop `sendContactDetails` for the risk). */
  sendContactDetails: false,
  logRetentionDays: 30,
  throttleRateLimit: 50,
  throttleBurstLimit: 100,
  removalPolicy: 'retain',
} as const;

type Key = keyof typeof CONTEXT_DEFAULTS;

function optionalDays(value: unknown): Duration | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const days = Number(value);
  if (!Number.isInteger(days) || days < 1)
    throw new Error(`context rawUploadExpirationDays: expected whole days >= 1, got ${String(value)}`);
  return Duration.days(days);
}

/**
 * Builds the stack props (the `BerbixVerification` construct's props and the stack name)
 * from CDK context, each key falling back to {@link CONTEXT_DEFAULTS}.
 * Lists are comma-separated; numbers may be given as strings (`-c` always passes strings).
 */
export function stackPropsFromContext(
  read: ContextReader,
): VerificationStackProps & { readonly stackName: string; readonly jwtAudience: readonly string[] } {
  const str = (key: Key): string => {
    const value = read(key) ?? CONTEXT_DEFAULTS[key];
    if (Array.isArray(value)) return value.join(',');
    return String(value).trim();
  };
  const num = (key: Key): number => {
    const value = Number(str(key));
    if (!Number.isFinite(value) || value < 0)
      throw new Error(`context ${key}: expected a non-negative number, got ${str(key)}`);
    return value;
  };
  const list = (key: Key): string[] =>
    str(key)
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
  const logRetention = num('logRetentionDays');
  if (!(Object.values(RetentionDays) as unknown[]).includes(logRetention)) {
    throw new Error(
      `context logRetentionDays: not a CloudWatch Logs retention (1, 3, 5, 7, 14, 30, 60, 90, …): ${logRetention}`,
    );
  }
  const bool = (key: Key): boolean => {
    const value = str(key).toLowerCase();
    if (value !== 'true' && value !== 'false') throw new Error(`context ${key}: true or false, got ${value}`);
    return value === 'true';
  };
  const removal = str('removalPolicy').toLowerCase();
  if (removal !== 'retain' && removal !== 'destroy')
    throw new Error(`context removalPolicy: retain or destroy, got ${removal}`);

  return {
    stackName: str('stackName'),
    templateKey: str('templateKey'),
    berbixApiUrl: str('berbixApiUrl'),
    jwtIssuer: str('jwtIssuer'),
    jwtAudience: list('jwtAudience'),
    clientScope: str('clientScope'),
    backendScope: str('backendScope'),
    allowedOrigins: list('allowedOrigins'),
    abandonAfter: Duration.seconds(num('abandonAfterSeconds')),
    imageRetention: Duration.seconds(num('imageRetentionSeconds')),
    // Unset: the stack derives it from imageRetention.
    rawUploadExpiration: optionalDays(read('rawUploadExpirationDays')),
    dataRetention: Duration.days(num('dataRetentionDays')),
    createWait: Duration.millis(num('createWaitMs')),
    uploadUrlTtl: Duration.seconds(num('uploadUrlTtlSeconds')),
    berbixRetry: {
      attempts: num('berbixRetryAttempts'),
      interval: Duration.seconds(num('berbixRetryIntervalSeconds')),
      backoffRate: num('berbixRetryBackoffRate'),
      maxInterval: Duration.seconds(num('berbixRetryMaxIntervalSeconds')),
    },
    maxUploadAttempts: num('maxUploadAttempts'),
    sendContactDetails: bool('sendContactDetails'),
    logRetention: logRetention as RetentionDays,
    throttling: { rateLimit: num('throttleRateLimit'), burstLimit: num('throttleBurstLimit') },
    removalPolicy: removal === 'destroy' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
  };
}
