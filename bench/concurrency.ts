/**
 * Concurrency: many driver's-licence verifications at once on the local cloud, first on a fresh
 * cloud (cold) and then again on the same one (warm): how many complete, errors, p50/p95 per
 * verification and per step, and the peak resident memory of the whole local cloud (its process
 * tree: node, its worker threads and the DynamoDB Local java process). After the warm wave the
 * cloud is left idle for a while and its memory read again, to see what it gives back.
 * 127.0.0.1 only; every wait is bounded.
 */
import { presets } from '../local/test-images';
import { startBenchCloud, type BenchCloud } from './lib/cloud';
import { ApiClient, awaiting, hasStatus, notCreating } from './lib/client';
import { runBench, table, type BenchContext } from './lib/context';
import { mb, sampleTreeRss, treeRss } from './lib/rss';
import { quantile, round } from './lib/stats';

const FRONT = presets.driversLicenseFront();
const BACK = presets.driversLicenseBack();
/** Each client polls this often: 200 clients at the test helper's 150 ms would measure the poll flood. */
const POLL_MS = 1000;
const VERIFICATION_TIMEOUT_MS = 5 * 60_000;
/** A client tries a 503 or 429 again this many times (after its Retry-After), as the API's docs say. */
const BUSY_RETRIES = 5;
/** How long the cloud is left idle after the warm wave before its memory is read again. */
const IDLE_WAIT_MS = 75_000;

interface VerificationTimes {
  ok: boolean;
  error?: string;
  createStatus?: number;
  totalMs?: number;
  steps: Record<string, number>;
}

async function oneVerification(api: ApiClient): Promise<VerificationTimes> {
  const steps: Record<string, number> = {};
  try {
    const { token } = await api.newUser('bench-concurrency-');
    const t0 = Date.now();
    const created = await api.create(token, { id_country: 'US', id_type: 'DL' });
    const { id } = created.body;
    await api.waitFor(id, token, notCreating);
    const t1 = Date.now();
    await api.upload(id, token, 'document_front', FRONT);
    await api.waitFor(id, token, awaiting('upload_document_back'));
    const t2 = Date.now();
    await api.upload(id, token, 'document_back', BACK);
    await api.waitFor(id, token, hasStatus('completed'));
    const t3 = Date.now();
    Object.assign(steps, { create: t1 - t0, front: t2 - t1, back: t3 - t2 });
    return { ok: true, createStatus: created.status, totalMs: t3 - t0, steps };
  } catch (error) {
    return { ok: false, error: (error as Error).message.slice(0, 300), steps };
  }
}

export interface Wave {
  concurrency: number;
  wave: 'cold' | 'warm';
  completed: number;
  errors: number;
  errorSamples: string[];
  createAnswered202: number;
  /** API answers of 503 or 429 the clients tried again after `Retry-After`. */
  retriedWhenBusy: number;
  wallMs: number;
  p50Ms: number | null;
  p95Ms: number | null;
  stepsP50Ms: Record<string, number | null>;
  stepsP95Ms: Record<string, number | null>;
  peakRssMiB: number;
}

async function wave(cloud: BenchCloud, concurrency: number, label: Wave['wave']): Promise<Wave> {
  const api = new ApiClient(cloud.apiUrl, {
    pollMs: POLL_MS,
    timeoutMs: VERIFICATION_TIMEOUT_MS,
    busyRetries: BUSY_RETRIES,
  });
  const rss = sampleTreeRss(cloud.pid);
  const started = Date.now();
  const results = await Promise.all(Array.from({ length: concurrency }, () => oneVerification(api)));
  const wallMs = Date.now() - started;
  const { peakBytes } = rss.stop();
  const ok = results.filter((r) => r.ok);
  const q = (values: number[], p: number) => round(quantile(values, p));
  const stepNames = ['create', 'front', 'back'];
  return {
    concurrency,
    wave: label,
    completed: ok.length,
    errors: results.length - ok.length,
    errorSamples: [...new Set(results.filter((r) => !r.ok).map((r) => r.error!))].slice(0, 5),
    createAnswered202: results.filter((r) => r.createStatus === 202).length,
    retriedWhenBusy: api.retriedWhenBusy,
    wallMs,
    p50Ms: q(
      ok.map((r) => r.totalMs!),
      0.5,
    ),
    p95Ms: q(
      ok.map((r) => r.totalMs!),
      0.95,
    ),
    stepsP50Ms: Object.fromEntries(
      stepNames.map((s) => [
        s,
        q(
          ok.map((r) => r.steps[s]!),
          0.5,
        ),
      ]),
    ),
    stepsP95Ms: Object.fromEntries(
      stepNames.map((s) => [
        s,
        q(
          ok.map((r) => r.steps[s]!),
          0.95,
        ),
      ]),
    ),
    peakRssMiB: mb(peakBytes),
  };
}

export interface ConcurrencyRun {
  concurrency: number;
  waves: Wave[];
  rssAtStartMiB: number;
  rssAfterIdleMiB: number | null;
  idleWaitMs: number | null;
  /** Cold p50 over warm p50: the goal is at most 2. */
  coldOverWarmP50: number | null;
}

export async function concurrency(ctx: BenchContext): Promise<ConcurrencyRun[]> {
  const sizes = ctx.n ? [ctx.n] : ctx.quick ? [2] : [50, 200];
  const runs: ConcurrencyRun[] = [];
  for (const size of sizes) {
    const cloud = ctx.sharedCloud ?? (await startBenchCloud(ctx.projectDir));
    try {
      const rssAtStart = treeRss(cloud.pid).bytes;
      const cold = await wave(cloud, size, 'cold');
      ctx.log(
        `  ${size} concurrent, cold: ${cold.completed} completed, p50 ${cold.p50Ms} ms, peak ${cold.peakRssMiB} MiB`,
      );
      const warm = await wave(cloud, size, 'warm');
      ctx.log(
        `  ${size} concurrent, warm: ${warm.completed} completed, p50 ${warm.p50Ms} ms, peak ${warm.peakRssMiB} MiB`,
      );
      let rssAfterIdle: number | null = null;
      if (!ctx.quick) {
        await new Promise((r) => setTimeout(r, IDLE_WAIT_MS));
        rssAfterIdle = mb(treeRss(cloud.pid).bytes);
      }
      runs.push({
        concurrency: size,
        waves: [cold, warm],
        rssAtStartMiB: mb(rssAtStart),
        rssAfterIdleMiB: rssAfterIdle,
        idleWaitMs: ctx.quick ? null : IDLE_WAIT_MS,
        coldOverWarmP50: cold.p50Ms && warm.p50Ms ? round(cold.p50Ms / warm.p50Ms, 2) : null,
      });
    } finally {
      if (!ctx.sharedCloud) await cloud.stop();
    }
  }
  ctx.log(
    table(
      runs.flatMap((r) =>
        r.waves.map((w) => ({
          concurrency: w.concurrency,
          wave: w.wave,
          completed: w.completed,
          errors: w.errors,
          '202s': w.createAnswered202,
          'busy, retried': w.retriedWhenBusy,
          'p50 ms': w.p50Ms,
          'p95 ms': w.p95Ms,
          'peak RSS MiB': w.peakRssMiB,
          'after idle MiB': w.wave === 'warm' ? r.rssAfterIdleMiB : null,
        })),
      ),
    ),
  );
  return runs;
}

export const runConcurrency = (ctx: BenchContext) => runBench(ctx, 'concurrency', () => concurrency(ctx));
