import { Duration, RemovalPolicy, Token } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as cxapi from 'aws-cdk-lib/cx-api';
import { Construct } from 'constructs';
import {
  BERBIX_TRANSACTION_ATTRIBUTE,
  BERBIX_TRANSACTION_INDEX,
  TABLE_KEY,
  TTL_ATTRIBUTE,
  UPLOADS_PREFIX,
} from '../../lambdas/contract';
import { acknowledge } from './verification-function';

// The stack builds what the functions read (the prefix, the index): both come from the contract.
export { BERBIX_TRANSACTION_INDEX, UPLOADS_PREFIX };

export interface VerificationStorageProps {
  /**
   * Browser origins allowed to POST presigned uploads to the bucket. Empty means no CORS rule
   * (native apps and servers need none).
   * @default []
   */
  readonly allowedOrigins?: readonly string[];

  /**
   * Safety-net expiry of raw uploads under `uploads/`: the workflow deletes images itself, this
   * catches anything it missed. Whole days only (an S3 lifecycle constraint).
   * @default Duration.days(1)
   */
  readonly rawUploadExpiration?: Duration;

  /**
   * What happens to the table, the buckets and the key when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * A key of your own for the uploads bucket, the table and the generated secret.
   * @default - a new key with rotation on
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * A Berbix secret of your own (`{"apiSecret","webhookSecret"}`).
   * @default - a new secret, encrypted with the key, to be filled after deploy
   */
  readonly berbixSecret?: secretsmanager.ISecret;
}

/**
 * Where verification data lives, all encrypted with one customer-managed KMS key (made here
 * unless one is given): the uploads bucket (with its server-access-log bucket), the verifications
 * table and the Berbix secret (made here unless one is given).
 */
export class VerificationStorage extends Construct {
  public readonly key: kms.IKey;
  public readonly bucket: s3.Bucket;
  public readonly accessLogsBucket: s3.Bucket;
  public readonly table: dynamodb.Table;
  public readonly secret: secretsmanager.ISecret;

  constructor(scope: Construct, id: string, props: VerificationStorageProps = {}) {
    super(scope, id);
    const {
      allowedOrigins = [],
      rawUploadExpiration = Duration.days(1),
      removalPolicy = RemovalPolicy.RETAIN,
    } = props;
    const expiryDays = rawUploadExpiration.toDays({ integral: false });
    if (!Number.isInteger(expiryDays) || expiryDays < 1) {
      throw new Error(
        `rawUploadExpiration must be a whole number of days >= 1, got ${rawUploadExpiration.toHumanString()}`,
      );
    }
    for (const origin of allowedOrigins) {
      // A wildcard would let any site drive uploads with a leaked presigned form.
      if (!Token.isUnresolved(origin) && !/^https?:\/\/[^/*\s]+$/.test(origin))
        throw new Error(`allowedOrigins: not an exact origin: ${origin}`);
    }

    // Grant S3 log delivery through a bucket policy, not the legacy LogDeliveryWrite ACL, so both
    // buckets can disable ACLs entirely (the flag is scoped to this construct, not the app).
    this.node.setContext(cxapi.S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY, true);

    this.key =
      props.encryptionKey ??
      new kms.Key(this, 'Key', {
        description: 'berbix-serverless: encrypts uploads, verifications, the Berbix secret and the DLQ',
        enableKeyRotation: true,
        removalPolicy,
      });

    this.accessLogsBucket = new s3.Bucket(this, 'AccessLogs', {
      // S3 server access logs can only be delivered to SSE-S3 buckets.
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ id: 'ExpireAccessLogs', expiration: Duration.days(90) }],
      removalPolicy,
    });

    this.bucket = new s3.Bucket(this, 'Uploads', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.key,
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: 'uploads-bucket/',
      lifecycleRules: [
        {
          id: 'ExpireRawUploads',
          prefix: UPLOADS_PREFIX,
          expiration: rawUploadExpiration,
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
      cors:
        allowedOrigins.length > 0
          ? [{ allowedOrigins: [...allowedOrigins], allowedMethods: [s3.HttpMethods.POST], maxAge: 3000 }]
          : undefined,
      removalPolicy,
    });

    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: TABLE_KEY.partition, type: dynamodb.AttributeType.STRING },
      sortKey: { name: TABLE_KEY.sort, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: this.key,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: TTL_ATTRIBUTE,
      removalPolicy,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: BERBIX_TRANSACTION_INDEX,
      partitionKey: { name: BERBIX_TRANSACTION_ATTRIBUTE, type: dynamodb.AttributeType.STRING },
      // Keys only: the webhook needs the verification's pk, not its (personal) attributes.
      projectionType: dynamodb.ProjectionType.KEYS_ONLY,
    });

    this.secret = props.berbixSecret ?? this.newSecret(removalPolicy);
  }

  private newSecret(removalPolicy: RemovalPolicy): secretsmanager.Secret {
    const secret = new secretsmanager.Secret(this, 'BerbixSecret', {
      description:
        'Berbix credentials, JSON {"apiSecret","webhookSecret"}. Set both from the Berbix dashboard after deploy ' +
        '(aws secretsmanager put-secret-value); the generated webhookSecret is only a placeholder.',
      encryptionKey: this.key,
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ apiSecret: '' }),
        generateStringKey: 'webhookSecret',
        excludePunctuation: true,
        passwordLength: 40,
      },
      removalPolicy,
    });
    acknowledge(
      secret,
      'AwsSolutions-SMG4',
      'Berbix issues the API and webhook secrets in its dashboard; they cannot be rotated by a Lambda, only by the operator.',
    );
    return secret;
  }
}
