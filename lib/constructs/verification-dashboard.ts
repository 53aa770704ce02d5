import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import type { FunnelMetrics } from './funnel-metrics';

export interface VerificationDashboardProps {
  /** The instance's metrics. */
  readonly metrics: FunnelMetrics;
  /** The alarms shown at the bottom, with their state. */
  readonly alarms: readonly cloudwatch.IAlarm[];
  /** Shown in the title: which instance this is. */
  readonly serviceName: string;
}

/**
 * One CloudWatch dashboard per instance: the funnel over the dashboard's time range, verifications
 * over time with their outcomes, the issue mix and retakes, Berbix's latency and error rate, and
 * the alarms. Breakdowns are CloudWatch searches, so every issue code, action, reason and call
 * that occurs shows up without being listed here.
 */
export class VerificationDashboard extends Construct {
  public readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: VerificationDashboardProps) {
    super(scope, id);
    const { metrics: m } = props;
    const side = (step: string, label: string) =>
      m.metric('stepsAttempted', { dimensionsMap: { step }, label });
    const wide = { width: 12, height: 6 };

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.days(1),
      widgets: [
        [
          new cloudwatch.TextWidget({
            markdown: `# Berbix verifications: ${props.serviceName}\nThe funnel and Berbix metrics of this instance (docs/operations.md, "Metrics"), then its alarms.`,
            width: 24,
            height: 2,
          }),
        ],
        [
          new cloudwatch.SingleValueWidget({
            title: 'Funnel over the time range',
            metrics: [
              m.metric('verificationsStarted', { label: 'Started' }),
              side('document_front', 'Fronts submitted'),
              side('document_back', 'Backs submitted'),
              side('id_scan', 'Barcode scans submitted'),
              m.metric('retakes', { label: 'Retakes' }),
              m.metric('verificationsCompleted', { label: 'Completed' }),
              m.metric('verificationsFailed', { label: 'Failed' }),
              m.metric('verificationsAbandoned', { label: 'Abandoned' }),
              m.metric('verificationsDeleted', { label: 'Deleted' }),
            ],
            setPeriodToTimeRange: true,
            width: 24,
            height: 4,
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Verifications',
            left: [
              m.metric('verificationsStarted', { label: 'Started' }),
              m.metric('verificationsCompleted', { label: 'Completed' }),
              m.metric('verificationsFailed', { label: 'Failed' }),
              m.metric('verificationsAbandoned', { label: 'Abandoned' }),
            ],
            ...wide,
          }),
          new cloudwatch.GraphWidget({
            title: 'Outcomes: completed by action, failed by reason',
            left: [m.breakdown('verificationsCompleted', 'action')],
            right: [m.breakdown('verificationsFailed', 'reason')],
            ...wide,
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Issue mix',
            left: [m.breakdown('issuesReturned', 'issue')],
            stacked: true,
            ...wide,
          }),
          new cloudwatch.GraphWidget({
            title: 'Uploads submitted and retakes, by side',
            left: [m.breakdown('stepsAttempted', 'step')],
            right: [m.breakdown('retakes', 'step')],
            ...wide,
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Berbix latency by call (p90, ms)',
            left: [m.breakdown('berbixLatency', 'call', { statistic: 'p90' })],
            ...wide,
          }),
          new cloudwatch.GraphWidget({
            title: 'Berbix requests and error rate',
            left: [
              m.metric('berbixCalls', { label: 'Requests' }),
              m.metric('berbixErrors', { label: 'Errors' }),
            ],
            right: [m.berbixErrorRate()],
            rightYAxis: { min: 0, max: 100, label: '%', showUnits: false },
            ...wide,
          }),
        ],
        [
          new cloudwatch.AlarmStatusWidget({
            title: 'Alarms',
            alarms: [...props.alarms],
            width: 24,
            height: 3,
          }),
        ],
      ],
    });
  }
}
