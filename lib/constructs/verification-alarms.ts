import { Duration } from 'aws-cdk-lib';
import type { IHttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  Alarm,
  ComparisonOperator,
  TreatMissingData,
  type IAlarmAction,
  type IMetric,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';

export interface VerificationAlarmsProps {
  /** The DLQ of S3-event invocations that failed after Lambda's retries. */
  readonly uploadFailures: IQueue;
  /** The verification state machine. */
  readonly stateMachine: IStateMachine;
  /** The state machine that deletes deleted verifications' Berbix transactions. */
  readonly berbixDeletions: IStateMachine;
  /** The verifications HTTP API. */
  readonly httpApi: IHttpApi;
  /**
   * Where the alarms notify (an SNS topic action, for instance).
   * @default - none: the alarms show in CloudWatch only
   */
  readonly alarmActions?: readonly IAlarmAction[];
  /**
   * API 5xx answers in five minutes that raise the alarm.
   * @default 5
   */
  readonly serverErrorThreshold?: number;
}

/**
 * What an operator must hear about: an upload that resumed nothing and fell into the DLQ, a
 * verification that ended `failed`, a Berbix transaction that could not be deleted, and the API
 * answering 5xx (never a caller's mistake).
 */
export class VerificationAlarms extends Construct {
  public readonly uploadFailures: Alarm;
  public readonly failedExecutions: Alarm;
  public readonly failedBerbixDeletions: Alarm;
  public readonly serverErrors: Alarm;

  constructor(scope: Construct, id: string, props: VerificationAlarmsProps) {
    super(scope, id);
    const period = Duration.minutes(5);
    this.uploadFailures = this.alarm(
      'UploadFailures',
      props.uploadFailures.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum' }),
      1,
      'S3 upload events that failed after retries are waiting in the DLQ',
      props,
    );
    this.failedExecutions = this.alarm(
      'FailedExecutions',
      props.stateMachine.metricFailed({ period, statistic: 'Sum' }),
      1,
      'A verification execution failed (see its failure_reason)',
      props,
    );
    this.failedBerbixDeletions = this.alarm(
      'FailedBerbixDeletions',
      props.berbixDeletions.metricFailed({ period, statistic: 'Sum' }),
      1,
      'A deleted verification may still have its Berbix transaction (see its berbix_deletion_reason)',
      props,
    );
    this.serverErrors = this.alarm(
      'ServerErrors',
      props.httpApi.metricServerError({ period, statistic: 'Sum' }),
      props.serverErrorThreshold ?? 5,
      'The verifications API answered 5xx',
      props,
    );
  }

  private alarm(
    id: string,
    metric: IMetric,
    threshold: number,
    description: string,
    props: VerificationAlarmsProps,
  ): Alarm {
    const alarm = new Alarm(this, id, {
      metric,
      threshold,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
      alarmDescription: description,
    });
    for (const action of props.alarmActions ?? []) alarm.addAlarmAction(action);
    return alarm;
  }
}
