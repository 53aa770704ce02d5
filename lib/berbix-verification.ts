import { Duration, Names, RemovalPolicy, Stack, Token, Tokenization, Validations } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { IAlarm, IAlarmAction } from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IDestination, IFunction } from 'aws-cdk-lib/aws-lambda';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { EventType } from 'aws-cdk-lib/aws-s3';
import { LambdaDestination } from 'aws-cdk-lib/aws-s3-notifications';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct, type IConstruct } from 'constructs';
import {
  DEFAULT_BERBIX_API_URL,
  DEFAULT_METRICS_NAMESPACE,
  DEFAULT_SCOPES,
  ENV,
  EVENT_SOURCE,
  MAX_UPLOAD_BYTES,
  RESULT_ATTRIBUTES,
  UPLOAD_ATTEMPTS,
  VERIFICATION_COMPLETED,
} from '../lambdas/contract';
import { BerbixDeletionWorkflow } from './constructs/berbix-deletion-workflow';
import { FunnelMetrics } from './constructs/funnel-metrics';
import { VerificationAlarms } from './constructs/verification-alarms';
import { VerificationDashboard } from './constructs/verification-dashboard';
import { VerificationApi, type ThrottlingProps } from './constructs/verification-api';
import {
  acknowledge,
  logicalIdOf,
  VerificationFunction,
  type VerificationFunctionProps,
} from './constructs/verification-function';
import {
  BERBIX_TRANSACTION_INDEX,
  UPLOADS_PREFIX,
  VerificationStorage,
} from './constructs/verification-storage';
import { VerificationWorkflow, type BerbixRetryProps } from './constructs/verification-workflow';

// Part of the package's API: what a customer's code may need to match events or size uploads.
export {
  EVENT_SOURCE,
  MAX_UPLOAD_BYTES,
  RESULT_ATTRIBUTES,
  VERIFICATION_COMPLETED,
} from '../lambdas/contract';

/** The functions of one instance, by construct id (docs/architecture.md lists them). */
export type VerificationFunctionId =
  | 'CreateVerificationFn'
  | 'GetVerificationFn'
  | 'CreateUploadFn'
  | 'ReuseFrontFn'
  | 'SubmitIdScanFn'
  | 'GetResultFn'
  | 'DeleteVerificationFn'
  | 'BerbixWebhookFn'
  | 'CreateTransactionFn'
  | 'AwaitUploadFn'
  | 'SubmitUploadFn'
  | 'FetchResultFn'
  | 'DeleteImagesFn'
  | 'CloseVerificationFn'
  | 'DeleteBerbixTransactionFn'
  | 'UploadReceivedFn';

export interface BerbixVerificationProps {
  // --- Berbix -------------------------------------------------------------------------------

  /** The Berbix API-only template key transactions are created with. */
  readonly templateKey: string;

  /**
   * Base URL of the Berbix API.
   * @default 'https://api.berbix.com'
   */
  readonly berbixApiUrl?: string;

  /**
   * Your own Secrets Manager secret with the Berbix credentials, JSON
   * `{"apiSecret": "…", "webhookSecret": "…"}`. When it is encrypted with a customer-managed key,
   * import it with that key (`Secret.fromSecretAttributes(…, { encryptionKey })`) so the functions
   * are allowed to decrypt it through Secrets Manager.
   * @default - a new secret encrypted with `encryptionKey`, to be filled after the first deploy
   */
  readonly berbixSecret?: ISecret;

  /**
   * How long a function keeps the Berbix secret it read before reading it again: a rotated secret
   * is in use everywhere within this time, without a deploy. 1 second to 1 day, whole seconds.
   * @default Duration.minutes(5)
   */
  readonly berbixSecretMaxAge?: Duration;

  // --- the HTTP API ---------------------------------------------------------------------------

  /** Issuer (`iss`) of the JWTs the API accepts; its `/.well-known/openid-configuration` must be reachable. */
  readonly jwtIssuer: string;

  /** Audiences the API accepts (`aud`, or `client_id` for access tokens). At least one. */
  readonly jwtAudience: readonly string[];

  /**
   * JWT scope of end-user apps.
   * @default 'verifications/client'
   */
  readonly clientScope?: string;

  /**
   * JWT scope of your backend (results, deletion, any verification).
   * @default 'verifications/backend'
   */
  readonly backendScope?: string;

  /**
   * Browser origins allowed to call the API and POST uploads to the bucket (exact origins, no `*`).
   * @default [] (no CORS)
   */
  readonly allowedOrigins?: readonly string[];

  /**
   * API stage throttling.
   * @default { rateLimit: 50, burstLimit: 100 }
   */
  readonly throttling?: ThrottlingProps;

  // --- the flow -------------------------------------------------------------------------------

  /**
   * A wait for an upload times out after this; the verification becomes `abandoned`.
   * Between 1 second and 365 days.
   * @default Duration.days(1)
   */
  readonly abandonAfter?: Duration;

  /**
   * How long `POST /verifications` waits for Berbix before answering `202 creating`. Under 25 s
   * (the API's timeout is 30 s); it sizes the function's timeout, so it cannot be a token.
   * @default Duration.seconds(8)
   */
  readonly createWait?: Duration;

  /**
   * Lifetime of a presigned upload form.
   * @default Duration.minutes(5)
   */
  readonly uploadUrlTtl?: Duration;

  /**
   * Uploads one document side accepts, local refusals, `bad_upload` and 409s included (barcode
   * scans count for both sides). Once a side has had this many, the verification fails with
   * `upload_attempts_exhausted`: no retake loop is unbounded. 1 to 50.
   * @default 10
   */
  readonly maxUploadAttempts?: number;

  /**
   * Accept `email` and `phone` at `POST /verifications` and send them to Berbix. Off by default:
   * a create whose answer is lost is repeated, and the first Berbix transaction, which DELETE
   * cannot reach, keeps whatever was sent. When off, a create carrying them is refused (400).
   * @default false
   */
  readonly sendContactDetails?: boolean;

  /**
   * How the state machine retries a task after a transient Berbix fault (5xx, 429, timeout,
   * dropped connection), on top of the Berbix client's retries inside each task. A verification
   * fails on such a fault only once this budget is spent. Written into the definition, so no tokens.
   * @default 6 retries, 2 s doubling up to 30 s (90 s of waits)
   */
  readonly berbixRetry?: BerbixRetryProps;

  /**
   * The first wait before a deleted verification's Berbix transaction is deleted again, when Berbix
   * was unavailable; the waits double from here up to 30 minutes.
   * @default Duration.seconds(30)
   */
  readonly berbixDeletionRetry?: Duration;

  /**
   * How long a Berbix deletion is tried before it is recorded `failed` (`retries_exhausted`) and
   * its alarm raised.
   * @default Duration.hours(6)
   */
  readonly berbixDeletionGiveUpAfter?: Duration;

  // --- data -----------------------------------------------------------------------------------

  /**
   * Your own KMS key for everything the construct stores: the uploads bucket, the table, the
   * generated Berbix secret and the upload-failure queue. Its key policy must let IAM policies of
   * the account grant its use (the default key policy does): each function is granted only the
   * KMS actions it needs, through the one service that needs them (`kms:ViaService`).
   * @default - a new key with rotation on, removed according to `removalPolicy`
   */
  readonly encryptionKey?: IKey;

  /**
   * How long raw images are kept after a verification completes. With 0 the state machine has no
   * wait for it (the result goes straight to the image deletion: one state transition fewer); any
   * other value, or a deploy-time one, deploys the `HoldImages` wait.
   * @default Duration.seconds(0) (deleted right away)
   */
  readonly imageRetention?: Duration;

  /**
   * Safety-net S3 lifecycle expiry of everything under `uploads/`, whole days; the workflow
   * deletes images itself. Must not be shorter than `imageRetention`.
   * @default Duration.days(1), or whole days covering `imageRetention` plus one day when that is longer
   */
  readonly rawUploadExpiration?: Duration;

  /**
   * How long Berbix tokens and cached personal data (the result) live in DynamoDB (TTL), whole days.
   * @default Duration.days(30)
   */
  readonly dataRetention?: Duration;

  /**
   * Removal policy of the key, the buckets and the table (not of a key or secret you bring).
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  // --- operations -----------------------------------------------------------------------------

  /**
   * Your event bus for the `VerificationCompleted` events (`onVerificationCompleted` puts its rules
   * on it). A bus encrypted with a customer-managed key also needs `kms:GenerateDataKey` on that
   * key for the `FetchResultFn` function.
   * @default - the account's default event bus
   */
  readonly eventBus?: events.IEventBus;

  /**
   * Where the operational alarms notify (an SNS topic action, for instance).
   * @default - none: the alarms show in CloudWatch only
   */
  readonly alarmActions?: readonly IAlarmAction[];

  /**
   * Retention of every log group (functions, state machines, API access logs).
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;

  /**
   * The CloudWatch namespace of the funnel and Berbix metrics (`metric…()` methods, the dashboard).
   * @default 'BerbixServerless'
   */
  readonly metricsNamespace?: string;

  /**
   * The `service` of the functions' logs, traces and metrics (the `service` dimension of every
   * metric): what tells this instance's metrics from another's in the same namespace.
   * @default - the stack name and the construct's path below the stack, `-`-joined (an id
   * `Default` adds nothing), e.g. `BerbixServerless` or `KycStack-IdVerification`
   */
  readonly serviceName?: string;

  /**
   * Folder with the handler sources, bundled instead of the pre-bundled code (this repository's
   * tests point it at stand-ins).
   * @internal
   */
  readonly handlersDir?: string;

  /**
   * The verification state machine's ASL file (this repository's tests point it at fixtures).
   * @internal
   */
  readonly definitionFile?: string;
}

/**
 * The berbix-serverless verification pipeline as one construct: an HTTP API with a JWT authorizer
 * → one Lambda function per route → a Standard state machine whose callback waits are resumed by
 * uploads to S3, DynamoDB for state, Berbix behind it, and a `VerificationCompleted` event at the
 * end. Several instances can live in one stack: nothing is named after the construct but the
 * state machines' log groups, which carry its path.
 *
 * Function ids, environment variables and grants follow docs/architecture.md; each function may
 * do exactly what its handler calls, nothing more.
 */
export class BerbixVerification extends Construct {
  /** The verifications HTTP API (API Gateway v2). */
  public readonly httpApi: apigw.HttpApi;

  /** Base URL of the API (its `$default` stage), e.g. `https://abc123.execute-api.eu-west-1.amazonaws.com/`. */
  public readonly apiUrl: string;

  /** The verifications table (`pk`, `sk`; TTL `ttl`; the `byBerbixTransaction` index). */
  public readonly table: dynamodb.Table;

  /** The bucket the devices upload images to, through presigned POST forms. */
  public readonly uploadsBucket: s3.Bucket;

  /** The verification state machine (Standard). */
  public readonly stateMachine: sfn.StateMachine;

  /** The state machine that deletes deleted verifications' Berbix transactions. */
  public readonly berbixDeletionStateMachine: sfn.StateMachine;

  /** The Berbix credentials: yours (`berbixSecret`) or the one created here. */
  public readonly berbixSecret: ISecret;

  /** The key everything stored is encrypted with: yours (`encryptionKey`) or the one created here. */
  public readonly encryptionKey: IKey;

  /** The bus `VerificationCompleted` events are put on. */
  public readonly eventBus: events.IEventBus;

  /** The DLQ of S3-event invocations of `UploadReceivedFn` that failed after Lambda's retries. */
  public readonly uploadFailuresQueue: sqs.Queue;

  /**
   * The operational alarms: upload DLQ, failed verifications, failed Berbix deletions, API 5xx,
   * Berbix error rate, abandonment spike.
   */
  public readonly alarms: readonly IAlarm[];

  /** The instance's dashboard: funnel, issue mix, Berbix latency and error rate, alarms. */
  public readonly dashboard: cloudwatch.Dashboard;

  /** The CloudWatch namespace of the instance's metrics (`metricsNamespace`). */
  public readonly metricsNamespace: string;

  /** The `service` of the instance's logs and traces, and the `service` dimension of its metrics. */
  public readonly serviceName: string;

  /** The functions, by construct id. */
  public readonly functions: Readonly<Record<VerificationFunctionId, IFunction>>;

  private readonly fetchResult: VerificationFunction;
  private readonly funnel: FunnelMetrics;

  constructor(scope: Construct, id: string, props: BerbixVerificationProps) {
    super(scope, id);
    const {
      templateKey,
      berbixApiUrl = DEFAULT_BERBIX_API_URL,
      clientScope = DEFAULT_SCOPES.client,
      backendScope = DEFAULT_SCOPES.backend,
      allowedOrigins = [],
      imageRetention = Duration.seconds(0),
      dataRetention = Duration.days(30),
      abandonAfter = Duration.days(1),
      createWait = Duration.seconds(8),
      uploadUrlTtl = Duration.minutes(5),
      maxUploadAttempts = UPLOAD_ATTEMPTS.default,
      sendContactDetails = false,
      logRetention = RetentionDays.ONE_MONTH,
      removalPolicy = RemovalPolicy.RETAIN,
      berbixDeletionRetry = Duration.seconds(30),
      berbixDeletionGiveUpAfter = Duration.hours(6),
      berbixSecretMaxAge = Duration.minutes(5),
      metricsNamespace = DEFAULT_METRICS_NAMESPACE,
      serviceName = instanceName(this, 255),
      handlersDir,
    } = props;
    validate(props, {
      dataRetention,
      abandonAfter,
      createWait,
      maxUploadAttempts,
      berbixSecretMaxAge,
      metricsNamespace,
      serviceName,
    });
    const rawUploadExpiration = props.rawUploadExpiration ?? defaultRawUploadExpiration(imageRetention);
    // Otherwise the lifecycle rule would silently cut the configured image retention short.
    if (
      !imageRetention.isUnresolved() &&
      !rawUploadExpiration.isUnresolved() &&
      rawUploadExpiration.toSeconds() < imageRetention.toSeconds()
    ) {
      throw new Error(
        `rawUploadExpiration (${rawUploadExpiration.toHumanString()}) is shorter than imageRetention (${imageRetention.toHumanString()})`,
      );
    }

    const storage = new VerificationStorage(this, 'Storage', {
      allowedOrigins,
      rawUploadExpiration,
      removalPolicy,
      encryptionKey: props.encryptionKey,
      berbixSecret: props.berbixSecret,
    });
    const { table, bucket, secret, key } = storage;
    // Each function's grants are exactly the calls its handler and adapters make (docs/architecture.md,
    // "Functions and their environment"); test/infra/verification-stack.test.ts holds the same table.
    const reads = { items: ['GetItem'] } as const;
    // A Berbix call may refresh the tokens: putTokens writes TOKENS only while META allows it.
    const berbixCaller = ['GetItem', 'PutItem', 'UpdateItem', 'ConditionCheckItem'] as const;
    const everyUpload = `${UPLOADS_PREFIX}*`;
    // Keys are uploads/<verificationId>/<step>/<attempt>-<nonce>.<ext>: writers get their step only.
    const objects = (step: string) => `${UPLOADS_PREFIX}*/${step}/*`;
    const listAndDelete = { listPrefix: UPLOADS_PREFIX, delete: everyUpload };

    // Every function writes items with a TTL, so every one reads the data retention.
    const make = (
      fnId: VerificationFunctionId,
      handlerPath: string,
      extra: Partial<VerificationFunctionProps> = {},
    ) =>
      new VerificationFunction(this, fnId, {
        handlerPath,
        handlersDir,
        logRetention,
        serviceName,
        ...extra,
      }).addEnvironments({
        [ENV.dataRetentionDays]: numberText(dataRetention.toDays()),
      });
    // The functions that report funnel events or Berbix calls write metrics in the namespace.
    const metrics = { [ENV.metricsNamespace]: metricsNamespace };
    // Every Berbix caller reads the secret (kept for its max age) and counts its Berbix requests.
    const berbix = {
      [ENV.berbixApiUrl]: berbixApiUrl,
      [ENV.berbixSecretMaxAgeSeconds]: numberText(berbixSecretMaxAge.toSeconds()),
      ...metrics,
    };
    const scopes = { [ENV.clientScope]: clientScope, [ENV.backendScope]: backendScope };
    const sfnTimeout = { timeout: Duration.seconds(60) };
    const contactDetails = { [ENV.sendContactDetails]: String(sendContactDetails) };
    // The tasks that open a wait (with a record of Berbix's answer) or arm it count the uploads.
    const uploadAttempts = { [ENV.maxUploadAttempts]: numberText(maxUploadAttempts) };

    // --- state-machine tasks -------------------------------------------------------------------
    const createTransaction = make('CreateTransactionFn', 'sfn/create-transaction', sfnTimeout)
      .bindTable(table, { items: [...berbixCaller, 'DeleteItem'] })
      .bindSecret(secret)
      .addEnvironments({
        ...berbix,
        ...contactDetails,
        ...uploadAttempts,
        [ENV.berbixTemplateKey]: templateKey,
      });
    const awaitUpload = make('AwaitUploadFn', 'sfn/await-upload')
      .bindTable(table, { items: ['GetItem', 'UpdateItem'] })
      .addEnvironments(uploadAttempts);
    const submitUpload = make('SubmitUploadFn', 'sfn/submit-upload', {
      // One copy of a 20 MiB image, its base64 JSON streamed: peak 164 MiB (docs/benchmarks.md).
      memorySize: 256,
      timeout: Duration.seconds(120),
    })
      .bindTable(table, { items: berbixCaller })
      .bindBucket(bucket, { get: everyUpload, delete: everyUpload })
      .bindSecret(secret)
      .addEnvironments({ ...berbix, ...uploadAttempts });
    const fetchResult = make('FetchResultFn', 'sfn/fetch-result', sfnTimeout)
      .bindTable(table, { items: berbixCaller })
      .bindSecret(secret)
      .addEnvironments(berbix);
    // The account's default bus unless one is given: customers subscribe with rules.
    this.eventBus = props.eventBus ?? events.EventBus.fromEventBusName(this, 'DefaultBus', 'default');
    this.eventBus.grantPutEventsTo(fetchResult);
    fetchResult.addEnvironment(
      ENV.eventBusName,
      // PutEvents takes a name or an ARN; the ARN also reaches a bus of another account.
      props.eventBus ? this.eventBus.eventBusArn : this.eventBus.eventBusName,
    );
    this.fetchResult = fetchResult;
    const deleteImages = make('DeleteImagesFn', 'sfn/delete-images', sfnTimeout)
      .bindTable(table, { items: ['UpdateItem'] })
      .bindBucket(bucket, listAndDelete);
    const closeVerification = make('CloseVerificationFn', 'sfn/close-verification', sfnTimeout)
      .bindTable(table, { items: ['GetItem', 'UpdateItem'] })
      .bindBucket(bucket, listAndDelete)
      .addEnvironments(metrics);

    const logGroupPrefix = `/aws/vendedlogs/states/${instanceName(this)}`;
    const workflow = new VerificationWorkflow(this, 'Workflow', {
      functions: {
        CreateTransaction: createTransaction,
        AwaitUpload: awaitUpload,
        SubmitUpload: submitUpload,
        FetchResult: fetchResult,
        DeleteImages: deleteImages,
        CloseVerification: closeVerification,
      },
      definitionFile: props.definitionFile,
      berbixRetry: props.berbixRetry,
      imageRetention,
      logRetention,
      logGroupName: `${logGroupPrefix}-verification`,
    });
    const { stateMachine } = workflow;

    // --- the durable deletion of Berbix transactions (DELETE /verifications/{id}) ----------------
    const berbixDeletionRetrySeconds = numberText(berbixDeletionRetry.toSeconds());
    const deleteBerbixTransaction = make(
      'DeleteBerbixTransactionFn',
      'sfn/delete-berbix-transaction',
      sfnTimeout,
    )
      .bindTable(table, { items: [...berbixCaller, 'DeleteItem'] })
      .bindSecret(secret)
      .addEnvironments({
        ...berbix,
        [ENV.berbixDeletionRetrySeconds]: berbixDeletionRetrySeconds,
        [ENV.berbixDeletionGiveUpSeconds]: numberText(berbixDeletionGiveUpAfter.toSeconds()),
        // A create still running when its verification is deleted ends within its function's timeout.
        [ENV.berbixCreateWindowSeconds]: String(sfnTimeout.timeout.toSeconds() + 30),
      });
    const berbixDeletion = new BerbixDeletionWorkflow(this, 'BerbixDeletion', {
      deleteTransaction: deleteBerbixTransaction,
      logRetention,
      logGroupName: `${logGroupPrefix}-berbix-deletion`,
    });

    // --- S3 upload events ------------------------------------------------------------------------
    this.uploadFailuresQueue = new sqs.Queue(this, 'UploadReceivedFailures', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: key,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledge(
      this.uploadFailuresQueue,
      'AwsSolutions-SQS3',
      'This queue is itself the failure destination (DLQ) of UploadReceivedFn async invocations.',
    );
    // The failure destination granted by hand: SqsDestination would add GetQueueAttributes,
    // GetQueueUrl and every encrypt action on the key.
    const failures: IDestination = { bind: () => ({ destination: this.uploadFailuresQueue.queueArn }) };
    const uploadReceived = make('UploadReceivedFn', 's3/upload-received', {
      onFailure: failures,
      retryAttempts: 2,
      maxEventAge: Duration.hours(6),
    })
      .bindTable(table, { items: ['GetItem', 'UpdateItem'] })
      .bindBucket(bucket, { delete: everyUpload })
      .grantKeyThrough('sqs', key, ['kms:GenerateDataKey', 'kms:Decrypt']);
    uploadReceived.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['sqs:SendMessage'],
        resources: [this.uploadFailuresQueue.queueArn],
      }),
    );
    // Only SendTaskSuccess: grantTaskResponse would add SendTaskFailure and SendTaskHeartbeat.
    stateMachine.grant(uploadReceived, 'states:SendTaskSuccess');
    uploadReceived.addEnvironment(ENV.stateMachineArn, stateMachine.stateMachineArn);
    bucket.addEventNotification(EventType.OBJECT_CREATED, new LambdaDestination(uploadReceived), {
      prefix: UPLOADS_PREFIX,
    });
    // CDK's singleton, one per stack, that applies bucket notification configurations at deploy time.
    const notificationsHandler = Stack.of(this).node.tryFindChild(
      'BucketNotificationsHandler050a0587b7544547bf325f094a3db834',
    );
    if (notificationsHandler) {
      acknowledgeOnce(
        notificationsHandler,
        'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        'CDK-owned deploy-time handler for Custom::S3BucketNotifications; it only needs basic logging.',
      );
    }

    // --- HTTP API handlers -----------------------------------------------------------------------
    const createVerification = make('CreateVerificationFn', 'api/create-verification', {
      timeout: Duration.seconds(createWait.toSeconds({ integral: false }) + 10),
    })
      .bindTable(table, { items: ['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem'] })
      .addEnvironments({
        ...scopes,
        ...contactDetails,
        ...metrics,
        [ENV.stateMachineArn]: stateMachine.stateMachineArn,
        [ENV.createWaitMs]: String(createWait.toMilliseconds()),
        [ENV.abandonAfterSeconds]: numberText(abandonAfter.toSeconds()),
        [ENV.imageRetentionSeconds]: numberText(imageRetention.toSeconds()),
      });
    stateMachine.grantStartExecution(createVerification);
    // A read may wait up to 20 s for a change (`?wait=`), inside API Gateway's 30 s.
    const getVerification = make('GetVerificationFn', 'api/get-verification', {
      timeout: Duration.seconds(25),
    })
      .bindTable(table, reads)
      .addEnvironments(scopes);
    const createUpload = make('CreateUploadFn', 'api/create-upload')
      .bindTable(table, reads)
      .bindBucket(bucket, { put: objects('document_*') })
      .addEnvironments({
        ...scopes,
        [ENV.uploadUrlTtlSeconds]: numberText(uploadUrlTtl.toSeconds()),
        [ENV.maxUploadBytes]: String(MAX_UPLOAD_BYTES),
      });
    const reuseFront = make('ReuseFrontFn', 'api/reuse-front')
      .bindTable(table, reads)
      .bindBucket(bucket, { get: objects('document_front'), put: objects('document_back') })
      .addEnvironments(scopes);
    const submitIdScan = make('SubmitIdScanFn', 'api/submit-id-scan')
      .bindTable(table, { items: ['GetItem', 'UpdateItem'] })
      .bindBucket(bucket, { put: objects('id_scan') })
      .addEnvironments(scopes);
    const getResult = make('GetResultFn', 'api/get-result').bindTable(table, reads).addEnvironments(scopes);
    const deleteVerification = make('DeleteVerificationFn', 'api/delete-verification', {
      timeout: Duration.seconds(30),
    })
      .bindTable(table, { items: [...berbixCaller, 'DeleteItem'] })
      .bindBucket(bucket, listAndDelete)
      .bindSecret(secret)
      .addEnvironments({
        ...scopes,
        ...berbix,
        [ENV.stateMachineArn]: stateMachine.stateMachineArn,
        [ENV.berbixDeletionStateMachineArn]: berbixDeletion.stateMachine.stateMachineArn,
        [ENV.berbixDeletionRetrySeconds]: berbixDeletionRetrySeconds,
      });
    stateMachine.grantExecution(deleteVerification, 'states:StopExecution');
    berbixDeletion.stateMachine.grantStartExecution(deleteVerification);
    acknowledge(
      deleteVerification.executionRole,
      `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${logicalIdOf(stateMachine)}"}]}]}:*]`,
      'StopExecution on executions of this one state machine (an execution ARN is known only at run time).',
    );
    // It may refetch the result from Berbix: longer than one Berbix call budget.
    const berbixWebhook = make('BerbixWebhookFn', 'api/berbix-webhook', { timeout: Duration.seconds(30) })
      .bindTable(table, { items: [...berbixCaller, 'DeleteItem'], queries: [BERBIX_TRANSACTION_INDEX] })
      .bindSecret(secret)
      .addEnvironments(berbix);

    this.functions = {
      CreateTransactionFn: createTransaction,
      AwaitUploadFn: awaitUpload,
      SubmitUploadFn: submitUpload,
      FetchResultFn: fetchResult,
      DeleteImagesFn: deleteImages,
      CloseVerificationFn: closeVerification,
      DeleteBerbixTransactionFn: deleteBerbixTransaction,
      UploadReceivedFn: uploadReceived,
      CreateVerificationFn: createVerification,
      GetVerificationFn: getVerification,
      CreateUploadFn: createUpload,
      ReuseFrontFn: reuseFront,
      SubmitIdScanFn: submitIdScan,
      GetResultFn: getResult,
      DeleteVerificationFn: deleteVerification,
      BerbixWebhookFn: berbixWebhook,
    };

    const api = new VerificationApi(this, 'Api', {
      jwtIssuer: props.jwtIssuer,
      jwtAudience: props.jwtAudience,
      clientScope,
      backendScope,
      allowedOrigins,
      throttling: props.throttling,
      logRetention,
      routes: [
        {
          method: HttpMethod.POST,
          path: '/verifications',
          handler: createVerification,
          access: 'clientOrBackend',
        },
        {
          method: HttpMethod.GET,
          path: '/verifications/{id}',
          handler: getVerification,
          access: 'clientOrBackend',
        },
        {
          method: HttpMethod.DELETE,
          path: '/verifications/{id}',
          handler: deleteVerification,
          access: 'backend',
        },
        {
          method: HttpMethod.POST,
          path: '/verifications/{id}/uploads',
          handler: createUpload,
          access: 'clientOrBackend',
        },
        {
          method: HttpMethod.POST,
          path: '/verifications/{id}/document-back/reuse-front',
          handler: reuseFront,
          access: 'clientOrBackend',
        },
        {
          method: HttpMethod.POST,
          path: '/verifications/{id}/id-scans',
          handler: submitIdScan,
          access: 'clientOrBackend',
        },
        { method: HttpMethod.GET, path: '/verifications/{id}/result', handler: getResult, access: 'backend' },
        {
          method: HttpMethod.POST,
          path: '/webhooks/berbix',
          handler: berbixWebhook,
          access: 'public',
          publicReason:
            'Berbix cannot send our JWTs; the handler verifies the Berbix HMAC-SHA256 signature on the raw body instead (401 otherwise).',
        },
      ],
    });

    this.metricsNamespace = metricsNamespace;
    this.serviceName = serviceName;
    this.funnel = new FunnelMetrics({ namespace: metricsNamespace, serviceName });
    const alarms = new VerificationAlarms(this, 'Alarms', {
      uploadFailures: this.uploadFailuresQueue,
      stateMachine,
      berbixDeletions: berbixDeletion.stateMachine,
      httpApi: api.httpApi,
      metrics: this.funnel,
      alarmActions: props.alarmActions,
    });

    this.httpApi = api.httpApi;
    this.apiUrl = api.stage.url;
    this.table = table;
    this.uploadsBucket = bucket;
    this.stateMachine = stateMachine;
    this.berbixDeletionStateMachine = berbixDeletion.stateMachine;
    this.berbixSecret = secret;
    this.encryptionKey = key;
    this.alarms = [
      alarms.uploadFailures,
      alarms.failedExecutions,
      alarms.failedBerbixDeletions,
      alarms.serverErrors,
      alarms.berbixErrors,
      alarms.abandonmentSpike,
    ];
    this.dashboard = new VerificationDashboard(this, 'Dashboard', {
      metrics: this.funnel,
      alarms: this.alarms,
      serviceName,
    }).dashboard;
  }

  /**
   * Lets `grantee` read cached verification results from the table: `GetItem` of the
   * {@link RESULT_ATTRIBUTES} only (a request must name them in its `ProjectionExpression`), and
   * the table's key to decrypt them, through DynamoDB only. Tokens, contact details and the
   * verification records stay out of reach. The item of verification `vrf_…` is
   * `{ pk: 'V#vrf_…', sk: 'RESULT' }`; its `transaction` is Berbix's transaction JSON.
   */
  grantReadResults(grantee: iam.IGrantable): iam.Grant {
    const items = iam.Grant.addToPrincipal({
      grantee,
      actions: ['dynamodb:GetItem'],
      resourceArns: [this.table.tableArn],
      conditions: {
        'ForAllValues:StringEquals': { 'dynamodb:Attributes': [...RESULT_ATTRIBUTES] },
        StringEqualsIfExists: { 'dynamodb:Select': 'SPECIFIC_ATTRIBUTES' },
      },
    });
    const key = iam.Grant.addToPrincipal({
      grantee,
      actions: ['kms:Decrypt', 'kms:DescribeKey'],
      resourceArns: [this.encryptionKey.keyArn],
      conditions: {
        StringEquals: { 'kms:ViaService': `dynamodb.${Stack.of(this).region}.amazonaws.com` },
      },
    });
    return items.combine(key);
  }

  /**
   * A rule on {@link eventBus} that matches the `VerificationCompleted` events of this instance
   * only (another instance on the same bus publishes its own): source `berbix-serverless`,
   * detail `{verificationId, customerUid, action, completedAt}`. Add targets with `options.target`
   * or `rule.addTarget()`; `options.eventPattern` narrows it further (e.g. on `detail.action`).
   */
  onVerificationCompleted(id: string, options: events.OnEventOptions = {}): events.Rule {
    const rule = new events.Rule(this, id, {
      eventBus: this.eventBus,
      description: options.description,
      ruleName: options.ruleName,
      crossStackScope: options.crossStackScope,
    });
    rule.addEventPattern({
      source: [EVENT_SOURCE],
      detailType: [VERIFICATION_COMPLETED],
      // Each event names the function of the instance that put it.
      resources: [this.fetchResult.functionArn],
    });
    rule.addEventPattern(options.eventPattern);
    if (options.target) rule.addTarget(options.target);
    return rule;
  }

  // --- metrics (docs/operations.md, "Metrics") ------------------------------------------------
  // Each is the instance's total (namespace `metricsNamespace`, dimension `service`), a Sum over
  // 5 minutes unless `props` say otherwise; `props.dimensionsMap` narrows it to one value of the
  // metric's breakdown, e.g. `metricVerificationsFailed({ dimensionsMap: { reason: 'berbix_server_503' } })`.

  /** Verifications created and started (`POST /verifications`). */
  metricVerificationsStarted(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.funnel.metric('verificationsStarted', props);
  }

  /** Uploads submitted (photos and barcode scans); breakdown `step`: `document_front`, `document_back`, `id_scan`. */
  metricStepsAttempted(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.funnel.metric('stepsAttempted', props);
  }

  /** Issues Berbix (or the local image check, `bad_upload`) answered uploads with; breakdown `issue`. */
  metricIssuesReturned(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.funnel.metric('issuesReturned', props);
  }

  /** Uploads answered with the same side again; breakdown `step`: `document_front`, `document_back`. */
  metricRetakes(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.funnel.metric('retakes', props);
  }

  /** Verifications that got their result; breakdown `action`: Berbix's action, `none` without one. */
  metricVerificationsCompleted(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.funnel.metric('verificationsCompleted', props);
  }

  /** Verifications that ended `failed`; breakdown `reason`: the failure reason code. */
  metricVerificationsFailed(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.funnel.metric('verificationsFailed', props);
  }

  /** Verifications that ended `abandoned` (no upload within `abandonAfter`). */
  metricVerificationsAbandoned(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.funnel.metric('verificationsAbandoned', props);
  }

  /** Verifications deleted through `DELETE /verifications/{id}`. */
  metricVerificationsDeleted(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.funnel.metric('verificationsDeleted', props);
  }

  /** HTTP requests to Berbix, each attempt counted; breakdowns `call`, and `call` with `status`. */
  metricBerbixCalls(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.funnel.metric('berbixCalls', props);
  }

  /** Berbix requests that got no answer, a 5xx or a 429; breakdowns `call`, and `call` with `status`. */
  metricBerbixErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.funnel.metric('berbixErrors', props);
  }

  /**
   * Time to Berbix's answer, in milliseconds (Average unless `props.statistic`, e.g. `'p90'`);
   * breakdowns `call`, and `call` with `status`.
   */
  metricBerbixLatency(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.funnel.metric('berbixLatency', props);
  }

  /** Percent of Berbix requests that failed (no answer, 5xx, 429): `100 * errors / requests`. */
  metricBerbixErrorRate(props: { period?: Duration; label?: string } = {}): cloudwatch.MathExpression {
    return this.funnel.berbixErrorRate(props);
  }
}

/** The checks that need no AWS: each names the prop. Tokens are let through (checked by AWS). */
function validate(
  props: BerbixVerificationProps,
  resolved: {
    dataRetention: Duration;
    abandonAfter: Duration;
    createWait: Duration;
    maxUploadAttempts: number;
    berbixSecretMaxAge: Duration;
    metricsNamespace: string;
    serviceName: string;
  },
): void {
  const { dataRetention, abandonAfter, createWait, maxUploadAttempts } = resolved;
  const { berbixSecretMaxAge, metricsNamespace, serviceName } = resolved;
  if (!berbixSecretMaxAge.isUnresolved()) {
    const seconds = berbixSecretMaxAge.toSeconds({ integral: false });
    if (!Number.isInteger(seconds) || seconds < 1 || seconds > 86400) {
      throw new Error(
        `berbixSecretMaxAge must be whole seconds between 1 second and 1 day, got ${berbixSecretMaxAge.toHumanString()}`,
      );
    }
  }
  // CloudWatch's rules for a custom namespace; AWS/ is reserved for AWS's own.
  if (
    !Token.isUnresolved(metricsNamespace) &&
    (!/^[A-Za-z0-9 .\-_/#:]{1,255}$/.test(metricsNamespace) || metricsNamespace.startsWith('AWS/'))
  ) {
    throw new Error(
      `metricsNamespace must be 1 to 255 letters, digits, spaces or . - _ / # : and not start with AWS/, got ${JSON.stringify(metricsNamespace)}`,
    );
  }
  // It is written into the dashboard's searches between double quotes.
  if (!Token.isUnresolved(serviceName) && !/^[\x21-\x7e]{1,255}$/.test(serviceName.replace(/["'\\]/g, ' '))) {
    throw new Error(
      `serviceName must be 1 to 255 printable characters without spaces or quotes, got ${JSON.stringify(serviceName)}`,
    );
  }
  if (!props.templateKey) throw new Error('templateKey is required');
  if (!dataRetention.isUnresolved()) {
    const days = dataRetention.toDays({ integral: false });
    if (!Number.isInteger(days) || days < 1) {
      throw new Error(
        `dataRetention must be a whole number of days >= 1, got ${dataRetention.toHumanString()}`,
      );
    }
  }
  // A Task's TimeoutSeconds (the abandonment wait) must be a positive integer, at most a year.
  if (!abandonAfter.isUnresolved()) {
    const seconds = abandonAfter.toSeconds({ integral: false });
    if (!Number.isInteger(seconds) || seconds < 1 || seconds > 365 * 86400) {
      throw new Error(
        `abandonAfter must be whole seconds between 1 second and 365 days, got ${abandonAfter.toHumanString()}`,
      );
    }
  }
  const { min, max } = UPLOAD_ATTEMPTS;
  if (
    !Token.isUnresolved(maxUploadAttempts) &&
    (!Number.isInteger(maxUploadAttempts) || maxUploadAttempts < min || maxUploadAttempts > max)
  ) {
    throw new Error(
      `maxUploadAttempts must be a whole number from ${min} to ${max}, got ${maxUploadAttempts}`,
    );
  }
  if (createWait.isUnresolved()) throw new Error('createWait cannot be a token: it sizes a function timeout');
  if (createWait.toMilliseconds() >= 25_000)
    throw new Error('createWait must stay well under the 30 s API timeout');
}

function defaultRawUploadExpiration(imageRetention: Duration): Duration {
  if (imageRetention.isUnresolved()) {
    throw new Error('rawUploadExpiration is required when imageRetention is a token');
  }
  return Duration.days(Math.max(1, Math.ceil(imageRetention.toSeconds() / 86400) + 1));
}

/** A number as an environment value, a deploy-time token included. */
function numberText(value: number): string {
  return Tokenization.stringifyNumber(value);
}

/**
 * The stack name and the instance's path below the stack, `-`-joined: the names CloudWatch needs
 * stay apart for two instances in one stack. A construct with the id `Default` adds nothing, as it
 * adds nothing to logical ids either.
 */
function instanceName(scope: IConstruct, maxLength = 400): string {
  const stack = Stack.of(scope);
  const below = scope.node.scopes
    .slice(stack.node.scopes.length)
    .map((c) => c.node.id)
    .filter((segment) => segment !== 'Default');
  const name = [stack.stackName, ...below].join('-').replace(/[^A-Za-z0-9_\-./#]/g, '');
  // Log group names are at most 512 characters; keep room for the suffix and stay unique.
  return name.length <= maxLength
    ? name
    : `${name.slice(0, maxLength - 10)}-${Names.uniqueId(scope).slice(-8)}`;
}

/** Acknowledges a finding on a construct shared by several instances once. */
function acknowledgeOnce(scope: IConstruct, id: string, reason: string): void {
  const done = scope.node.metadata.some(
    (m) =>
      m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY &&
      Object.keys(m.data as object).some((k) => k.endsWith(id)),
  );
  if (!done) acknowledge(scope, id, reason);
}
