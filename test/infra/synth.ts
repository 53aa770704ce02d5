import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { stackPropsFromContext } from '../../lib/context';
import { VerificationStack, type VerificationStackProps } from '../../lib/verification-stack';

/** Function construct id → handler entry under the handlers folder, as docs/architecture.md lists them. */
export const HANDLER_OF: Readonly<Record<string, string>> = {
  CreateVerificationFn: 'api/create-verification',
  GetVerificationFn: 'api/get-verification',
  CreateUploadFn: 'api/create-upload',
  ReuseFrontFn: 'api/reuse-front',
  SubmitIdScanFn: 'api/submit-id-scan',
  GetResultFn: 'api/get-result',
  DeleteVerificationFn: 'api/delete-verification',
  BerbixWebhookFn: 'api/berbix-webhook',
  CreateTransactionFn: 'sfn/create-transaction',
  AwaitUploadFn: 'sfn/await-upload',
  SubmitUploadFn: 'sfn/submit-upload',
  FetchResultFn: 'sfn/fetch-result',
  DeleteImagesFn: 'sfn/delete-images',
  CloseVerificationFn: 'sfn/close-verification',
  DeleteBerbixTransactionFn: 'sfn/delete-berbix-transaction',
  UploadReceivedFn: 's3/upload-received',
};

/** The HTTP API's routes, as docs/openapi.yaml publishes them. */
export const CONTRACT_ROUTES: readonly string[] = [
  'DELETE /verifications/{id}',
  'GET /verifications/{id}',
  'GET /verifications/{id}/result',
  'POST /verifications',
  'POST /verifications/{id}/document-back/reuse-front',
  'POST /verifications/{id}/id-scans',
  'POST /verifications/{id}/uploads',
  'POST /webhooks/berbix',
];

export interface Synthesized {
  readonly stack: VerificationStack;
  readonly template: Template;
  /** The cdk-nag / CloudFormation validation report written by the synth (when `nag` was on). */
  readonly report: ValidationReport | undefined;
  /** The synth error, when validation failed (its message lists the findings). */
  readonly error: Error | undefined;
  /** Removes the temporary cloud assembly. */
  cleanup(): void;
}

export interface ValidationReport {
  pluginReports: {
    pluginName: string;
    conclusion: string;
    violations: Violation[];
    suppressedViolations?: (Violation & { acknowledgedId: string; reason: string; acknowledgedAt: string })[];
  }[];
}

export interface Violation {
  ruleName: string;
  severity: string;
  violatingConstructs: { constructPath: string }[];
}

/**
 * Synthesizes the stack once (seconds: it bundles 16 functions) with the app's context defaults
 * and optional overrides; with `nag`, cdk-nag AwsSolutions runs as in bin/app.ts.
 */
export function synthesize(
  overrides: Partial<VerificationStackProps> = {},
  opts: { nag?: boolean } = {},
): Synthesized {
  const outdir = mkdtempSync(path.join(tmpdir(), 'berbix-infra-'));
  // Bundling 16 functions takes a minute on a busy machine and the assertions never read the
  // bundles (`cdk synth` builds them): skip it, the asset hashes become construct ids.
  const app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': [] } });
  const { stackName, ...props } = stackPropsFromContext(() => undefined);
  const stack = new VerificationStack(app, stackName, { ...props, ...overrides });
  if (opts.nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  let error: Error | undefined;
  try {
    app.synth();
  } catch (e) {
    if (!opts.nag) throw e;
    error = e as Error;
  }
  const reportFile = path.join(outdir, 'validation-report.json');
  const report = existsSync(reportFile)
    ? (JSON.parse(readFileSync(reportFile, 'utf8')) as ValidationReport)
    : undefined;
  return {
    stack,
    template: Template.fromJSON(
      JSON.parse(readFileSync(path.join(outdir, `${stack.artifactId}.template.json`), 'utf8')),
    ),
    report,
    error,
    cleanup: () => rmSync(outdir, { recursive: true, force: true }),
  };
}
