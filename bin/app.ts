#!/usr/bin/env -S npx tsx
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { stackPropsFromContext } from '../lib/context';
import { VerificationStack } from '../lib/verification-stack';

const app = new App();
const { stackName, ...props } = stackPropsFromContext((key) => app.node.tryGetContext(key));
new VerificationStack(app, stackName, {
  ...props,
  description: 'berbix-serverless: Berbix API-only ID verification pipeline',
});
// cdk-nag 3 runs as a CDK policy-validation plugin: any unacknowledged finding fails the synth.
// Acknowledgments are also written into the template's Metadata (cdk_nag), as an audit trail.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { writeSuppressionsToCloudFormation: true }));
