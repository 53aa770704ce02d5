import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import { EventBus } from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IDestination } from 'aws-cdk-lib/aws-lambda';
import { LambdaDestination } from 'aws-cdk-lib/aws-s3-notifications';
import { EventType } from 'aws-cdk-lib/aws-s3';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { IAlarmAction } from 'aws-cdk-lib/aws-cloudwatch';
import {
  DEFAULT_BERBIX_API_URL,
  DEFAULT_SCOPES,
  ENV,
  MAX_UPLOAD_BYTES,
  UPLOAD_ATTEMPTS,
} from '../lambdas/contract';
import { BerbixDeletionWorkflow } from './constructs/berbix-deletion-workflow';
import { VerificationAlarms } from './constructs/verification-alarms';
import { VerificationApi, type ThrottlingProps } from './constructs/verification-api';
import {
  acknowledge,
  VerificationFunction,
  type VerificationFunctionProps,
} from './constructs/verification-function';
import {
  BERBIX_TRANSACTION_INDEX,
  UPLOADS_PREFIX,
  VerificationStorage,
} from './constructs/verification-storage';
import { VerificationWorkflow, type BerbixRetryProps } from './constructs/verification-workflow';

export interface VerificationStackProps extends StackProps {
  /** The Berbix API-only template key transactions are created with. */
  readonly templateKey: string;

  /**
   * Base URL of the Berbix API.
   * @default 'https://api.berbix.com'
   */
  readonly berbixApiUrl?: string;

  /** Issuer (`iss`) of the JWTs the API accepts. */
  readonly jwtIssuer: string;

  /** Audiences the API accepts. */
  readonly jwtAudience: readonly string[];

  /**
   * JWT scope of end-user apps.
   * @default 'verifications/client'
   */
  readonly clientScope?: string;

  /**
   * JWT scope of the customer's backend (results, deletion, any verification).
   * @default 'verifications/backend'
   */
  readonly backendScope?: string;

  /**
   * Browser origins allowed to call the API and POST uploads to the bucket (exact origins, no `*`).
   * @default [] (no CORS)
   */
  readonly allowedOrigins?: readonly string[];

  /**
   * How long raw images are kept after a verification completes.
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
   * Days Berbix tokens and cached personal data (the result) live in DynamoDB (TTL).
   * @default 30
   */
  readonly dataRetentionDays?: number;

  /**
   * A wait for an upload times out after this; the verification becomes `abandoned`.
   * @default Duration.days(1)
   */
  readonly abandonAfter?: Duration;

  /**
   * How long `POST /verifications` waits for Berbix before answering `202 creating`.
   * @default Duration.seconds(8)
   */
  readonly createWait?: Duration;

  /**
   * How the state machine retries a task after a transient Berbix fault (5xx, 429, timeout,
   * dropped connection), on top of the Berbix client's retries inside each task. A verification
   * fails on such a fault only once this budget is spent.
   * @default 6 retries, 2 s doubling up to 30 s (90 s of waits)
   */
  readonly berbixRetry?: BerbixRetryProps;

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
   * Lifetime of a presigned upload form.
   * @default Duration.minutes(5)
   */
  readonly uploadUrlTtl?: Duration;

  /**
   * Retention of every log group (functions, state machine, API access logs).
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;

  /**
   * API stage throttling.
   * @default { rateLimit: 50, burstLimit: 100 }
   */
  readonly throttling?: ThrottlingProps;

  /**
   * Removal policy of the key, buckets and table.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

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

  /**
   * Where the operational alarms notify.
   * @default - none: the alarms show in CloudWatch only
   */
  readonly alarmActions?: readonly IAlarmAction[];

  /**
   * Folder with the handler sources (tests point it at fixtures).
   * @default `lambdas/handlers`
   */
  readonly handlersDir?: string;

  /**
   * The state machine's ASL file.
   * @default `statemachine/verification.asl.json`
   */
  readonly definitionFile?: string;
}

/**
 * The berbix-serverless verification pipeline: HTTP API → Lambdas → Standard state machine with
 * callback waits resumed by S3 uploads, DynamoDB for state, Berbix behind it.
 * Function ids, environment variables and grants follow docs/architecture.md.
 */
export class VerificationStack extends Stack {
  public readonly storage: VerificationStorage;
  public readonly workflow: VerificationWorkflow;
  public readonly api: VerificationApi;
  public readonly functions: Readonly<Record<string, VerificationFunction>>;
  public readonly uploadFailures: sqs.Queue;
  public readonly berbixDeletion: BerbixDeletionWorkflow;
  public readonly alarms: VerificationAlarms;

  constructor(scope: Construct, id: string, props: VerificationStackProps) {
    super(scope, id, props);
    const {
      templateKey,
      berbixApiUrl = DEFAULT_BERBIX_API_URL,
      clientScope = DEFAULT_SCOPES.client,
      backendScope = DEFAULT_SCOPES.backend,
      allowedOrigins = [],
      imageRetention = Duration.seconds(0),
      dataRetentionDays = 30,
      abandonAfter = Duration.days(1),
      createWait = Duration.seconds(8),
      uploadUrlTtl = Duration.minutes(5),
      maxUploadAttempts = UPLOAD_ATTEMPTS.default,
      sendContactDetails = false,
      logRetention = RetentionDays.ONE_MONTH,
      removalPolicy = RemovalPolicy.RETAIN,
      berbixDeletionRetry = Duration.seconds(30),
      berbixDeletionGiveUpAfter = Duration.hours(6),
      handlersDir,
    } = props;
    if (!templateKey) throw new Error('templateKey is required');
    if (!Number.isInteger(dataRetentionDays) || dataRetentionDays < 1) {
      throw new Error(`dataRetentionDays must be a positive integer, got ${dataRetentionDays}`);
    }
    // A Task's TimeoutSeconds (the abandonment wait) must be a positive integer, at most a year.
    const abandonAfterSeconds = abandonAfter.toSeconds();
    if (abandonAfterSeconds < 1 || abandonAfterSeconds > 365 * 86400) {
      throw new Error(
        `abandonAfter must be between 1 second and 365 days, got ${abandonAfter.toHumanString()}`,
      );
    }
    const { min, max } = UPLOAD_ATTEMPTS;
    if (!Number.isInteger(maxUploadAttempts) || maxUploadAttempts < min || maxUploadAttempts > max) {
      throw new Error(
        `maxUploadAttempts must be a whole number from ${min} to ${max}, got ${maxUploadAttempts}`,
      );
    }
    if (createWait.toMilliseconds() >= 25_000)
      throw new Error('createWait must stay well under the 30 s API timeout');

    const retentionDays = Math.ceil(imageRetention.toSeconds() / 86400);
    const rawUploadExpiration = props.rawUploadExpiration ?? Duration.days(Math.max(1, retentionDays + 1));
    // Otherwise the lifecycle rule would silently cut the configured image retention short.
    if (rawUploadExpiration.toSeconds() < imageRetention.toSeconds()) {
      throw new Error(
        `rawUploadExpiration (${rawUploadExpiration.toHumanString()}) is shorter than imageRetention (${imageRetention.toHumanString()})`,
      );
    }

    this.storage = new VerificationStorage(this, 'Storage', {
      allowedOrigins,
      rawUploadExpiration,
      removalPolicy,
    });
    const { table, bucket, secret, key } = this.storage;
    // Each function's grants are exactly the calls its handler and adapters make (docs/architecture.md,
    // "Functions and their environment"); test/infra/least-privilege.test.ts holds the same table.
    const reads = { items: ['GetItem'] } as const;
    // A Berbix call may refresh the tokens: putTokens writes TOKENS only while META allows it.
    const berbixCaller = ['GetItem', 'PutItem', 'UpdateItem', 'ConditionCheckItem'] as const;
    const everyUpload = `${UPLOADS_PREFIX}*`;
    // Keys are uploads/<verificationId>/<step>/<attempt>-<nonce>.<ext>: writers get their step only.
    const objects = (step: string) => `${UPLOADS_PREFIX}*/${step}/*`;
    const listAndDelete = { listPrefix: UPLOADS_PREFIX, delete: everyUpload };

    // Every function writes items with a TTL, so every one reads DATA_RETENTION_DAYS.
    const make = (fnId: string, handlerPath: string, extra: Partial<VerificationFunctionProps> = {}) =>
      new VerificationFunction(this, fnId, {
        handlerPath,
        handlersDir,
        logRetention,
        ...extra,
      }).addEnvironments({
        [ENV.dataRetentionDays]: String(dataRetentionDays),
      });
    const berbix = { [ENV.berbixApiUrl]: berbixApiUrl };
    const scopes = { [ENV.clientScope]: clientScope, [ENV.backendScope]: backendScope };
    const sfnTimeout = { timeout: Duration.seconds(60) };
    const contactDetails = { [ENV.sendContactDetails]: String(sendContactDetails) };

    // --- state-machine tasks -------------------------------------------------------------------
    const createTransaction = make('CreateTransactionFn', 'sfn/create-transaction', sfnTimeout)
      .bindTable(table, { items: [...berbixCaller, 'DeleteItem'] })
      .bindSecret(secret)
      .addEnvironments({ ...berbix, ...contactDetails, [ENV.berbixTemplateKey]: templateKey });
    const awaitUpload = make('AwaitUploadFn', 'sfn/await-upload')
      .bindTable(table, { items: ['GetItem', 'UpdateItem'] })
      .addEnvironments({ [ENV.maxUploadAttempts]: String(maxUploadAttempts) });
    const submitUpload = make('SubmitUploadFn', 'sfn/submit-upload', {
      // Reads up to 20 MiB from S3 and sends it base64-encoded: memory and time for that.
      memorySize: 1024,
      timeout: Duration.seconds(120),
    })
      .bindTable(table, { items: berbixCaller })
      .bindBucket(bucket, { get: everyUpload, delete: everyUpload })
      .bindSecret(secret)
      .addEnvironments(berbix);
    const fetchResult = make('FetchResultFn', 'sfn/fetch-result', sfnTimeout)
      .bindTable(table, { items: berbixCaller })
      .bindSecret(secret)
      .addEnvironments(berbix);
    // The account's default bus: customers subscribe with rules, no extra bus to manage.
    const bus = EventBus.fromEventBusName(this, 'DefaultBus', 'default');
    bus.grantPutEventsTo(fetchResult);
    fetchResult.addEnvironment(ENV.eventBusName, bus.eventBusName);
    const deleteImages = make('DeleteImagesFn', 'sfn/delete-images', sfnTimeout)
      .bindTable(table, { items: ['UpdateItem'] })
      .bindBucket(bucket, listAndDelete);
    const closeVerification = make('CloseVerificationFn', 'sfn/close-verification', sfnTimeout)
      .bindTable(table, { items: ['GetItem', 'UpdateItem'] })
      .bindBucket(bucket, listAndDelete);

    this.workflow = new VerificationWorkflow(this, 'Workflow', {
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
      logRetention,
    });
    const { stateMachine } = this.workflow;

    // --- the durable deletion of Berbix transactions (DELETE /verifications/{id}) ----------------
    const berbixDeletionRetrySeconds = String(berbixDeletionRetry.toSeconds());
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
        [ENV.berbixDeletionGiveUpSeconds]: String(berbixDeletionGiveUpAfter.toSeconds()),
        // A create still running when its verification is deleted ends within its function's timeout.
        [ENV.berbixCreateWindowSeconds]: String(sfnTimeout.timeout.toSeconds() + 30),
      });
    this.berbixDeletion = new BerbixDeletionWorkflow(this, 'BerbixDeletion', {
      deleteTransaction: deleteBerbixTransaction,
      logRetention,
    });

    // --- S3 upload events ------------------------------------------------------------------------
    this.uploadFailures = new sqs.Queue(this, 'UploadReceivedFailures', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: key,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledge(
      this.uploadFailures,
      'AwsSolutions-SQS3',
      'This queue is itself the failure destination (DLQ) of UploadReceivedFn async invocations.',
    );
    // The failure destination granted by hand: SqsDestination would add GetQueueAttributes,
    // GetQueueUrl and every encrypt action on the key.
    const failures: IDestination = { bind: () => ({ destination: this.uploadFailures.queueArn }) };
    const uploadReceived = make('UploadReceivedFn', 's3/upload-received', {
      onFailure: failures,
      retryAttempts: 2,
      maxEventAge: Duration.hours(6),
    })
      .bindTable(table, { items: ['GetItem', 'UpdateItem'] })
      .bindBucket(bucket, { delete: everyUpload })
      .grantKeyThrough('sqs', key, ['kms:GenerateDataKey', 'kms:Decrypt']);
    uploadReceived.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.uploadFailures.queueArn] }),
    );
    // Only SendTaskSuccess: grantTaskResponse would add SendTaskFailure and SendTaskHeartbeat.
    stateMachine.grant(uploadReceived, 'states:SendTaskSuccess');
    uploadReceived.addEnvironment(ENV.stateMachineArn, stateMachine.stateMachineArn);
    bucket.addEventNotification(EventType.OBJECT_CREATED, new LambdaDestination(uploadReceived), {
      prefix: UPLOADS_PREFIX,
    });
    // CDK's singleton that applies the bucket notification configuration at deploy time.
    const notificationsHandler = this.node.tryFindChild(
      'BucketNotificationsHandler050a0587b7544547bf325f094a3db834',
    );
    if (notificationsHandler) {
      acknowledge(
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
        [ENV.stateMachineArn]: stateMachine.stateMachineArn,
        [ENV.createWaitMs]: String(createWait.toMilliseconds()),
        [ENV.abandonAfterSeconds]: String(abandonAfterSeconds),
        [ENV.imageRetentionSeconds]: String(imageRetention.toSeconds()),
      });
    stateMachine.grantStartExecution(createVerification);
    const getVerification = make('GetVerificationFn', 'api/get-verification')
      .bindTable(table, reads)
      .addEnvironments(scopes);
    const createUpload = make('CreateUploadFn', 'api/create-upload')
      .bindTable(table, reads)
      .bindBucket(bucket, { put: objects('document_*') })
      .addEnvironments({
        ...scopes,
        [ENV.uploadUrlTtlSeconds]: String(uploadUrlTtl.toSeconds()),
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
        [ENV.berbixDeletionStateMachineArn]: this.berbixDeletion.stateMachine.stateMachineArn,
        [ENV.berbixDeletionRetrySeconds]: berbixDeletionRetrySeconds,
      });
    stateMachine.grantExecution(deleteVerification, 'states:StopExecution');
    this.berbixDeletion.stateMachine.grantStartExecution(deleteVerification);
    acknowledge(
      deleteVerification.executionRole,
      `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${this.getLogicalId(stateMachine.node.defaultChild as never)}"}]}]}:*]`,
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

    this.api = new VerificationApi(this, 'Api', {
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

    this.alarms = new VerificationAlarms(this, 'Alarms', {
      uploadFailures: this.uploadFailures,
      stateMachine,
      berbixDeletions: this.berbixDeletion.stateMachine,
      httpApi: this.api.httpApi,
      alarmActions: props.alarmActions,
    });

    new CfnOutput(this, 'ApiUrl', {
      value: this.api.stage.url,
      description: 'Base URL of the verifications API',
    });
    new CfnOutput(this, 'UploadsBucketName', { value: bucket.bucketName });
    new CfnOutput(this, 'TableName', { value: table.tableName });
    new CfnOutput(this, 'StateMachineArn', { value: stateMachine.stateMachineArn });
    new CfnOutput(this, 'BerbixDeletionStateMachineArn', {
      value: this.berbixDeletion.stateMachine.stateMachineArn,
      description: 'One execution per deleted verification whose Berbix transaction is being deleted',
    });
    new CfnOutput(this, 'BerbixSecretArn', {
      value: secret.secretArn,
      description: 'Put {"apiSecret","webhookSecret"} here after deploy',
    });
    new CfnOutput(this, 'UploadFailuresQueueUrl', { value: this.uploadFailures.queueUrl });
  }
}
