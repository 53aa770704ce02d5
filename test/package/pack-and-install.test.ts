/**
 * The package as a customer gets it: `npm pack` of this repository (its `prepack` builds `dist/`),
 * the tarball installed into a fresh TypeScript CDK app (test/package/consumer/) with that app's own
 * dependencies from the npm cache `npm ci` filled, the app compiled with tsc against the shipped
 * type declarations and synthesized with the CDK CLI — with no esbuild anywhere the app or the CLI
 * could find it, so any bundling at synth would fail.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const NODE_BIN = path.dirname(process.execPath);

let work: string;
let app: string;
let tarball: string;
let tarballFiles: string[];
let synthOutput: string;

interface Ids {
  table: string;
  bucket: string;
  stateMachine: string;
  berbixDeletionStateMachine: string;
  secret: string;
  queue: string;
  httpApi: string;
  functions: Record<string, string>;
}
let ids: { key: string; bus: string; reader: string; europe: Ids; america: Ids };

interface Resource {
  Type: string;
  Properties: Record<string, unknown>;
  Metadata?: Record<string, unknown>;
}
let resources: Record<string, Resource>;

/** The version this repository is locked to, so the install is served by the npm cache. */
const locked = (name: string) =>
  (
    JSON.parse(readFileSync(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as {
      version: string;
    }
  ).version;

/** PATH without any node_modules/.bin (this repository's holds esbuild), Node 22 first. */
const PATH = [NODE_BIN, ...(process.env.PATH ?? '').split(path.delimiter)]
  .filter((dir) => !dir.includes(`node_modules${path.sep}.bin`))
  .join(path.delimiter);

const run = (file: string, args: string[], cwd: string) =>
  execFileSync(file, args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, PATH, CDK_DISABLE_VERSION_CHECK: '1', npm_config_update_notifier: 'false' },
    // A failure's error message carries its stderr.
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
  });

beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), 'berbix-package-'));
  app = path.join(work, 'customer-app');
  cpSync(path.join(__dirname, 'consumer'), app, { recursive: true });

  run('npm', ['pack', '--pack-destination', work, '--silent'], ROOT);
  const [name] = readdirSync(work).filter((f) => f.endsWith('.tgz'));
  tarball = path.join(work, name!);
  tarballFiles = run('tar', ['-tzf', tarball], work).trim().split('\n');

  writeFileSync(
    path.join(app, 'package.json'),
    JSON.stringify({
      name: 'customer-app',
      version: '1.0.0',
      private: true,
      dependencies: {
        'berbix-serverless': `file:${tarball}`,
        'aws-cdk-lib': locked('aws-cdk-lib'),
        constructs: locked('constructs'),
        'cdk-nag': locked('cdk-nag'),
        typescript: locked('typescript'),
        '@types/node': locked('@types/node'),
      },
    }),
  );
  run('npm', ['install', '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund'], app);
  run(process.execPath, [path.join(app, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', '.'], app);
  synthOutput = run(
    process.execPath,
    [
      path.join(ROOT, 'node_modules', 'aws-cdk', 'bin', 'cdk'),
      'synth',
      '--no-notices',
      '--quiet',
      '-o',
      'cdk.out',
    ],
    app,
  );
  ids = JSON.parse(readFileSync(path.join(app, 'ids.json'), 'utf8')) as typeof ids;
  resources = (
    JSON.parse(readFileSync(path.join(app, 'cdk.out', 'CustomerStack.template.json'), 'utf8')) as {
      Resources: Record<string, Resource>;
    }
  ).Resources;
}, 600_000);
afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const getAtt = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });

/** The policy statements of a function's role, as JSON text. */
function grantsOf(fnLogicalId: string): string {
  const role = (resources[fnLogicalId]!.Properties.Role as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0];
  return JSON.stringify(
    ofType('AWS::IAM::Policy')
      .filter(([, p]) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === role))
      .map(([, p]) => p.Properties.PolicyDocument),
  );
}

describe('the packed berbix-serverless', () => {
  it('ships the compiled construct with its types, the pre-bundled handlers and the state machines, no sources', () => {
    const manifest = JSON.parse(
      readFileSync(path.join(app, 'node_modules', 'berbix-serverless', 'package.json'), 'utf8'),
    ) as {
      exports: Record<string, unknown>;
      peerDependencies: Record<string, string>;
      dependencies?: unknown;
    };
    expect(manifest.exports['.']).toEqual({ types: './dist/lib/index.d.ts', default: './dist/lib/index.js' });
    expect(Object.keys(manifest.peerDependencies).sort()).toEqual(['aws-cdk-lib', 'constructs']);
    expect(manifest.dependencies).toBeUndefined();
    expect(tarballFiles).toEqual(
      expect.arrayContaining([
        'package/dist/lib/index.js',
        'package/dist/lib/index.d.ts',
        'package/dist/statemachine/verification.asl.json',
        'package/dist/statemachine/berbix-deletion.asl.json',
        'package/dist/assets/api/create-verification/index.js',
        'package/dist/assets/s3/upload-received/index.js',
        'package/dist/cli/run.mjs',
        'package/dist/lambdas/contract/index.js',
        'package/dist/lambdas/contract/index.d.ts',
        'package/LICENSE',
      ]),
    );
    expect(tarballFiles.filter((f) => f.endsWith('/index.js') && f.includes('/assets/'))).toHaveLength(16);
    expect(tarballFiles.filter((f) => /\.ts$/.test(f) && !f.endsWith('.d.ts'))).toEqual([]);
    // Of lambdas/, only the contract the construct requires (names shared with the functions),
    // compiled with its types; the functions themselves ship only as the pre-bundled assets.
    const contract = /^package\/dist\/lambdas\/contract\/[a-z-]+\.(js|d\.ts)$/;
    expect(tarballFiles.filter((f) => f.includes('/lambdas/') && !contract.test(f))).toEqual([]);
  });

  it('installs without esbuild, and the customer app compiles and synthesizes with cdk-nag AwsSolutions clean', () => {
    expect(existsSync(path.join(app, 'node_modules', 'esbuild'))).toBe(false);
    expect(existsSync(path.join(app, 'cdk.out', 'CustomerStack.template.json'))).toBe(true);
    // A cdk-nag finding fails the synth; none is printed either.
    expect(synthOutput).not.toMatch(/AwsSolutions-/);
  });

  it('deploys each function with the code the package pre-bundled', () => {
    for (const instance of [ids.europe, ids.america]) {
      for (const logicalId of Object.values(instance.functions)) {
        const assetPath = resources[logicalId]!.Metadata?.['aws:asset:path'] as string;
        const deployed = readFileSync(path.join(app, 'cdk.out', assetPath, 'index.js'));
        const shipped = readdirSync(path.join(app, 'node_modules', 'berbix-serverless', 'dist', 'assets'), {
          recursive: true,
        })
          .map(String)
          .filter((f) => f.endsWith('index.js'))
          .map((f) => readFileSync(path.join(app, 'node_modules', 'berbix-serverless', 'dist', 'assets', f)));
        expect(shipped.some((code) => code.equals(deployed))).toBe(true);
      }
    }
  });

  it('keeps the two instances apart: their own table, bucket, state machines, secret, queue, API and functions', () => {
    for (const field of [
      'table',
      'bucket',
      'stateMachine',
      'berbixDeletionStateMachine',
      'secret',
      'queue',
      'httpApi',
    ] as const) {
      expect({ field, differ: ids.europe[field] !== ids.america[field] }).toEqual({ field, differ: true });
      expect(resources[ids.europe[field]]).toBeDefined();
      expect(resources[ids.america[field]]).toBeDefined();
    }
    expect(ofType('AWS::DynamoDB::Table')).toHaveLength(2);
    expect(ofType('AWS::StepFunctions::StateMachine')).toHaveLength(4);
    const roles = (instance: Ids) =>
      Object.values(instance.functions).map(
        (fn) => (resources[fn]!.Properties.Role as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0],
      );
    expect(new Set([...roles(ids.europe), ...roles(ids.america)]).size).toBe(32);
    const templateKeys = (instance: Ids) =>
      (
        resources[instance.functions.CreateTransactionFn!]!.Properties.Environment as {
          Variables: Record<string, unknown>;
        }
      ).Variables.BERBIX_TEMPLATE_KEY;
    expect([templateKeys(ids.europe), templateKeys(ids.america)]).toEqual(['tpk_europe', 'tpk_america']);
  });

  it('grants each instance functions only on the resources of their own instance', () => {
    const own = (i: Ids) => [
      i.table,
      i.bucket,
      i.stateMachine,
      i.berbixDeletionStateMachine,
      i.secret,
      i.queue,
    ];
    for (const [mine, theirs] of [
      [ids.europe, ids.america],
      [ids.america, ids.europe],
    ] as const) {
      for (const [fnId, logicalId] of Object.entries(mine.functions)) {
        const grants = grantsOf(logicalId);
        const onTheirs = own(theirs).filter((other) => grants.includes(`"${other}"`));
        expect({ fnId, onTheirs }).toEqual({ fnId, onTheirs: [] });
      }
    }
    expect(grantsOf(ids.europe.functions.CreateTransactionFn!)).toContain(`"${ids.europe.table}"`);
  });

  it('encrypts both instances data with the customer key, and creates no key of its own', () => {
    expect(ofType('AWS::KMS::Key').map(([id]) => id)).toEqual([ids.key]);
    for (const instance of [ids.europe, ids.america]) {
      expect(JSON.stringify(resources[instance.table]!.Properties.SSESpecification)).toContain(
        `"${ids.key}"`,
      );
      expect(JSON.stringify(resources[instance.bucket]!.Properties.BucketEncryption)).toContain(
        `"${ids.key}"`,
      );
      expect(resources[instance.secret]!.Properties.KmsKeyId).toEqual(getAtt(ids.key));
      expect(resources[instance.queue]!.Properties.KmsMasterKeyId).toEqual(getAtt(ids.key));
    }
  });

  it('puts both instances completion events and rules on the customer bus, each rule matching its own instance', () => {
    const rules = ofType('AWS::Events::Rule').map(([, r]) => r.Properties);
    expect(rules).toHaveLength(2);
    for (const rule of rules) expect(rule.EventBusName).toEqual({ Ref: ids.bus });
    expect(rules.map((r) => (r.EventPattern as { resources: unknown }).resources)).toEqual([
      [getAtt(ids.europe.functions.FetchResultFn!)],
      [getAtt(ids.america.functions.FetchResultFn!)],
    ]);
    for (const instance of [ids.europe, ids.america]) {
      expect(grantsOf(instance.functions.FetchResultFn!)).toContain(JSON.stringify(getAtt(ids.bus)));
    }
  });

  it('lets the results reader get result attributes of its own instance table only', () => {
    const readerPolicies = JSON.stringify(
      ofType('AWS::IAM::Policy')
        .filter(([, p]) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === ids.reader))
        .map(([, p]) => p.Properties.PolicyDocument),
    );
    expect(readerPolicies).toContain(JSON.stringify(getAtt(ids.europe.table)));
    expect(readerPolicies).not.toContain(`"${ids.america.table}"`);
    expect(readerPolicies).toContain('"dynamodb:Attributes"');
  });

  it('runs the berbix-serverless CLI from its bundle', () => {
    const version = run(
      path.join(app, 'node_modules', '.bin', 'berbix-serverless'),
      ['--version'],
      app,
    ).trim();
    expect(version).toBe(
      (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version,
    );
  });
});
