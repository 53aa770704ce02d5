import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
let outdir: string;
let stdout: string;

beforeAll(() => {
  outdir = mkdtempSync(path.join(tmpdir(), 'berbix-app-'));
  // What `cdk synth` does: run bin/app.ts with the output folder and context in the environment.
  stdout = execFileSync(path.join(ROOT, 'node_modules', '.bin', 'tsx'), ['bin/app.ts'], {
    cwd: ROOT,
    encoding: 'utf8',
    env: {
      ...process.env,
      CDK_OUTDIR: outdir,
      CDK_CONTEXT_JSON: JSON.stringify({
        'aws:cdk:bundling-stacks': [],
        stackName: 'AppTestStack',
        templateKey: 'tpk_from_context',
      }),
    },
  });
});
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

interface Resource {
  Type: string;
  Properties: { Environment?: { Variables?: Record<string, unknown> } };
  Metadata?: { cdk_nag?: { rules_to_suppress?: { id: string; reason: string }[] } };
}
const template = () =>
  JSON.parse(readFileSync(path.join(outdir, 'AppTestStack.template.json'), 'utf8')) as {
    Resources: Record<string, Resource>;
  };

describe('the CDK app (bin/app.ts)', () => {
  it('synthesizes the stack named by context, with context values in it', () => {
    const file = path.join(outdir, 'AppTestStack.template.json');
    expect(existsSync(file)).toBe(true);
    const template = JSON.parse(readFileSync(file, 'utf8')) as {
      Resources: Record<
        string,
        { Type: string; Properties: { Environment?: { Variables?: Record<string, unknown> } } }
      >;
    };
    const templateKeys = Object.values(template.Resources).flatMap((r) => {
      const key = r.Properties.Environment?.Variables?.BERBIX_TEMPLATE_KEY;
      return key === undefined ? [] : [key];
    });
    expect(templateKeys).toEqual(['tpk_from_context']);
  });

  it('runs cdk-nag AwsSolutions, passes, and records each acknowledgment with its reason in the template', () => {
    const report = JSON.parse(readFileSync(path.join(outdir, 'validation-report.json'), 'utf8')) as {
      pluginReports: { pluginName: string; conclusion: string }[];
    };
    expect(report.pluginReports.filter((p) => p.conclusion !== 'success')).toEqual([]);
    expect(stdout).not.toMatch(/AwsSolutions-/);
    const resources = Object.values(template().Resources);
    const acknowledged = resources.flatMap((r) => r.Metadata?.cdk_nag?.rules_to_suppress ?? []);
    expect(acknowledged.map((a) => a.id)).toEqual(
      expect.arrayContaining(['AwsSolutions-L1', 'AwsSolutions-APIG4']),
    );
    for (const a of acknowledged) expect(a.reason.length).toBeGreaterThan(30);
  });
});
