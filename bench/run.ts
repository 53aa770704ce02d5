/**
 * `npm run bench`: runs the benchmarks against a checkout and writes bench/results/<name>.json.
 *   npm run bench                                  # all five, against this checkout
 *   npm run bench -- --project /path/to/checkout   # another checkout (its node_modules installed)
 *   npm run bench -- --only overhead,functions     # some of them
 *   npm run bench -- --quick                       # tiny N: proves they work, measures nothing
 *   npm run bench -- --n 20                        # more samples
 * See docs/benchmarks.md for what each measures and how long it takes.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { BENCHES, runBenches, type BenchName } from './suite';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      project: { type: 'string', default: path.resolve(__dirname, '..') },
      only: { type: 'string' },
      quick: { type: 'boolean', default: false },
      n: { type: 'string' },
      results: { type: 'string', default: path.join(__dirname, 'results') },
    },
  });
  const only = values.only ? (values.only.split(',') as BenchName[]) : [...BENCHES];
  const unknown = only.filter((b) => !BENCHES.includes(b));
  if (unknown.length > 0)
    throw new Error(`--only: unknown benchmark ${unknown.join(', ')} (${BENCHES.join(', ')})`);
  const n = values.n === undefined ? undefined : Number(values.n);
  if (n !== undefined && !(Number.isInteger(n) && n > 0))
    throw new Error(`--n: not a positive integer: ${values.n}`);
  await runBenches({
    projectDir: path.resolve(values.project),
    quick: values.quick,
    n,
    resultsDir: path.resolve(values.results),
    log: (line) => console.log(line),
    only,
  });
}

main().catch((err: unknown) => {
  console.error((err as Error).stack ?? err);
  process.exit(1);
});
