/**
 * `npm run build:package` (run by `npm pack` through `prepack`): builds `dist/`, what the package
 * ships besides its README, LICENSE and CHANGELOG, so that a customer's `cdk synth` needs neither
 * this repository's sources nor esbuild:
 *
 * - `dist/lib/`: the construct library (`lib/index.ts` and what it imports), compiled by tsc, with
 *   its type declarations; it may require only Node's modules, `aws-cdk-lib` and `constructs`, and
 *   the contract it shares with the functions, compiled beside it into `dist/lambdas/contract/`.
 * - `dist/assets/<group>/<handler>/index.js` (+ source map): each Lambda handler pre-bundled with
 *   the settings `VerificationFunction` bundles with at synth (CJS, node22, minified, the AWS SDK
 *   inside); the construct uses these when they are there.
 * - `dist/statemachine/*.asl.json`: the state-machine definitions the construct reads.
 * - `dist/cli/run.mjs`: the `berbix-serverless` CLI as one ES module with its dependencies inside.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { build, type BuildOptions } from 'esbuild';

const ROOT = path.resolve(__dirname, '..');
const DIST = path.join(ROOT, 'dist');
const HANDLERS = path.join(ROOT, 'lambdas', 'handlers');
/** Handler groups that hold one handler per file (`helpers/` holds shared code). */
const GROUPS = ['api', 'sfn', 's3'];
/** What `dist/lib` may require at run time: the peer dependencies. */
const PEERS = ['aws-cdk-lib', 'constructs'];

const files = (dir: string): string[] =>
  readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? files(full) : [full];
  });

/**
 * Every module a compiled file requires (or a declaration file imports) that is neither relative,
 * nor Node's, nor a peer: a customer would not have it.
 */
function strayRequires(dir: string): string[] {
  const allowed = (spec: string) =>
    spec.startsWith('.') ||
    spec.startsWith('node:') ||
    builtinModules.includes(spec) ||
    PEERS.some((peer) => spec === peer || spec.startsWith(`${peer}/`));
  return files(dir)
    .filter((f) => f.endsWith('.js') || f.endsWith('.d.ts'))
    .flatMap((f) =>
      [
        ...readFileSync(f, 'utf8').matchAll(
          /\b(?:require|import)\(\s*["']([^"']+)["']\s*\)|^\s*(?:import|export)\b[^;]*?\bfrom\s+["']([^"']+)["']/gm,
        ),
      ]
        .map((m) => m[1] ?? m[2]!)
        .filter((spec) => !allowed(spec))
        .map((spec) => `${path.relative(ROOT, f)}: ${spec}`),
    );
}

async function main(): Promise<void> {
  rmSync(DIST, { recursive: true, force: true });

  execFileSync(path.join(ROOT, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.package.json'], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  const stray = strayRequires(DIST);
  if (stray.length > 0) {
    throw new Error(
      `dist/ requires modules a customer does not have (only ${PEERS.join(', ')} are peers):\n${stray.join('\n')}`,
    );
  }

  // The settings of lib/constructs/verification-function.ts (NodejsFunction's esbuild flags).
  const handler: BuildOptions = {
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    minify: true,
    sourcemap: false,
    logLevel: 'warning',
  };
  const entries = GROUPS.flatMap((group) =>
    readdirSync(path.join(HANDLERS, group))
      .filter((name) => name.endsWith('.ts'))
      .map((name) => `${group}/${name.replace(/\.ts$/, '')}`),
  );
  await Promise.all(
    entries.map((entry) =>
      build({
        ...handler,
        entryPoints: [path.join(HANDLERS, `${entry}.ts`)],
        outfile: path.join(DIST, 'assets', entry, 'index.js'),
      }),
    ),
  );

  cpSync(path.join(ROOT, 'statemachine'), path.join(DIST, 'statemachine'), {
    recursive: true,
    filter: (src) => statSync(src).isDirectory() || src.endsWith('.asl.json'),
  });

  await build({
    entryPoints: [path.join(ROOT, 'cli', 'run.ts')],
    outfile: path.join(DIST, 'cli', 'run.mjs'),
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'esm',
    // Bundled CommonJS dependencies call require() for Node's modules.
    banner: {
      js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
    },
    legalComments: 'none',
    logLevel: 'warning',
  });

  console.log(
    `dist/: the construct library, ${entries.length} pre-bundled handlers, the state machines, the CLI`,
  );
}

main().catch((err: unknown) => {
  console.error(`The package did not build: ${(err as Error).message}`);
  process.exit(1);
});
