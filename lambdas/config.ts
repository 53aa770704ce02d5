/**
 * Typed configuration, read once at cold start. A missing or malformed variable throws while the
 * module loads, so a bad deploy fails loudly on the first invocation instead of mid-request.
 */
type Env = Record<string, string | undefined>;

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

const url =
  (name: string) =>
  (env: Env): string => {
    const raw = text(name)(env);
    if (!/^https?:\/\/[^\s]+$/.test(raw))
      throw new Error(`Environment variable ${name} must be an http(s) URL`);
    return raw.replace(/\/+$/, '');
  };

const READERS = {
  tableName: text('TABLE_NAME'),
  bucketName: text('BUCKET_NAME'),
  stateMachineArn: text('STATE_MACHINE_ARN'),
  berbixDeletionStateMachineArn: text('BERBIX_DELETION_STATE_MACHINE_ARN'),
  berbixSecretArn: text('BERBIX_SECRET_ARN'),
  berbixApiUrl: url('BERBIX_API_URL'),
  berbixTemplateKey: text('BERBIX_TEMPLATE_KEY'),
  eventBusName: text('EVENT_BUS_NAME'),
  uploadUrlTtlSeconds: integer('UPLOAD_URL_TTL_SECONDS', 1),
  maxUploadBytes: integer('MAX_UPLOAD_BYTES', 1),
  createWaitMs: integer('CREATE_WAIT_MS', 0),
  abandonAfterSeconds: integer('ABANDON_AFTER_SECONDS', 1),
  imageRetentionSeconds: integer('IMAGE_RETENTION_SECONDS', 0),
  dataRetentionDays: integer('DATA_RETENTION_DAYS', 1),
  berbixDeletionRetrySeconds: integer('BERBIX_DELETION_RETRY_SECONDS', 1),
  berbixDeletionGiveUpSeconds: integer('BERBIX_DELETION_GIVE_UP_SECONDS', 1),
  berbixCreateWindowSeconds: integer('BERBIX_CREATE_WINDOW_SECONDS', 0),
  backendScope: text('BACKEND_SCOPE'),
  clientScope: text('CLIENT_SCOPE'),
} as const;

export type Config = { [K in keyof typeof READERS]: ReturnType<(typeof READERS)[K]> };
export type ConfigKey = keyof Config;

/**
 * Reads exactly the variables one function uses, e.g. at module scope:
 * `const config = loadConfig(['tableName', 'bucketName'])`. Every problem is reported at once.
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
