/**
 * The environment variables the stack gives a function and its handler reads, with their typed
 * readers. A handler asks for config keys (`loadConfig(['tableName'])`); only this table knows
 * the variable names, and the stack sets them from it (`[ENV.tableName]: table.tableName`).
 */
type Env = Record<string, string | undefined>;

/** Config key → environment variable. Each function gets exactly the ones its handler loads. */
export const ENV = {
  tableName: 'TABLE_NAME',
  bucketName: 'BUCKET_NAME',
  stateMachineArn: 'STATE_MACHINE_ARN',
  berbixDeletionStateMachineArn: 'BERBIX_DELETION_STATE_MACHINE_ARN',
  berbixSecretArn: 'BERBIX_SECRET_ARN',
  berbixApiUrl: 'BERBIX_API_URL',
  berbixTemplateKey: 'BERBIX_TEMPLATE_KEY',
  eventBusName: 'EVENT_BUS_NAME',
  uploadUrlTtlSeconds: 'UPLOAD_URL_TTL_SECONDS',
  maxUploadBytes: 'MAX_UPLOAD_BYTES',
  createWaitMs: 'CREATE_WAIT_MS',
  abandonAfterSeconds: 'ABANDON_AFTER_SECONDS',
  imageRetentionSeconds: 'IMAGE_RETENTION_SECONDS',
  dataRetentionDays: 'DATA_RETENTION_DAYS',
  maxUploadAttempts: 'MAX_UPLOAD_ATTEMPTS',
  sendContactDetails: 'SEND_CONTACT_DETAILS',
  berbixDeletionRetrySeconds: 'BERBIX_DELETION_RETRY_SECONDS',
  berbixDeletionGiveUpSeconds: 'BERBIX_DELETION_GIVE_UP_SECONDS',
  berbixCreateWindowSeconds: 'BERBIX_CREATE_WINDOW_SECONDS',
  backendScope: 'BACKEND_SCOPE',
  clientScope: 'CLIENT_SCOPE',
  /** How long a read of the Berbix secret is kept before it is read again (a rotation is picked up). */
  berbixSecretMaxAgeSeconds: 'BERBIX_SECRET_MAX_AGE_SECONDS',
  /** The CloudWatch namespace of the metrics (Powertools reads the same variable). */
  metricsNamespace: 'POWERTOOLS_METRICS_NAMESPACE',
} as const;

export type ConfigKey = keyof typeof ENV;

/**
 * Variables every function gets for Powertools' logger. The handlers' logger reads the service
 * name; Powertools reads the others itself.
 */
export const LOGGER_ENV = {
  serviceName: 'POWERTOOLS_SERVICE_NAME',
  logLevel: 'POWERTOOLS_LOG_LEVEL',
  /** Always `false`: events carry tokens, presigned fields and personal data. */
  logEvent: 'POWERTOOLS_LOGGER_LOG_EVENT',
} as const;

/**
 * Variables the Lambda runtime (not the stack) sets, read by the tracer: the invocation's trace
 * header and the X-Ray daemon's address. `POWERTOOLS_TRACE_ENABLED=false` turns tracing off, as it
 * does for Powertools' Tracer.
 */
export const TRACING_ENV = {
  traceHeader: '_X_AMZN_TRACE_ID',
  daemonAddress: 'AWS_XRAY_DAEMON_ADDRESS',
  enabled: 'POWERTOOLS_TRACE_ENABLED',
} as const;

/** The logs' and traces' service name unless the stack says otherwise. */
export const SERVICE_NAME = 'berbix-serverless';

/** Every variable a function may be given: what the contract test holds the stack and handlers to. */
export const ENV_NAMES: ReadonlySet<string> = new Set([
  ...Object.values(ENV),
  ...Object.values(LOGGER_ENV),
  ...Object.values(TRACING_ENV),
]);

const text =
  (name: string) =>
  (env: Env): string => {
    const value = env[name];
    if (value === undefined || value.trim() === '') throw new Error(`Missing environment variable ${name}`);
    return value;
  };

const integer =
  (name: string, min: number) =>
  (env: Env): number => {
    const raw = text(name)(env);
    const value = Number(raw);
    if (!Number.isSafeInteger(value) || value < min) {
      throw new Error(`Environment variable ${name} must be an integer ≥ ${min}`);
    }
    return value;
  };

const flag =
  (name: string) =>
  (env: Env): boolean => {
    const raw = text(name)(env);
    if (raw !== 'true' && raw !== 'false')
      throw new Error(`Environment variable ${name} must be true or false`);
    return raw === 'true';
  };

const url =
  (name: string) =>
  (env: Env): string => {
    const raw = text(name)(env);
    if (!/^https?:\/\/[^\s]+$/.test(raw))
      throw new Error(`Environment variable ${name} must be an http(s) URL`);
    return raw.replace(/\/+$/, '');
  };

const READERS = {
  tableName: text(ENV.tableName),
  bucketName: text(ENV.bucketName),
  stateMachineArn: text(ENV.stateMachineArn),
  berbixDeletionStateMachineArn: text(ENV.berbixDeletionStateMachineArn),
  berbixSecretArn: text(ENV.berbixSecretArn),
  berbixApiUrl: url(ENV.berbixApiUrl),
  berbixTemplateKey: text(ENV.berbixTemplateKey),
  eventBusName: text(ENV.eventBusName),
  uploadUrlTtlSeconds: integer(ENV.uploadUrlTtlSeconds, 1),
  maxUploadBytes: integer(ENV.maxUploadBytes, 1),
  createWaitMs: integer(ENV.createWaitMs, 0),
  abandonAfterSeconds: integer(ENV.abandonAfterSeconds, 1),
  imageRetentionSeconds: integer(ENV.imageRetentionSeconds, 0),
  dataRetentionDays: integer(ENV.dataRetentionDays, 1),
  maxUploadAttempts: integer(ENV.maxUploadAttempts, 1),
  sendContactDetails: flag(ENV.sendContactDetails),
  berbixDeletionRetrySeconds: integer(ENV.berbixDeletionRetrySeconds, 1),
  berbixDeletionGiveUpSeconds: integer(ENV.berbixDeletionGiveUpSeconds, 1),
  berbixCreateWindowSeconds: integer(ENV.berbixCreateWindowSeconds, 0),
  backendScope: text(ENV.backendScope),
  clientScope: text(ENV.clientScope),
  berbixSecretMaxAgeSeconds: integer(ENV.berbixSecretMaxAgeSeconds, 1),
  metricsNamespace: text(ENV.metricsNamespace),
} as const satisfies Record<ConfigKey, (env: Env) => unknown>;

export type Config = { [K in ConfigKey]: ReturnType<(typeof READERS)[K]> };

/**
 * Reads exactly the variables one module uses, once, at module scope:
 * `const config = loadConfig(['tableName', 'bucketName'])`. A missing or malformed variable throws
 * while the module loads, so a bad deploy fails on the first invocation, not mid-request; every
 * problem is reported at once.
 */
export function loadConfig<const K extends ConfigKey>(
  keys: readonly K[],
  env: Env = process.env,
): Pick<Config, K> {
  const config: Partial<Config> = {};
  const problems: string[] = [];
  for (const key of keys) {
    try {
      (config as Record<string, unknown>)[key] = READERS[key](env);
    } catch (error) {
      problems.push((error as Error).message);
    }
  }
  if (problems.length > 0) throw new Error(`Invalid configuration: ${problems.join('; ')}`);
  return config as Pick<Config, K>;
}
