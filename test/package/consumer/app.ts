/**
 * A customer's CDK app, compiled and synthesized by test/package/pack-and-install.test.ts against
 * the packed berbix-serverless: two verification pipelines in one stack of theirs, with their own
 * KMS key and event bus, cdk-nag AwsSolutions on the whole app.
 */
import { writeFileSync } from 'node:fs';
import { App, Stack, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { AwsSolutionsChecks } from 'cdk-nag';
import { BerbixVerification, type BerbixVerificationProps } from 'berbix-serverless';

const app = new App();
const stack = new Stack(app, 'CustomerStack');
const key = new kms.Key(stack, 'CustomerKey', { enableKeyRotation: true });
const bus = new events.EventBus(stack, 'CustomerBus');

const common: Omit<BerbixVerificationProps, 'templateKey'> = {
  jwtIssuer: 'https://login.customer.example',
  jwtAudience: ['kyc'],
  encryptionKey: key,
  eventBus: bus,
};
const europe = new BerbixVerification(stack, 'KycEurope', { ...common, templateKey: 'tpk_europe' });
const america = new BerbixVerification(stack, 'KycAmerica', { ...common, templateKey: 'tpk_america' });
europe.onVerificationCompleted('Completed');
america.onVerificationCompleted('Completed');
const reader = new iam.Role(stack, 'EuropeResultsReader', { assumedBy: new iam.AccountRootPrincipal() });
europe.grantReadResults(reader);

Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

const id = (c: { node: { defaultChild?: unknown } }) => stack.getLogicalId(c.node.defaultChild as never);
const ids = (v: BerbixVerification) => ({
  table: id(v.table),
  bucket: id(v.uploadsBucket),
  stateMachine: id(v.stateMachine),
  berbixDeletionStateMachine: id(v.berbixDeletionStateMachine),
  secret: id(v.berbixSecret),
  queue: id(v.uploadFailuresQueue),
  httpApi: id(v.httpApi),
  functions: Object.fromEntries(Object.entries(v.functions).map(([fnId, fn]) => [fnId, id(fn)])),
});
// What the test needs to tell the two instances apart in the template.
writeFileSync(
  'ids.json',
  JSON.stringify({
    key: id(key),
    bus: id(bus),
    reader: id(reader),
    europe: ids(europe),
    america: ids(america),
  }),
);
app.synth();
