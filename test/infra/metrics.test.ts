import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { IConstruct } from 'constructs';
import { BerbixVerification, type BerbixVerificationProps } from '../../lib/berbix-verification';
import { logicalIdOf } from '../../lib/constructs/verification-function';
import { METRICS } from '../../lambdas/contract';

type Json = Record<string, unknown>;

const REQUIRED: BerbixVerificationProps = {
  templateKey: 'tpk_test',
  jwtIssuer: 'https://issuer.example.com',
  jwtAudience: ['kyc'],
};

const newStack = () =>
  new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'KycStack', {
    env: { account: '111111111111', region: 'eu-west-1' },
  });

/** A metric as the stack renders it (what an alarm or a graph would get). */
const rendered = (stack: Stack, metric: cloudwatch.IMetric) =>
  stack.resolve(metric.toMetricConfig().metricStat) as Json & {
    dimensions?: { name: string; value: unknown }[];
  };

const envOf = (template: Template, fn: IConstruct) =>
  template.toJSON().Resources[logicalIdOf(fn)].Properties.Environment.Variables as Json;

describe('the construct’s metric methods', () => {
  const stack = newStack();
  const v = new BerbixVerification(stack, 'IdVerification', REQUIRED);

  it('return each funnel and Berbix metric of the instance: its namespace, name and service, a 5-minute Sum', () => {
    const methods: [() => cloudwatch.Metric, string][] = [
      [() => v.metricVerificationsStarted(), METRICS.verificationsStarted.name],
      [() => v.metricStepsAttempted(), METRICS.stepsAttempted.name],
      [() => v.metricIssuesReturned(), METRICS.issuesReturned.name],
      [() => v.metricRetakes(), METRICS.retakes.name],
      [() => v.metricVerificationsCompleted(), METRICS.verificationsCompleted.name],
      [() => v.metricVerificationsFailed(), METRICS.verificationsFailed.name],
      [() => v.metricVerificationsAbandoned(), METRICS.verificationsAbandoned.name],
      [() => v.metricVerificationsDeleted(), METRICS.verificationsDeleted.name],
      [() => v.metricBerbixCalls(), METRICS.berbixCalls.name],
      [() => v.metricBerbixErrors(), METRICS.berbixErrors.name],
    ];
    for (const [method, name] of methods) {
      const metric = method();
      expect(metric).toBeInstanceOf(cloudwatch.Metric);
      expect({ name, config: rendered(stack, metric) }).toEqual({
        name,
        config: expect.objectContaining({
          namespace: 'BerbixServerless',
          metricName: name,
          dimensions: [{ name: 'service', value: 'KycStack-IdVerification' }],
          statistic: 'Sum',
          period: Duration.minutes(5),
        }),
      });
    }
    expect(rendered(stack, v.metricBerbixLatency())).toMatchObject({
      metricName: 'BerbixLatency',
      statistic: 'Average',
    });
  });

  it('take MetricOptions: a statistic, a period, a label, and dimensions that narrow a breakdown but never the service', () => {
    const failed = v.metricVerificationsFailed({
      dimensionsMap: { reason: 'berbix_server_503', service: 'someone-else' },
      period: Duration.hours(1),
      label: 'Berbix down',
    });
    expect(rendered(stack, failed)).toMatchObject({
      period: Duration.hours(1),
      dimensions: [
        { name: 'reason', value: 'berbix_server_503' },
        { name: 'service', value: 'KycStack-IdVerification' },
      ],
    });
    expect(failed.label).toBe('Berbix down');
    expect(
      rendered(stack, v.metricBerbixLatency({ statistic: 'p90', dimensionsMap: { call: 'uploadImages' } })),
    ).toMatchObject({
      statistic: 'p90',
      dimensions: [
        { name: 'call', value: 'uploadImages' },
        { name: 'service', value: 'KycStack-IdVerification' },
      ],
    });
  });

  it('give the Berbix error rate as a percentage of the requests', () => {
    const rate = v.metricBerbixErrorRate();
    expect(rate).toBeInstanceOf(cloudwatch.MathExpression);
    expect(rate.expression).toBe('IF(calls >= 1, 100 * errors / calls, 0)');
    expect(Object.keys(rate.usingMetrics).sort()).toEqual(['calls', 'errors']);
  });

  it('use the namespace and the service name given as props, and the functions write with the same', () => {
    const s = newStack();
    const custom = new BerbixVerification(s, 'Kyc', {
      ...REQUIRED,
      metricsNamespace: 'Acme/Kyc',
      serviceName: 'kyc-eu',
    });
    expect(rendered(s, custom.metricRetakes())).toMatchObject({
      namespace: 'Acme/Kyc',
      dimensions: [{ name: 'service', value: 'kyc-eu' }],
    });
    const template = Template.fromStack(s);
    for (const fn of Object.values(custom.functions))
      expect(envOf(template, fn).POWERTOOLS_SERVICE_NAME).toBe('kyc-eu');
    expect(custom.metricsNamespace).toBe('Acme/Kyc');
    expect(custom.serviceName).toBe('kyc-eu');
  });
});

describe('two instances in one stack', () => {
  it('write their metrics under service names of their own by default', () => {
    const stack = newStack();
    const europe = new BerbixVerification(stack, 'KycEurope', REQUIRED);
    const america = new BerbixVerification(stack, 'KycAmerica', REQUIRED);
    expect([europe.serviceName, america.serviceName]).toEqual(['KycStack-KycEurope', 'KycStack-KycAmerica']);
    expect(rendered(stack, europe.metricVerificationsStarted()).dimensions).toEqual([
      { name: 'service', value: 'KycStack-KycEurope' },
    ]);
    const template = Template.fromStack(stack);
    expect(envOf(template, america.functions.SubmitUploadFn).POWERTOOLS_SERVICE_NAME).toBe(
      'KycStack-KycAmerica',
    );
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 2);
  });
});

describe('the functions’ metrics settings', () => {
  const stack = newStack();
  const v = new BerbixVerification(stack, 'Kyc', { ...REQUIRED, berbixSecretMaxAge: Duration.minutes(2) });
  const template = Template.fromStack(stack);

  it('give the namespace to exactly the functions that report funnel events or Berbix requests', () => {
    const withNamespace = Object.entries(v.functions)
      .filter(([, fn]) => 'POWERTOOLS_METRICS_NAMESPACE' in envOf(template, fn))
      .map(([id]) => id)
      .sort();
    expect(withNamespace).toEqual([
      'BerbixWebhookFn',
      'CloseVerificationFn',
      'CreateTransactionFn',
      'CreateVerificationFn',
      'DeleteBerbixTransactionFn',
      'DeleteVerificationFn',
      'FetchResultFn',
      'SubmitUploadFn',
    ]);
    for (const id of withNamespace)
      expect(envOf(template, v.functions[id as keyof typeof v.functions]).POWERTOOLS_METRICS_NAMESPACE).toBe(
        'BerbixServerless',
      );
  });

  it('keep the Berbix secret for berbixSecretMaxAge in every function that reads it', () => {
    for (const [id, fn] of Object.entries(v.functions)) {
      const env = envOf(template, fn);
      if (!('BERBIX_SECRET_ARN' in env)) continue;
      expect({ id, maxAge: env.BERBIX_SECRET_MAX_AGE_SECONDS }).toEqual({ id, maxAge: '120' });
    }
    const defaults = Template.fromStack(
      (() => {
        const s = newStack();
        new BerbixVerification(s, 'Kyc', REQUIRED);
        return s;
      })(),
    );
    expect(
      JSON.stringify(defaults.toJSON())
        .match(/"BERBIX_SECRET_MAX_AGE_SECONDS":"(\d+)"/g)
        ?.every((m) => m.endsWith('"300"')),
    ).toBe(true);
  });
});

describe('the two new alarms', () => {
  const stack = newStack();
  const topic = new sns.Topic(stack, 'Pager', { enforceSSL: true });
  const v = new BerbixVerification(stack, 'Kyc', { ...REQUIRED, alarmActions: [new SnsAction(topic)] });
  const template = Template.fromStack(stack);
  const alarms = template.findResources('AWS::CloudWatch::Alarm');
  const alarm = (id: string) =>
    Object.entries(alarms).find(([logicalId]) => logicalId.includes(id))![1].Properties as Json;
  const stat = (metrics: Json[], id: string) =>
    metrics.find((m) => m.Id === id)!.MetricStat as { Metric: Json; Stat: string; Period: number };

  it('watch the Berbix error rate: at least 25 % of at least 10 requests, two 5-minute periods running', () => {
    const a = alarm('BerbixErrorRate');
    expect(a).toMatchObject({
      Threshold: 25,
      EvaluationPeriods: 2,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: logicalIdOf(topic) }],
    });
    const metrics = a.Metrics as Json[];
    expect(metrics.find((m) => m.Expression)).toMatchObject({
      Expression: 'IF(calls >= 10, 100 * errors / calls, 0)',
      ReturnData: true,
    });
    for (const [id, name] of [
      ['calls', 'BerbixCalls'],
      ['errors', 'BerbixErrors'],
    ] as const) {
      expect(stat(metrics, id)).toEqual({
        Metric: {
          Namespace: 'BerbixServerless',
          MetricName: name,
          Dimensions: [{ Name: 'service', Value: 'KycStack-Kyc' }],
        },
        Stat: 'Sum',
        Period: 300,
      });
    }
  });

  it('watch an abandonment spike: half of at least 10 verifications that ended within an hour abandoned', () => {
    const a = alarm('AbandonmentSpike');
    expect(a).toMatchObject({
      Threshold: 50,
      EvaluationPeriods: 1,
      AlarmActions: [{ Ref: logicalIdOf(topic) }],
    });
    const metrics = a.Metrics as Json[];
    expect(metrics.find((m) => m.Expression)?.Expression).toBe(
      'IF(completed + failed + abandoned >= 10, 100 * abandoned / (completed + failed + abandoned), 0)',
    );
    expect(
      ['completed', 'failed', 'abandoned'].map((id) => [
        stat(metrics, id).Metric.MetricName,
        stat(metrics, id).Period,
      ]),
    ).toEqual([
      ['VerificationsCompleted', 3600],
      ['VerificationsFailed', 3600],
      ['VerificationsAbandoned', 3600],
    ]);
  });

  it('join the existing four in the alarms the construct exposes', () => {
    expect(v.alarms).toHaveLength(6);
    expect(Object.keys(alarms)).toHaveLength(6);
  });
});

describe('the dashboard', () => {
  const stack = newStack();
  const v = new BerbixVerification(stack, 'Kyc', REQUIRED);
  const template = Template.fromStack(stack);
  const dashboards = template.findResources('AWS::CloudWatch::Dashboard');
  /** The dashboard body with its references left as `${logicalId}` placeholders. */
  const body = (() => {
    const raw = Object.values(dashboards)[0]!.Properties.DashboardBody as
      string | { 'Fn::Join': [string, unknown[]] };
    const text =
      typeof raw === 'string'
        ? raw
        : raw['Fn::Join'][1]
            .map((part) => (typeof part === 'string' ? part : `\${${JSON.stringify(part)}}`))
            .join('');
    return JSON.parse(text.replace(/\$\{[^}]*\}+/g, 'REF')) as {
      widgets: { type: string; properties: Json }[];
    };
  })();
  const titled = (title: string) => body.widgets.find((w) => w.properties.title === title)!.properties;

  it('is one per instance, exposed by the construct', () => {
    expect(Object.keys(dashboards)).toHaveLength(1);
    expect(logicalIdOf(v.dashboard)).toBe(Object.keys(dashboards)[0]);
  });

  it('shows the funnel over the time range: started, each side submitted, retakes and every outcome', () => {
    const funnel = titled('Funnel over the time range');
    expect(funnel.setPeriodToTimeRange).toBe(true);
    const rows = funnel.metrics as unknown[][];
    expect(rows.map((r) => [r[1], (r.at(-1) as Json).label])).toEqual([
      ['VerificationsStarted', 'Started'],
      ['StepsAttempted', 'Fronts submitted'],
      ['StepsAttempted', 'Backs submitted'],
      ['StepsAttempted', 'Barcode scans submitted'],
      ['Retakes', 'Retakes'],
      ['VerificationsCompleted', 'Completed'],
      ['VerificationsFailed', 'Failed'],
      ['VerificationsAbandoned', 'Abandoned'],
      ['VerificationsDeleted', 'Deleted'],
    ]);
    expect(rows.every((r) => r[0] === 'BerbixServerless' && r.includes('service'))).toBe(true);
  });

  it('shows the issue mix, outcomes and Berbix latency by searches of this instance’s metrics', () => {
    const expressions = (title: string) =>
      (titled(title).metrics as unknown[][]).map((r) => (r[0] as Json).expression as string);
    expect(expressions('Issue mix')).toEqual([
      `SEARCH('{"BerbixServerless",service,issue} MetricName="IssuesReturned" service="KycStack-Kyc"', 'Sum', 300)`,
    ]);
    expect(expressions('Outcomes: completed by action, failed by reason')).toEqual([
      `SEARCH('{"BerbixServerless",service,action} MetricName="VerificationsCompleted" service="KycStack-Kyc"', 'Sum', 300)`,
      `SEARCH('{"BerbixServerless",service,reason} MetricName="VerificationsFailed" service="KycStack-Kyc"', 'Sum', 300)`,
    ]);
    expect(expressions('Berbix latency by call (p90, ms)')).toEqual([
      `SEARCH('{"BerbixServerless",service,call} MetricName="BerbixLatency" service="KycStack-Kyc"', 'p90', 300)`,
    ]);
  });

  it('shows the Berbix error rate beside the requests and errors', () => {
    const rows = titled('Berbix requests and error rate').metrics as unknown[][];
    expect(rows.map((r) => (r[0] as Json).expression ?? r[1])).toEqual([
      'BerbixCalls',
      'BerbixErrors',
      // The expression uses the two metrics shown beside it.
      'IF(calls >= 1, 100 * errors / calls, 0)',
    ]);
  });

  it('shows every alarm of the instance with its state', () => {
    const alarms = body.widgets.find((w) => w.type === 'alarm')!.properties.alarms as unknown[];
    expect(alarms).toHaveLength(6);
  });
});

describe('validation of the metrics props', () => {
  const build = (props: Partial<BerbixVerificationProps>) => () =>
    new BerbixVerification(newStack(), 'Kyc', { ...REQUIRED, ...props });

  it('names the offending prop', () => {
    expect(build({ metricsNamespace: 'AWS/Lambda' })).toThrow(/metricsNamespace/);
    expect(build({ metricsNamespace: '' })).toThrow(/metricsNamespace/);
    expect(build({ serviceName: 'two words' })).toThrow(/serviceName/);
    expect(build({ serviceName: 'a"b' })).toThrow(/serviceName/);
    expect(build({ berbixSecretMaxAge: Duration.seconds(0) })).toThrow(/berbixSecretMaxAge/);
    expect(build({ berbixSecretMaxAge: Duration.days(2) })).toThrow(/berbixSecretMaxAge/);
    expect(build({ berbixSecretMaxAge: Duration.millis(1500) })).toThrow(/berbixSecretMaxAge/);
    expect(build({ metricsNamespace: 'Acme/Kyc-1', serviceName: 'kyc.eu_1' })).not.toThrow();
  });
});
