/** The benchmarks in the order they run, and one way to run a selection of them. */
import { runConcurrency } from './concurrency';
import { ABANDON_AFTER_SECONDS, runCost } from './cost';
import { startAwsMeter } from './lib/aws-meter';
import { startBenchCloud } from './lib/cloud';
import type { BenchContext, BenchResult } from './lib/context';
import { runFunctions } from './functions';
import { runMemory } from './memory';
import { runOverhead } from './overhead';

export const BENCHES = ['overhead', 'cost', 'functions', 'memory', 'concurrency'] as const;
export type BenchName = (typeof BENCHES)[number];

const RUNNERS: Record<BenchName, (ctx: BenchContext) => Promise<BenchResult<unknown>>> = {
  overhead: runOverhead,
  cost: runCost,
  functions: runFunctions,
  memory: runMemory,
  concurrency: runConcurrency,
};

/**
 * Runs the chosen benchmarks one after the other. Quick runs share one local cloud (starting one
 * per benchmark would take most of their time); full runs give each benchmark a fresh one.
 */
export async function runBenches(
  options: Omit<BenchContext, 'sharedCloud'> & { only?: readonly BenchName[] },
): Promise<BenchResult<unknown>[]> {
  const chosen = BENCHES.filter((b) => !options.only || options.only.includes(b));
  const sharedMeter = options.quick ? await startAwsMeter() : undefined;
  const sharedCloud =
    sharedMeter &&
    (await startBenchCloud(options.projectDir, {
      envOverrides: {
        ...sharedMeter.envOverrides,
        ABANDON_AFTER_SECONDS: String(ABANDON_AFTER_SECONDS.quick),
      },
    }));
  sharedMeter?.setTargets(sharedCloud!.endpoints);
  const results: BenchResult<unknown>[] = [];
  try {
    for (const name of chosen) results.push(await RUNNERS[name]({ ...options, sharedCloud, sharedMeter }));
  } finally {
    await sharedCloud?.stop();
    await sharedMeter?.close();
  }
  return results;
}
