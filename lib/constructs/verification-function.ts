import * as path from 'node:path';
import { CfnElement, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Architecture, LoggingFormat, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import {
  LogLevel,
  NodejsFunction,
  OutputFormat,
  type NodejsFunctionProps,
} from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';

/** The repository root: `lambdas/`, `package-lock.json` and `tsconfig.json` live here. */
export const PROJECT_ROOT = path.resolve(__dirname, '..', '..');

/** Where the handler sources live, `lambdas/handlers`. */
export const DEFAULT_HANDLERS_DIR = path.join(PROJECT_ROOT, 'lambdas', 'handlers');

export interface VerificationFunctionProps extends Omit<
  NodejsFunctionProps,
  'entry' | 'runtime' | 'architecture' | 'logGroup' | 'logRetention' | 'role'
> {
  /** The handler's path under `handlersDir`, without extension, e.g. `api/get-verification`. */
  readonly handlerPath: string;

  /**
   * Folder holding the handler sources.
   * @default `lambdas/handlers` of this repository
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

/** What a function may do with the table. */
export type TableAccess = 'read' | 'readWrite';

/** What a function may do with objects in the bucket (under `keyPattern`). */
export type BucketAccess = 'read' | 'put' | 'delete';

/**
 * A Lambda function with the house defaults: Node.js 22 on ARM64, bundled by the local esbuild
 * with the AWS SDK inside (pinned versions, no reliance on the runtime's copy), source maps,
 * active X-Ray tracing, JSON logs into its own log group with a retention, Powertools settings.
 * `memorySize` defaults to 256 MB and `timeout` to 15 s; both can be overridden.
 *
 * The role starts empty (no `AWSLambdaBasicExecutionRole`, whose `logs:CreateLogGroup` on `*`
 * is more than the function needs); it may write to its own log group only.
 *
 * The `bind*` helpers grant access to a resource and set the environment variable naming it in
 * one call, so a grant never drifts from the configuration.
 */
export class VerificationFunction extends NodejsFunction {
  /** The execution role; cdk-nag acknowledgements of its grants are recorded on it. */
  public readonly executionRole: iam.Role;

  constructor(scope: Construct, id: string, props: VerificationFunctionProps) {
    const {
      handlerPath,
      handlersDir = DEFAULT_HANDLERS_DIR,
      logRetention = RetentionDays.ONE_MONTH,
      logRemovalPolicy = RemovalPolicy.DESTROY,
      serviceName = 'berbix-serverless',
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

    super(scope, id, {
      memorySize: 256,
      timeout: Duration.seconds(15),
      ...rest,
      entry: path.join(handlersDir, `${handlerPath}.ts`),
      handler: 'handler',
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      tracing: Tracing.ACTIVE,
      loggingFormat: LoggingFormat.JSON,
      logGroup,
      role,
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      bundling: {
        format: OutputFormat.CJS,
        target: 'node22',
        sourceMap: true,
        sourcesContent: false,
        minify: true,
        bundleAwsSDK: true,
        forceDockerBundling: false,
        logLevel: LogLevel.WARNING,
        ...bundling,
      },
      environment: {
        POWERTOOLS_SERVICE_NAME: serviceName,
        POWERTOOLS_LOG_LEVEL: logLevel,
        // Events carry tokens, presigned fields and personal data: never log them whole.
        POWERTOOLS_LOGGER_LOG_EVENT: 'false',
        NODE_OPTIONS: '--enable-source-maps',
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

  /** Grants table access and sets `TABLE_NAME`. */
  bindTable(table: ITable, access: TableAccess, envVarName = 'TABLE_NAME'): this {
    if (access === 'read') table.grantReadData(this);
    else table.grantReadWriteData(this);
    this.addEnvironment(envVarName, table.tableName);
    acknowledgeTableGrants(this, table, access);
    return this;
  }

  /**
   * Grants object access under `keyPattern` (default `uploads/*`) and sets `BUCKET_NAME`.
   * Each access maps to the narrowest `grant*` there is: read → `grantRead`, put → `grantPut`,
   * delete → `grantDelete`.
   */
  bindBucket(
    bucket: IBucket,
    access: readonly BucketAccess[],
    keyPattern = 'uploads/*',
    envVarName = 'BUCKET_NAME',
  ): this {
    for (const a of new Set(access)) {
      if (a === 'read') bucket.grantRead(this, keyPattern);
      else if (a === 'put') bucket.grantPut(this, keyPattern);
      else bucket.grantDelete(this, keyPattern);
    }
    this.addEnvironment(envVarName, bucket.bucketName);
    acknowledgeBucketGrants(this, bucket, keyPattern, access);
    return this;
  }

  /** Grants read of the secret (and decrypt through Secrets Manager) and sets `BERBIX_SECRET_ARN`. */
  bindSecret(secret: ISecret, envVarName = 'BERBIX_SECRET_ARN'): this {
    secret.grantRead(this);
    this.addEnvironment(envVarName, secret.secretArn);
    return this;
  }

  /** Sets several environment variables at once. */
  addEnvironments(vars: Readonly<Record<string, string>>): this {
    for (const [k, v] of Object.entries(vars)) this.addEnvironment(k, v);
    return this;
  }
}

/** Acknowledges one cdk-nag finding on `scope` (and its children) with the reason it is acceptable. */
export function acknowledge(scope: Construct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id, reason });
}

/** The logical id of an L2 construct's CloudFormation resource. */
export function logicalIdOf(resource: Construct): string {
  const cfn = resource.node.defaultChild;
  if (!(cfn instanceof CfnElement)) throw new Error(`${resource.node.path} has no CloudFormation resource`);
  return Stack.of(resource).getLogicalId(cfn);
}

/** How cdk-nag prints a resource's `Arn` attribute in a finding, e.g. `<Bucket83908E77.Arn>`. */
function arnToken(resource: Construct): string {
  return `<${logicalIdOf(resource)}.Arn>`;
}

function acknowledgeTableGrants(fn: VerificationFunction, table: ITable, access: TableAccess): void {
  if (access === 'readWrite') acknowledgeKeyWrites(fn, 'the table is encrypted with the stack key');
  acknowledge(
    fn.executionRole,
    `AwsSolutions-IAM5[Resource::${arnToken(table)}/index/*]`,
    'grantReadData/grantReadWriteData include the table indexes (the byBerbixTransaction GSI) of this one table.',
  );
}

function acknowledgeBucketGrants(
  fn: VerificationFunction,
  bucket: IBucket,
  keyPattern: string,
  access: readonly BucketAccess[],
): void {
  acknowledge(
    fn.executionRole,
    `AwsSolutions-IAM5[Resource::${arnToken(bucket)}/${keyPattern}]`,
    `Object access is scoped to the server-chosen key prefix ${keyPattern} of the uploads bucket.`,
  );
  const reasons: Record<string, string> = {
    'Action::s3:GetObject*': 'grantRead: GetObject and its version/ACL variants on the uploads prefix only.',
    'Action::s3:GetBucket*': 'grantRead: bucket metadata reads on the one uploads bucket.',
    'Action::s3:List*': 'grantRead: listing the one uploads bucket.',
    'Action::s3:Abort*': 'grantPut: aborting multipart uploads on the uploads prefix only.',
    'Action::s3:DeleteObject*': 'grantDelete: deleting objects on the uploads prefix only.',
  };
  const wanted = new Set<string>();
  if (access.includes('read'))
    ['Action::s3:GetObject*', 'Action::s3:GetBucket*', 'Action::s3:List*'].forEach((a) => wanted.add(a));
  if (access.includes('put')) {
    wanted.add('Action::s3:Abort*');
    acknowledgeKeyWrites(fn, 'the uploads bucket uses SSE-KMS with the stack key');
  }
  if (access.includes('delete')) wanted.add('Action::s3:DeleteObject*');
  for (const finding of wanted)
    acknowledge(fn.executionRole, `AwsSolutions-IAM5[${finding}]`, reasons[finding] ?? finding);
}

/**
 * Writing to a resource encrypted with a customer key needs `kms:GenerateDataKey*` and
 * `kms:ReEncrypt*`; the grant scopes both to that one key.
 */
export function acknowledgeKeyWrites(fn: VerificationFunction, why: string): void {
  for (const action of ['kms:GenerateDataKey*', 'kms:ReEncrypt*']) {
    acknowledge(
      fn.executionRole,
      `AwsSolutions-IAM5[Action::${action}]`,
      `${action} on the stack key only: ${why}.`,
    );
  }
}
