import { CfnOutput, Duration, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { BerbixVerification } from 'berbix-serverless';

export interface KycStackProps extends StackProps {
  /** Your Berbix API-only template key. */
  readonly templateKey: string;
  /** Your identity provider's issuer and the audience of the tokens it gives your apps. */
  readonly jwtIssuer: string;
  readonly jwtAudience: string;
  /** The web app that runs the capture screens (CORS of the API and of the upload bucket). */
  readonly webAppOrigin: string;
}

/**
 * A company's own stack with ID verification in it: their KMS key, event bus and alarm topic,
 * the berbix-serverless construct using them, a queue their onboarding service reads completed
 * verifications from, and that service's role allowed to read the results.
 */
export class KycStack extends Stack {
  public readonly verification: BerbixVerification;

  constructor(scope: Construct, id: string, props: KycStackProps) {
    super(scope, id, props);

    // What the company already has: a key for personal data, a bus, somewhere alarms go.
    const key = new kms.Key(this, 'PersonalDataKey', { enableKeyRotation: true });
    const bus = new events.EventBus(this, 'CustomerEvents');
    const pager = new sns.Topic(this, 'Pager', { masterKey: key, enforceSSL: true });

    this.verification = new BerbixVerification(this, 'IdVerification', {
      templateKey: props.templateKey,
      jwtIssuer: props.jwtIssuer,
      jwtAudience: [props.jwtAudience],
      allowedOrigins: [props.webAppOrigin],
      encryptionKey: key,
      eventBus: bus,
      alarmActions: [new SnsAction(pager)],
      // Keep the images an hour after completion for manual review, the result a week.
      imageRetention: Duration.hours(1),
      dataRetention: Duration.days(7),
    });

    // Completed verifications go to the onboarding service through a queue.
    const deadLetters = new sqs.Queue(this, 'CompletedDeadLetters', {
      encryptionMasterKey: key,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(deadLetters).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is the dead-letter queue of the completed-verifications queue.',
    });
    const completed = new sqs.Queue(this, 'CompletedVerifications', {
      encryptionMasterKey: key,
      enforceSSL: true,
      deadLetterQueue: { queue: deadLetters, maxReceiveCount: 5 },
    });
    this.verification.onVerificationCompleted('ToOnboarding', {
      target: new targets.SqsQueue(completed),
      description: 'Completed ID verifications, for the onboarding service',
    });

    // The onboarding service reads the queue and the cached Berbix results (never the tokens).
    const onboarding = new iam.Role(this, 'OnboardingService', {
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
    });
    completed.grantConsumeMessages(onboarding);
    this.verification.grantReadResults(onboarding);

    // Their own alarm on the funnel: more than 20 rejections in an hour pages someone.
    new cloudwatch.Alarm(this, 'RejectionsSpike', {
      metric: this.verification.metricVerificationsCompleted({
        dimensionsMap: { action: 'reject' },
        period: Duration.hours(1),
      }),
      threshold: 20,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: 'More than 20 ID verifications rejected by Berbix within an hour',
    }).addAlarmAction(new SnsAction(pager));

    new CfnOutput(this, 'VerificationApiUrl', { value: this.verification.apiUrl });
    new CfnOutput(this, 'VerificationDashboard', { value: this.verification.dashboard.dashboardName });
    new CfnOutput(this, 'BerbixSecretArn', {
      value: this.verification.berbixSecret.secretArn,
      description: 'Put {"apiSecret","webhookSecret"} here after the first deploy',
    });
  }
}
