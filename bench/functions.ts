/**
 * Functions: each synthesized bundle's size (raw and gzip) and its module init in a fresh Node
 * process with the function's template environment, beside a floor: a bundle that only imports
 * and constructs the SDK clients the function is granted (read from its IAM policy), built by the
 * project's esbuild with the settings of lib/constructs/verification-function.ts (a source map when
 * the function has one). Init is timed with and without --enable-source-maps, in wall time and in
 * CPU time (user + system of the require: what a loaded machine distorts least).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { benchTmpDir, synthesizedFunctions, type FunctionInfo } from './lib/cloud';
import { runBench, table, type BenchContext } from './lib/context';
import { median, round } from './lib/stats';

type SdkClient = 'dynamodb' | 's3' | 'presignedPost' | 'sfn' | 'secretsManager' | 'eventBridge';

/** What the floor imports and constructs for each client, as lambdas/adapters do. */
const FLOOR_CODE: Record<SdkClient, string> = {
  dynamodb: `const { DynamoDBClient } = require('@aws-sdk/client-dynamodb');
const { DynamoDBDocumentClient } = require('@aws-sdk/lib-dynamodb');
exports.dynamoDb = DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } });`,
  s3: `const { S3Client } = require('@aws-sdk/client-s3');
exports.s3 = new S3Client({ requestChecksumCalculation: 'WHEN_REQUIRED' });`,
  presignedPost: `exports.createPresignedPost = require('@aws-sdk/s3-presigned-post').createPresignedPost;`,
  sfn: `const { SFNClient } = require('@aws-sdk/client-sfn');
exports.sfn = new SFNClient({});`,
  secretsManager: `const { SecretsManagerClient } = require('@aws-sdk/client-secrets-manager');
exports.secretsManager = new SecretsManagerClient({});`,
  eventBridge: `const { EventBridgeClient } = require('@aws-sdk/client-eventbridge');
exports.eventBridge = new EventBridgeClient({});`,
};

/** IAM action prefixes → the client they need. */
const CLIENT_OF_ACTION: [RegExp, SdkClient][] = [
  [/^dynamodb:/, 'dynamodb'],
  [/^s3:/, 's3'],
  [/^states:/, 'sfn'],
  [/^secretsmanager:/, 'secretsManager'],
  [/^events:/, 'eventBridge'],
];

/** Presigning needs no grant of its own: the functions that hand out upload forms, by construct id. */
const PRESIGNS = new Set(['CreateUploadFn']);

interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
  Metadata?: Record<string, unknown>;
}

/** The SDK clients each function's role lets it use, keyed by asset folder name. */
function clientsByAsset(cdkOutDir: string): Map<string, { constructId: string; clients: SdkClient[] }> {
  const manifest = JSON.parse(readFileSync(path.join(cdkOutDir, 'manifest.json'), 'utf8')) as {
    artifacts: Record<string, { type: string; properties?: { templateFile?: string } }>;
  };
  const stack = Object.values(manifest.artifacts).find((a) => a.type === 'aws:cloudformation:stack');
  const template = JSON.parse(
    readFileSync(path.join(cdkOutDir, stack!.properties!.templateFile!), 'utf8'),
  ) as { Resources: Record<string, CfnResource> };
  const resources = Object.entries(template.Resources);
  const actionsOfRole = (roleId: string) =>
    resources
      .filter(
        ([, r]) =>
          r.Type === 'AWS::IAM::Policy' &&
          (r.Properties?.Roles as { Ref?: string }[] | undefined)?.some((x) => x.Ref === roleId),
      )
      .flatMap(
        ([, r]) => (r.Properties!.PolicyDocument as { Statement: { Action: string | string[] }[] }).Statement,
      )
      .flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
  const out = new Map<string, { constructId: string; clients: SdkClient[] }>();
  for (const [, r] of resources) {
    const asset = r.Metadata?.['aws:asset:path'];
    const role = (r.Properties?.Role as { 'Fn::GetAtt'?: string[] } | undefined)?.['Fn::GetAtt']?.[0];
    if (r.Type !== 'AWS::Lambda::Function' || typeof asset !== 'string' || !role) continue;
    const constructId =
      String(r.Metadata?.['aws:cdk:path'] ?? '')
        .split('/')
        .slice(-2, -1)[0] ?? '';
    const actions = actionsOfRole(role);
    const clients = CLIENT_OF_ACTION.filter(([re]) => actions.some((a) => re.test(a))).map(([, c]) => c);
    if (PRESIGNS.has(constructId)) clients.push('presignedPost');
    out.set(asset, { constructId, clients });
  }
  return out;
}

/** Bundles a floor with the project's esbuild, as NodejsFunction bundles the handlers. */
async function buildFloor(
  projectDir: string,
  clients: SdkClient[],
  outDir: string,
  sourcemap: boolean,
): Promise<string> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const esbuild = require(path.join(projectDir, 'node_modules', 'esbuild')) as typeof import('esbuild');
  const name = `floor-${clients.join('-') || 'none'}${sourcemap ? '-map' : ''}`;
  const file = path.join(outDir, name, 'index.js');
  mkdirSync(path.dirname(file), { recursive: true });
  await esbuild.build({
    stdin: {
      contents: `${clients.map((c) => FLOOR_CODE[c]).join('\n')}\nexports.handler = async () => ({});\n`,
      resolveDir: projectDir,
      sourcefile: 'floor.js',
    },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node22',
    minify: true,
    sourcemap,
    sourcesContent: false,
    outfile: file,
    logLevel: 'warning',
  });
  return file;
}

/** The environment a function gets in the local cloud, minus the endpoints (init makes no call). */
function functionEnv(f: FunctionInfo, sourceMaps: boolean): Record<string, string> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    ...f.environment,
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'localsecretlocalsecret',
    AWS_LAMBDA_FUNCTION_NAME: f.name,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(f.memorySize),
    LAMBDA_TASK_ROOT: f.assetDir,
  };
  const options = (env.NODE_OPTIONS ?? '').split(/\s+/).filter((o) => o && o !== '--enable-source-maps');
  if (sourceMaps) options.push('--enable-source-maps');
  env.NODE_OPTIONS = options.join(' ');
  return env;
}

const INIT_SCRIPT = `
const { performance } = require('node:perf_hooks');
const cpu0 = process.cpuUsage();
const t0 = performance.now();
require(process.argv[1]);
const t1 = performance.now();
const cpu = process.cpuUsage(cpu0);
process.stdout.write(
  JSON.stringify({ initMs: t1 - t0, cpuMs: (cpu.user + cpu.system) / 1000, rssBytes: process.memoryUsage().rss }),
);
`;

/** Loads `file` once in a fresh Node process and reports how long the require took. */
async function initOnce(
  file: string,
  env: Record<string, string>,
): Promise<{ initMs: number; cpuMs: number; rssBytes: number }> {
  const { stdout } = await promisify(execFile)(process.execPath, ['-e', INIT_SCRIPT, file], { env });
  return JSON.parse(stdout) as { initMs: number; cpuMs: number; rssBytes: number };
}

const sizes = (file: string) => {
  const code = readFileSync(file);
  const map = `${file}.map`;
  return {
    rawBytes: code.length,
    gzipBytes: gzipSync(code).length,
    mapBytes: existsSync(map) ? statSync(map).size : 0,
  };
};

export interface FunctionFigures {
  function: string;
  clients: string[];
  rawKiB: number;
  gzipKiB: number;
  floorRawKiB: number;
  floorGzipKiB: number;
  sizeRatio: number | null;
  initMs: number | null;
  initMsWithSourceMaps: number | null;
  floorInitMs: number | null;
  floorInitMsWithSourceMaps: number | null;
  initRatio: number | null;
  initRatioWithSourceMaps: number | null;
  /** CPU time (user + system) of the require, without source maps. */
  initCpuMs: number | null;
  floorInitCpuMs: number | null;
  initCpuRatio: number | null;
  rssAfterInitMiB: number | null;
}

export async function functions(
  ctx: BenchContext,
): Promise<{ samples: number; functions: FunctionFigures[] }> {
  const n = ctx.n ?? (ctx.quick ? 1 : 5);
  const { cdkOutDir, functions: fns } = await synthesizedFunctions(ctx.projectDir);
  const grants = clientsByAsset(cdkOutDir);
  const floorDir = benchTmpDir('floors');
  const floors = new Map<string, string>();
  const chosen = ctx.quick ? fns.slice(0, 1) : fns;
  const out: FunctionFigures[] = [];
  for (const f of chosen) {
    const clients = grants.get(path.basename(f.assetDir))?.clients ?? [];
    const bundleFile = path.join(f.assetDir, `${f.handler.slice(0, f.handler.lastIndexOf('.'))}.js`);
    const withMap = existsSync(`${bundleFile}.map`);
    const floorKey = `${clients.join('-')}${withMap ? '+map' : ''}`;
    if (!floors.has(floorKey))
      floors.set(floorKey, await buildFloor(ctx.projectDir, clients, floorDir, withMap));
    const floorFile = floors.get(floorKey)!;
    const samples: Record<string, number[]> = {
      fn: [],
      fnMaps: [],
      floor: [],
      floorMaps: [],
      fnCpu: [],
      floorCpu: [],
      rss: [],
    };
    for (let i = 0; i < n; i += 1) {
      // Interleaved, so a change in the machine's load hits the function and its floor alike.
      const plain = await initOnce(bundleFile, functionEnv(f, false));
      samples.fn!.push(plain.initMs);
      samples.fnCpu!.push(plain.cpuMs);
      samples.rss!.push(plain.rssBytes);
      const floorPlain = await initOnce(floorFile, functionEnv(f, false));
      samples.floor!.push(floorPlain.initMs);
      samples.floorCpu!.push(floorPlain.cpuMs);
      samples.fnMaps!.push((await initOnce(bundleFile, functionEnv(f, true))).initMs);
      samples.floorMaps!.push((await initOnce(floorFile, functionEnv(f, true))).initMs);
    }
    const bundle = sizes(bundleFile);
    const floor = sizes(floorFile);
    const m = (k: string) => round(median(samples[k]!));
    const ratio = (a: number | null, b: number | null) => (a === null || b === null ? null : round(a / b, 2));
    out.push({
      function: f.name,
      clients,
      rawKiB: round(bundle.rawBytes / 1024)!,
      gzipKiB: round(bundle.gzipBytes / 1024)!,
      floorRawKiB: round(floor.rawBytes / 1024)!,
      floorGzipKiB: round(floor.gzipBytes / 1024)!,
      sizeRatio: round(bundle.rawBytes / floor.rawBytes, 2),
      initMs: m('fn'),
      initMsWithSourceMaps: m('fnMaps'),
      floorInitMs: m('floor'),
      floorInitMsWithSourceMaps: m('floorMaps'),
      initRatio: ratio(m('fn'), m('floor')),
      initRatioWithSourceMaps: ratio(m('fnMaps'), m('floorMaps')),
      initCpuMs: m('fnCpu'),
      floorInitCpuMs: m('floorCpu'),
      initCpuRatio: ratio(m('fnCpu'), m('floorCpu')),
      rssAfterInitMiB: round((median(samples.rss!) ?? 0) / 1024 / 1024),
    });
    ctx.log(`  ${f.name}: ${out[out.length - 1]!.rawKiB} KiB, init ${m('fn')} ms (floor ${m('floor')} ms)`);
  }
  ctx.log(
    table(
      out.map((f) => ({
        function: f.function,
        'KiB (gzip)': `${f.rawKiB} (${f.gzipKiB})`,
        'floor KiB (gzip)': `${f.floorRawKiB} (${f.floorGzipKiB})`,
        'size ×': f.sizeRatio,
        'init ms': f.initMs,
        'floor init ms': f.floorInitMs,
        'init ×': f.initRatio,
        'CPU ms': f.initCpuMs,
        'floor CPU ms': f.floorInitCpuMs,
        'CPU ×': f.initCpuRatio,
        'init ms, source maps': f.initMsWithSourceMaps,
        'floor, source maps': f.floorInitMsWithSourceMaps,
      })),
    ),
  );
  writeFileSync(
    path.join(floorDir, 'README'),
    'Floor bundles built by bench/functions.ts; safe to delete.\n',
  );
  return { samples: n, functions: out };
}

export const runFunctions = (ctx: BenchContext) => runBench(ctx, 'functions', () => functions(ctx));
