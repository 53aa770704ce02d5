import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { KycStack } from '../lib/kyc-stack';

const app = new App();
new KycStack(app, 'Kyc', {
  templateKey: app.node.tryGetContext('templateKey') ?? 'tpk_replace_me',
  jwtIssuer: app.node.tryGetContext('jwtIssuer') ?? 'https://login.example.com',
  jwtAudience: app.node.tryGetContext('jwtAudience') ?? 'kyc',
  webAppOrigin: app.node.tryGetContext('webAppOrigin') ?? 'https://app.example.com',
});
// cdk-nag AwsSolutions: the construct passes it; so should the rest of your stack.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
