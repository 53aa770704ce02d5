import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { KycStack } from '../../examples/kyc-app/lib/kyc-stack';

let outdir: string;
let stack: KycStack;
let template: Template;

beforeAll(() => {
  outdir = mkdtempSync(path.join(tmpdir(), 'berbix-example-'));
  const app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': [] } });
  stack = new KycStack(app, 'Kyc', {
    templateKey: 'tpk_example',
    jwtIssuer: 'https://login.example.com',
    jwtAudience: 'kyc',
    webAppOrigin: 'https://app.example.com',
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  app.synth();
  template = Template.fromJSON(JSON.parse(readFileSync(path.join(outdir, 'Kyc.template.json'), 'utf8')));
});
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

const id = (c: { node: { defaultChild?: unknown } }) => stack.getLogicalId(c.node.defaultChild as never);

describe('the example app (examples/kyc-app)', () => {
  it('synthesizes with cdk-nag AwsSolutions clean', () => {
    const report = JSON.parse(readFileSync(path.join(outdir, 'validation-report.json'), 'utf8')) as {
      pluginReports: { conclusion: string }[];
    };
    expect(report.pluginReports.filter((p) => p.conclusion !== 'success')).toEqual([]);
  });

  it('uses the company key and bus, and routes completions to its queue', () => {
    template.resourceCountIs('AWS::KMS::Key', 1);
    expect(stack.verification.encryptionKey.node.path).toBe('Kyc/PersonalDataKey');
    template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: { Ref: id(stack.verification.eventBus) },
      Targets: [
        { Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^CompletedVerifications'), 'Arn'] }, Id: 'Target0' },
      ],
    });
  });

  it('adds its own alarm on the funnel metrics of its instance', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'BerbixServerless',
      MetricName: 'VerificationsCompleted',
      Dimensions: [
        { Name: 'action', Value: 'reject' },
        { Name: 'service', Value: 'Kyc-IdVerification' },
      ],
      Period: 3600,
      Statistic: 'Sum',
      Threshold: 20,
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^Pager') }],
    });
  });
});
