import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { CfnElement, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Architecture, Code, LoggingFormat, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import {
  LogLevel,
  NodejsFunction,
  OutputFormat,
  type NodejsFunctionProps,
} from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct, IConstruct } from 'constructs';
import { ENV, LOGGER_ENV, SERVICE_NAME } from '../../lambdas/contract';

/**
 * The repository root (`lambdas/`, `statemachine/`, `package-lock.json`), or `dist/` of the
 * installed package, which keeps the same layout (`statemachine/`, `assets/`).
 */
export const PROJECT_ROOT = path.resolve(__dirname, '..', '..');

/** Where the handler sources live, `lambdas/handlers`. */
export const DEFAULT_HANDLERS_DIR = path.join(PROJECT_ROOT, 'lambdas', 'handlers');

/**
 * Where the package build (`npm run build:package`) puts each handler pre-bundled:
 * `assets/<handler path>/index.js`. Only the installed package has it; in this repository the
 * functions are bundled from `lambdas/handlers` at synth.
 */
export const PREBUNDLED_DIR = path.join(PROJECT_ROOT, 'assets');

/** The pre-bundled code of a handler, when this is the installed package. */
function prebundledCode(handlerPath: string): Code | undefined {
  const dir = path.join(PREBUNDLED_DIR, handlerPath);
  return existsSync(path.join(dir, 'index.js')) ? Code.fromAsset(dir) : undefined;
}

export interface VerificationFunctionProps extends Omit<
  NodejsFunctionProps,
  'entry' | 'runtime' | 'architecture' | 'logGroup' | 'logRetention' | 'role'
> {
  /** The handler's path under `handlersDir`, without extension, e.g. `api/get-verification`. */
  readonly handlerPath: string;

  /**
   * Folder holding the handler sources, bundled at synth.
   * @default the pre-bundled code of the installed package, else `lambdas/handlers` of this repository
   */
  readonly handlersDir?: string;

  /**
   * How long the function's own log group keeps its events.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;

  /**
   * What happens to the log group when the stack is deleted.
   * @default RemovalPolicy.DESTROY (logs are redacted and short-lived; retention governs them)
   */
  readonly logRemovalPolicy?: RemovalPolicy;

  /**
   * Powertools service name.
   * @default 'berbix-serverless'
   */
  readonly serviceName?: string;

  /**
   * Powertools log level.
   * @default 'INFO'
   */
  readonly logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
}

/**
 * DynamoDB item actions: one per kind of repository call (no Scan, no batch operations). In a
 * transaction each item needs its own action: a Put `PutItem`, a ConditionCheck `ConditionCheckItem`.
 */
export type ItemAction = 'GetItem' | 'PutItem' | 'UpdateItem' | 'DeleteItem' | 'ConditionCheckItem';

/** Exactly what a function does with the table. */
export interface TableAccess {
  /** Item actions on the table itself (a transaction's Put needs `PutItem`). */
  readonly items: readonly ItemAction[];
  /**
   * Global secondary indexes the function queries.
   * @default none
   */
  readonly queries?: readonly string[];
}

/**
 * Exactly what a function does with objects in the bucket: each action on one key pattern
 * (a presigned POST is a `put`, a copy a `get` of the source and a `put` of the copy).
 */
export interface BucketAccess {
  readonly get?: string;
  readonly put?: string;
  readonly delete?: string;
  /** Keys listed (ListObjectsV2 with a `Prefix`): ListBucket under this prefix only. */
  readonly listPrefix?: string;
}

/** The AWS services that use the stack key on a function's behalf. */
export type KeyUser = 'dynamodb' | 's3' | 'secretsmanager' | 'sqs';

/**
 * A Lambda function with the house defaults: Node.js 22 on ARM64, bundled by the local esbuild
 * with the AWS SDK inside (pinned versions, no reliance on the runtime's copy) — at synth from this
 * repository's sources, or ahead of time by the package build with the same settings — without
 * source maps (docs/benchmarks.md: they cost every cold start and the first stack trace), active
 * X-Ray tracing, JSON logs into its own log group with a retention, Powertools settings.
 * `memorySize` defaults to 256 MB and `timeout` to 15 s; both can be overridden.
 *
 * The role starts empty (no `AWSLambdaBasicExecutionRole`, whose `logs:CreateLogGroup` on `*`
 * is more than the function needs); it may write to its own log group only.
 *
 * The `bind*` helpers grant exactly the actions a handler's code calls on a resource (never a
 * CDK `grant*` bundle, which adds Scan, batch writes and `List*`) and set the environment
 * variable naming it in one call, so a grant never drifts from the configuration.
 */
export class VerificationFunction extends NodejsFunction {
  /** The execution role; cdk-nag acknowledgements of its grants are recorded on it. */
  public readonly executionRole: iam.Role;

  constructor(scope: Construct, id: string, props: VerificationFunctionProps) {
    const {
      handlerPath,
      handlersDir,
      logRetention = RetentionDays.ONE_MONTH,
      logRemovalPolicy = RemovalPolicy.DESTROY,
      serviceName = SERVICE_NAME,
      logLevel = 'INFO',
      bundling,
      environment,
      ...rest
    } = props;

    // `this` does not exist before super(), so the log group and role are siblings of the
    // function in `scope`, named after its id.
    const logGroup = new LogGroup(scope, `${id}Logs`, {
      retention: logRetention,
      removalPolicy: logRemovalPolicy,
    });
    const role = new iam.Role(scope, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${id}`,
    });
    logGroup.grantWrite(role);

    const code = handlersDir === undefined ? prebundledCode(handlerPath) : undefined;
    const entry = path.join(handlersDir ?? DEFAULT_HANDLERS_DIR, `${handlerPath}.ts`);
    if (!code && !existsSync(entry)) {
      throw new Error(
        `${id}: neither the pre-bundled code (${path.join(PREBUNDLED_DIR, handlerPath)}) nor the handler source (${entry}) exists; reinstall berbix-serverless`,
      );
    }
    super(scope, id, {
      memorySize: 256,
      timeout: Duration.seconds(15),
      ...rest,
      ...(code
        ? { code, handler: 'index.handler' }
        : {
            entry,
            handler: 'handler',
            projectRoot: PROJECT_ROOT,
            depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
            // bin/build-package.ts pre-bundles with the same settings.
            bundling: {
              format: OutputFormat.CJS,
              target: 'node22',
              sourceMap: false,
              minify: true,
              bundleAwsSDK: true,
              forceDockerBundling: false,
              logLevel: LogLevel.WARNING,
              ...bundling,
            },
          }),
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      tracing: Tracing.ACTIVE,
      loggingFormat: LoggingFormat.JSON,
      logGroup,
      role,
      environment: {
        [LOGGER_ENV.serviceName]: serviceName,
        [LOGGER_ENV.logLevel]: logLevel,
        // Events carry tokens, presigned fields and personal data: never log them whole.
        [LOGGER_ENV.logEvent]: 'false',
        ...environment,
      },
    });
    this.executionRole = role;

    acknowledge(
      this,
      'AwsSolutions-L1',
      'Pinned to nodejs22.x on purpose: the code is built and tested on Node 22 (package.json engines); move with the toolchain.',
    );
    acknowledge(
      role,
      'AwsSolutions-IAM5[Resource::*]',
      'X-Ray PutTraceSegments/PutTelemetryRecords support no resource-level permissions.',
    );
  }

  /**
   * Grants the item actions on the table (and Query on the named indexes only), the table key
   * through DynamoDB only, and sets `TABLE_NAME`.
   */
  bindTable(table: ITable, access: TableAccess, envVarName = ENV.tableName): this {
    this.addToRolePolicy(
      new iam.PolicyStatement({
        actions: [...new Set(access.items)].map((a) => `dynamodb:${a}`),
        resources: [table.tableArn],
      }),
    );
    if (access.queries?.length) {
      this.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['dynamodb:Query'],
          resources: access.queries.map((index) => `${table.tableArn}/index/${index}`),
        }),
      );
    }
    // DynamoDB decrypts the table key for every access; writers also encrypt with it.
    const writes = access.items.some((a) => a !== 'GetItem');
    this.grantKeyThrough('dynamodb', table.encryptionKey, [
      'kms:Decrypt',
      'kms:DescribeKey',
      ...(writes ? ['kms:Encrypt', 'kms:GenerateDataKey'] : []),
    ]);
    this.addEnvironment(envVarName, table.tableName);
    return this;
  }

  /**
   * Grants each object action on its key pattern (and ListBucket under `listPrefix` only), the
   * bucket key through S3 only (Decrypt to read, GenerateDataKey to write), and sets `BUCKET_NAME`.
   */
  bindBucket(bucket: IBucket, access: BucketAccess, envVarName = ENV.bucketName): this {
    const objectActions: [string | undefined, string][] = [
      [access.get, 's3:GetObject'],
      [access.put, 's3:PutObject'],
      [access.delete, 's3:DeleteObject'],
    ];
    for (const [keys, action] of objectActions) {
      if (keys === undefined) continue;
      this.addToRolePolicy(
        new iam.PolicyStatement({ actions: [action], resources: [bucket.arnForObjects(keys)] }),
      );
      if (keys.includes('*')) {
        acknowledge(
          this.executionRole,
          `AwsSolutions-IAM5[Resource::${arnToken(bucket)}/${keys}]`,
          `Object access is scoped to the server-chosen keys ${keys} of the uploads bucket.`,
        );
      }
    }
    if (access.listPrefix !== undefined) {
      this.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['s3:ListBucket'],
          resources: [bucket.bucketArn],
          conditions: { StringLike: { 's3:prefix': [`${access.listPrefix}*`] } },
        }),
      );
    }
    this.grantKeyThrough('s3', bucket.encryptionKey, [
      ...(access.get !== undefined ? ['kms:Decrypt'] : []),
      ...(access.put !== undefined ? ['kms:GenerateDataKey'] : []),
    ]);
    this.addEnvironment(envVarName, bucket.bucketName);
    return this;
  }

  /**
   * Grants GetSecretValue on the secret (and its key through Secrets Manager only) and sets
   * `BERBIX_SECRET_ARN`.
   */
  bindSecret(secret: ISecret, envVarName = ENV.berbixSecretArn): this {
    this.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [secret.secretArn] }),
    );
    this.grantKeyThrough('secretsmanager', secret.encryptionKey, ['kms:Decrypt']);
    this.addEnvironment(envVarName, secret.secretArn);
    return this;
  }

  /**
   * Lets `service` use `key` for `actions` on this function's behalf, and nothing else: the
   * `kms:ViaService` condition refuses any direct call to KMS.
   */
  grantKeyThrough(service: KeyUser, key: IKey | undefined, actions: readonly string[]): this {
    if (!key || actions.length === 0) return this;
    this.addToRolePolicy(
      new iam.PolicyStatement({
        actions: [...actions],
        resources: [key.keyArn],
        conditions: {
          StringEquals: { 'kms:ViaService': `${service}.${Stack.of(this).region}.amazonaws.com` },
        },
      }),
    );
    return this;
  }

  /** Sets several environment variables at once. */
  addEnvironments(vars: Readonly<Record<string, string>>): this {
    for (const [k, v] of Object.entries(vars)) this.addEnvironment(k, v);
    return this;
  }
}

/** Acknowledges one cdk-nag finding on `scope` (and its children) with the reason it is acceptable. */
export function acknowledge(scope: IConstruct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id, reason });
}

/** The logical id of an L2 construct's CloudFormation resource. */
export function logicalIdOf(resource: IConstruct): string {
  const cfn = resource.node.defaultChild;
  if (!(cfn instanceof CfnElement)) throw new Error(`${resource.node.path} has no CloudFormation resource`);
  return Stack.of(resource).getLogicalId(cfn);
}

/** How cdk-nag prints a resource's `Arn` attribute in a finding, e.g. `<Bucket83908E77.Arn>`. */
function arnToken(resource: IConstruct): string {
  return `<${logicalIdOf(resource)}.Arn>`;
}
