import { createHash, randomUUID } from 'node:crypto';
import { AwsServiceError, optionalString, requireString, startAwsJsonServer } from './aws-json';

/** An event as EventBridge delivers it to a target. */
export interface EventBridgeEvent {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: unknown;
}

export interface AwsServicesOptions {
  /** @default 0 (a free port) */
  port?: number;
  /** SecretString by secret ARN or name. */
  secrets: Record<string, string>;
  /** Called with the accepted entries of each PutEvents call, as EventBridge would deliver them. */
  onEvents?: (entries: EventBridgeEvent[]) => void;
  /** @default 'us-east-1' */
  region?: string;
  /** @default '000000000000' */
  accountId?: string;
}

export interface AwsServices {
  endpoint: string;
  close(): Promise<void>;
}

interface Secret {
  arn: string;
  name: string;
  value: string;
  versionId: string;
  createdDate: Date;
}

const SECRET_ARN = /^arn:[\w-]+:secretsmanager:[\w-]+:\d{12}:secret:(.+?)(-[A-Za-z0-9]{6})?$/;
const MAX_ENTRY_BYTES = 256 * 1024;

/**
 * The other AWS APIs the Lambdas call, on one AWS JSON endpoint (point both
 * AWS_ENDPOINT_URL_SECRETS_MANAGER and AWS_ENDPOINT_URL_EVENTBRIDGE at it):
 * Secrets Manager GetSecretValue and EventBridge PutEvents.
 */
export async function startAwsServices(opts: AwsServicesOptions): Promise<AwsServices> {
  const region = opts.region ?? 'us-east-1';
  const account = opts.accountId ?? '000000000000';
  const secrets = Object.entries(opts.secrets).map(([id, value]) => toSecret(id, value, region, account));

  const getSecretValue = (input: Record<string, unknown>) => {
    const secretId = requireString(input, 'SecretId');
    const secret = secrets.find(
      (s) => s.arn === secretId || s.name === secretId || partialArn(s.arn) === secretId,
    );
    if (!secret)
      throw new AwsServiceError(
        'ResourceNotFoundException',
        "Secrets Manager can't find the specified secret.",
      );
    const stage = optionalString(input, 'VersionStage');
    const versionId = optionalString(input, 'VersionId');
    if ((stage && stage !== 'AWSCURRENT') || (versionId && versionId !== secret.versionId)) {
      throw new AwsServiceError(
        'ResourceNotFoundException',
        "Secrets Manager can't find the specified secret value for staging label or version.",
      );
    }
    return {
      ARN: secret.arn,
      Name: secret.name,
      VersionId: secret.versionId,
      SecretString: secret.value,
      VersionStages: ['AWSCURRENT'],
      CreatedDate: secret.createdDate,
    };
  };

  const putEvents = (input: Record<string, unknown>) => {
    const entries = input.Entries;
    if (!Array.isArray(entries) || entries.length < 1 || entries.length > 10) {
      throw new AwsServiceError('ValidationException', 'Entries must hold between 1 and 10 events');
    }
    const delivered: EventBridgeEvent[] = [];
    const results = entries.map((entry: unknown) => {
      const checked = checkEntry(entry);
      if ('ErrorCode' in checked) return checked;
      const event: EventBridgeEvent = {
        version: '0',
        id: randomUUID(),
        'detail-type': checked.DetailType,
        source: checked.Source,
        account,
        time: (checked.Time ?? new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        region,
        resources: checked.Resources,
        detail: checked.detail,
      };
      delivered.push(event);
      return { EventId: event.id };
    });
    if (delivered.length > 0 && opts.onEvents) {
      try {
        opts.onEvents(delivered);
      } catch (error) {
        console.error('[local-aws] onEvents listener failed', error);
      }
    }
    return { FailedEntryCount: results.length - delivered.length, Entries: results };
  };

  const server = await startAwsJsonServer({
    port: opts.port,
    operations: {
      'secretsmanager.GetSecretValue': getSecretValue,
      'AWSEvents.PutEvents': putEvents,
    },
  });
  return server;
}

function toSecret(id: string, value: string, region: string, account: string): Secret {
  const match = SECRET_ARN.exec(id);
  // A name gets an ARN with a stable 6-character suffix, as Secrets Manager adds one.
  const name = match ? match[1]! : id;
  const suffix = createHash('sha256').update(name).digest('base64url').replace(/[-_]/g, 'x').slice(0, 6);
  const arn = match ? id : `arn:aws:secretsmanager:${region}:${account}:secret:${name}-${suffix}`;
  return { arn, name, value, versionId: randomUUID(), createdDate: new Date() };
}

/** An ARN without the random suffix: Secrets Manager accepts it as a SecretId. */
function partialArn(arn: string): string {
  return arn.replace(/-[A-Za-z0-9]{6}$/, '');
}

type CheckedEntry =
  | { Source: string; DetailType: string; detail: unknown; Resources: string[]; Time?: Date }
  | { ErrorCode: string; ErrorMessage: string };

/** Per-entry validation: PutEvents reports bad entries in its result instead of failing the call. */
function checkEntry(entry: unknown): CheckedEntry {
  const e = (typeof entry === 'object' && entry !== null ? entry : {}) as Record<string, unknown>;
  for (const field of ['Source', 'DetailType', 'Detail'] as const) {
    if (typeof e[field] !== 'string' || e[field].length === 0) {
      return {
        ErrorCode: 'InvalidArgument',
        ErrorMessage: `Parameter ${field} is not valid. Reason: ${field} is a required argument.`,
      };
    }
  }
  const detailText = e.Detail as string;
  if (Buffer.byteLength(JSON.stringify(e)) > MAX_ENTRY_BYTES) {
    return { ErrorCode: 'InvalidArgument', ErrorMessage: 'Entry size exceeds 256 KB.' };
  }
  let detail: unknown;
  try {
    detail = JSON.parse(detailText);
  } catch {
    return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
  }
  if (typeof detail !== 'object' || detail === null || Array.isArray(detail)) {
    return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
  }
  const resources = Array.isArray(e.Resources)
    ? e.Resources.filter((r): r is string => typeof r === 'string')
    : [];
  const time = typeof e.Time === 'number' ? new Date(e.Time * 1000) : undefined;
  return {
    Source: e.Source as string,
    DetailType: e.DetailType as string,
    detail,
    Resources: resources,
    Time: time,
  };
}
