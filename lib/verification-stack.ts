import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { BerbixVerification, type BerbixVerificationProps } from './berbix-verification';

export interface VerificationStackProps extends StackProps, BerbixVerificationProps {}

/**
 * This repository's own deployment (`bin/app.ts`): one {@link BerbixVerification} and the outputs
 * an operator needs. The construct's id is `Default`, which CDK leaves out of logical ids, so the
 * resources keep the logical ids they had when the stack built them itself.
 */
export class VerificationStack extends Stack {
  public readonly verification: BerbixVerification;

  constructor(scope: Construct, id: string, props: VerificationStackProps) {
    super(scope, id, props);
    this.verification = new BerbixVerification(this, 'Default', props);
    const v = this.verification;

    new CfnOutput(this, 'ApiUrl', {
      value: v.apiUrl,
      description: 'Base URL of the verifications API',
    });
    new CfnOutput(this, 'UploadsBucketName', { value: v.uploadsBucket.bucketName });
    new CfnOutput(this, 'TableName', { value: v.table.tableName });
    new CfnOutput(this, 'StateMachineArn', { value: v.stateMachine.stateMachineArn });
    new CfnOutput(this, 'BerbixDeletionStateMachineArn', {
      value: v.berbixDeletionStateMachine.stateMachineArn,
      description: 'One execution per deleted verification whose Berbix transaction is being deleted',
    });
    new CfnOutput(this, 'BerbixSecretArn', {
      value: v.berbixSecret.secretArn,
      description: 'Put {"apiSecret","webhookSecret"} here after deploy',
    });
    new CfnOutput(this, 'UploadFailuresQueueUrl', { value: v.uploadFailuresQueue.queueUrl });
    new CfnOutput(this, 'DashboardName', {
      value: v.dashboard.dashboardName,
      description: 'The CloudWatch dashboard: funnel, issue mix, Berbix latency and error rate, alarms',
    });
  }
}
