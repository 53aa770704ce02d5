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
import type { FunnelMetrics } from './funnel-metrics';

export interface VerificationAlarmsProps {
  /** The DLQ of S3-event invocations that failed after Lambda's retries. */
  readonly uploadFailures: IQueue;
  /** The verification state machine. */
  readonly stateMachine: IStateMachine;
  /** The state machine that deletes deleted verifications' Berbix transactions. */
  readonly berbixDeletions: IStateMachine;
  /** The verifications HTTP API. */
  readonly httpApi: IHttpApi;
  /** The instance's funnel and Berbix metrics. */
  readonly metrics: FunnelMetrics;
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
  /**
   * Percent of Berbix requests failing (no answer, 5xx, 429) over two 5-minute periods running,
   * each with at least `berbixErrorMinRequests` requests, that raises the alarm.
   * @default 25
   */
  readonly berbixErrorRateThreshold?: number;
  /** @default 10 */
  readonly berbixErrorMinRequests?: number;
  /**
   * Percent of the verifications that ended within an hour (at least `abandonmentMinEnded`) that
   * were abandoned, which raises the alarm.
   * @default 50
   */
  readonly abandonmentRateThreshold?: number;
  /** @default 10 */
  readonly abandonmentMinEnded?: number;
}

/**
 * What an operator must hear about: an upload that resumed nothing and fell into the DLQ, a
 * verification that ended `failed`, a Berbix transaction that could not be deleted, the API
 * answering 5xx (never a caller's mistake), Berbix failing a share of its requests, and a spike of
 * abandoned verifications (users giving up: a broken capture screen, a confusing retake).
 */
export class VerificationAlarms extends Construct {
  public readonly uploadFailures: Alarm;
  public readonly failedExecutions: Alarm;
  public readonly failedBerbixDeletions: Alarm;
  public readonly serverErrors: Alarm;
  public readonly berbixErrors: Alarm;
  public readonly abandonmentSpike: Alarm;

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
    const errorRate = props.berbixErrorRateThreshold ?? 25;
    const minRequests = props.berbixErrorMinRequests ?? 10;
    this.berbixErrors = this.alarm(
      'BerbixErrorRate',
      props.metrics.berbixErrorRate({ period, minRequests }),
      errorRate,
      `Berbix failed (no answer, 5xx or 429) at least ${errorRate} % of at least ${minRequests} requests, two 5-minute periods running`,
      props,
      2,
    );
    const abandoned = props.abandonmentRateThreshold ?? 50;
    const minEnded = props.abandonmentMinEnded ?? 10;
    this.abandonmentSpike = this.alarm(
      'AbandonmentSpike',
      props.metrics.abandonmentRate({ period: Duration.hours(1), minEnded }),
      abandoned,
      `At least ${abandoned} % of the verifications that ended in an hour (at least ${minEnded}) were abandoned`,
      props,
    );
  }

  private alarm(
    id: string,
    metric: IMetric,
    threshold: number,
    description: string,
    props: VerificationAlarmsProps,
    evaluationPeriods = 1,
  ): Alarm {
    const alarm = new Alarm(this, id, {
      metric,
      threshold,
      evaluationPeriods,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
      alarmDescription: description,
    });
    for (const action of props.alarmActions ?? []) alarm.addAlarmAction(action);
    return alarm;
  }
}
