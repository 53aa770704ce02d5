import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { METRIC_DIMENSIONS, METRICS, type MetricKey } from '../../lambdas/contract';

/** The metrics of one instance: its namespace and its `service` dimension. */
export interface FunnelMetricsProps {
  readonly namespace: string;
  readonly serviceName: string;
}

/**
 * The funnel and Berbix metrics the functions of one instance write (lambdas/contract/metrics.ts),
 * as CloudWatch metrics, math expressions and searches: what the construct's `metric…()` methods,
 * its dashboard and its alarms are made of. Not a construct: it creates nothing.
 */
export class FunnelMetrics {
  constructor(private readonly props: FunnelMetricsProps) {}

  /**
   * One metric of the instance, summed over 5 minutes unless `options` say otherwise. Without
   * dimensions besides `service` it is the instance's total; `dimensionsMap` narrows it to one
   * value of the metric's breakdown (e.g. `{ step: 'document_back' }`).
   */
  metric(key: MetricKey, options: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return new cloudwatch.Metric({
      statistic: METRICS[key].unit === 'Milliseconds' ? cloudwatch.Stats.AVERAGE : cloudwatch.Stats.SUM,
      period: Duration.minutes(5),
      ...options,
      namespace: this.props.namespace,
      metricName: METRICS[key].name,
      dimensionsMap: { ...options.dimensionsMap, [METRIC_DIMENSIONS.service]: this.props.serviceName },
    });
  }

  /**
   * The share of Berbix requests that got no answer, a 5xx or a 429, in percent (0 while there were
   * fewer than `minRequests`, so a single failure of a quiet period is no spike).
   */
  berbixErrorRate(options: { period?: Duration; minRequests?: number; label?: string } = {}) {
    const period = options.period ?? Duration.minutes(5);
    const min = options.minRequests ?? 1;
    return new cloudwatch.MathExpression({
      expression: `IF(calls >= ${min}, 100 * errors / calls, 0)`,
      usingMetrics: { calls: this.metric('berbixCalls'), errors: this.metric('berbixErrors') },
      period,
      label: options.label ?? 'Berbix error rate (%)',
    });
  }

  /**
   * The share of the verifications that ended (completed, failed or abandoned) that were
   * abandoned, in percent (0 while fewer than `minEnded` ended).
   */
  abandonmentRate(options: { period?: Duration; minEnded?: number; label?: string } = {}) {
    const period = options.period ?? Duration.hours(1);
    const min = options.minEnded ?? 1;
    return new cloudwatch.MathExpression({
      expression: `IF(completed + failed + abandoned >= ${min}, 100 * abandoned / (completed + failed + abandoned), 0)`,
      usingMetrics: {
        completed: this.metric('verificationsCompleted'),
        failed: this.metric('verificationsFailed'),
        abandoned: this.metric('verificationsAbandoned'),
      },
      period,
      label: options.label ?? 'Abandoned among ended (%)',
    });
  }

  /**
   * One line per value of a metric's breakdown (every issue code, every failure reason…), found by
   * a CloudWatch search, so values nobody listed in advance show too.
   */
  breakdown(
    key: MetricKey,
    dimension: 'step' | 'issue' | 'action' | 'reason' | 'call',
    options: { statistic?: string; period?: Duration; label?: string } = {},
  ): cloudwatch.MathExpression {
    const { namespace, serviceName } = this.props;
    const period = options.period ?? Duration.minutes(5);
    const statistic = options.statistic ?? (METRICS[key].unit === 'Milliseconds' ? 'p90' : 'Sum');
    const schema = `{"${namespace}",${METRIC_DIMENSIONS.service},${dimension}}`;
    const filter = `MetricName="${METRICS[key].name}" ${METRIC_DIMENSIONS.service}="${serviceName}"`;
    return new cloudwatch.MathExpression({
      expression: `SEARCH('${schema} ${filter}', '${statistic}', ${period.toSeconds()})`,
      usingMetrics: {},
      period,
      label: options.label ?? '',
    });
  }
}
