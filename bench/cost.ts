/**
 * Cost per scenario: what one verification asks of AWS and Berbix, counted on the local cloud, and
 * priced per 1,000 verifications with us-east-1 list prices (PRICES below; docs/benchmarks.md
 * states them with their date). Counted from: the execution history (state transitions), the
 * local runtime's REPORT lines (Lambda invocations and duration), a metering proxy in front of the
 * emulators (DynamoDB units, S3 / Secrets Manager / EventBridge requests), the client (HTTP API
 * requests) and the sandbox's call and webhook logs (Berbix calls, webhook requests).
 */
import { openSync, readSync, statSync, closeSync } from 'node:fs';
import { DescribeExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { presets, SAMPLE_AAMVA } from '../local/test-images';
import { countsBetween, startAwsMeter, type AwsMeter, type MeterCounts } from './lib/aws-meter';
import { startBenchCloud, type BenchCloud } from './lib/cloud';
import {
  ApiClient,
  awaiting,
  BACKEND_SCOPE,
  hasStatus,
  judged,
  notCreating,
  sandboxCalls,
  type Verification,
} from './lib/client';
import { runBench, table, type BenchContext } from './lib/context';
import { executionArnOf, executionHistory, sfnClient, timelineOf } from './lib/history';
import { median, round } from './lib/stats';

/** us-east-1 list prices in USD (see docs/benchmarks.md for the date they were read). */
export const PRICES = {
  stepFunctionsPerTransition: 0.025 / 1000,
  lambdaPerRequest: 0.2 / 1e6,
  /** Arm64, the stack's architecture. */
  lambdaPerGbSecond: 0.0000133334,
  httpApiPerRequest: 1.0 / 1e6,
  dynamoPerWriteUnit: 0.625 / 1e6,
  dynamoPerReadUnit: 0.125 / 1e6,
  s3PerPutPostListRequest: 0.005 / 1000,
  s3PerGetRequest: 0.0004 / 1000,
  secretsManagerPerCall: 0.05 / 10_000,
  eventBridgePerEvent: 1.0 / 1e6,
  cloudWatchLogsPerGb: 0.5,
};

/** How long a wait for an upload lasts before the verification is abandoned, in this benchmark. */
export const ABANDON_AFTER_SECONDS = { quick: 8, full: 12 };

type Step = (api: ApiClient, id: string, token: string) => Promise<void>;
const upload =
  (step: string, image: { bytes: Uint8Array; format: string }): Step =>
  (api, id, token) =>
    api.upload(id, token, step, image);
const waitFor =
  (until: (v: Verification) => boolean): Step =>
  async (api, id, token) => {
    await api.waitFor(id, token, until);
  };

interface Scenario {
  name: string;
  create: Record<string, unknown>;
  steps: Step[];
  /** The verification's last status. */
  ends: string;
  /** The client reads the result at the end. */
  readsResult: boolean;
}

const SCENARIOS: Scenario[] = [
  {
    name: "driver's licence",
    create: { id_country: 'US', id_type: 'DL' },
    steps: [
      upload('document_front', presets.driversLicenseFront()),
      waitFor(awaiting('upload_document_back')),
      upload('document_back', presets.driversLicenseBack()),
      waitFor(hasStatus('completed')),
    ],
    ends: 'completed',
    readsResult: true,
  },
  {
    name: 'passport',
    create: { id_country: 'GB', id_type: 'P' },
    steps: [upload('document_front', presets.passport()), waitFor(hasStatus('completed'))],
    ends: 'completed',
    readsResult: true,
  },
  {
    name: 'one retake',
    create: { id_country: 'US', id_type: 'DL' },
    steps: [
      upload('document_front', presets.blurryFront()),
      waitFor((v) => judged('document_front', 1)(v) && awaiting('upload_document_front')(v)),
      upload('document_front', presets.driversLicenseFront()),
      waitFor(awaiting('upload_document_back')),
      upload('document_back', presets.driversLicenseBack()),
      waitFor(hasStatus('completed')),
    ],
    ends: 'completed',
    readsResult: true,
  },
  {
    name: 'barcode scan',
    create: { id_country: 'US', id_type: 'DL' },
    steps: [
      (api, id, token) => api.scan(id, token, Buffer.from(SAMPLE_AAMVA, 'latin1').toString('base64')),
      waitFor(hasStatus('completed')),
    ],
    ends: 'completed',
    readsResult: true,
  },
  {
    name: 'abandoned',
    create: { id_country: 'US', id_type: 'DL' },
    steps: [],
    ends: 'abandoned',
    readsResult: false,
  },
];

interface LambdaReport {
  function: string;
  billedMs: number;
  memoryMb: number;
  initMs?: number;
}

/** Reads the REPORT lines the local runtime appended to the log since `offset`. */
function reportsSince(
  logFile: string,
  offset: number,
): { reports: LambdaReport[]; logBytes: number; end: number } {
  const end = statSync(logFile).size;
  const buffer = Buffer.alloc(end - offset);
  const fd = openSync(logFile, 'r');
  try {
    readSync(fd, buffer, 0, buffer.length, offset);
  } finally {
    closeSync(fd);
  }
  const reports: LambdaReport[] = [];
  let logBytes = 0;
  for (const line of buffer.toString('utf8').split('\n')) {
    const fn = /^\[([\w-]+)\] (.*)$/.exec(line);
    if (!fn) continue;
    // What the function printed is what CloudWatch Logs would ingest (REPORT lines included).
    logBytes += Buffer.byteLength(fn[2]!) + 1;
    const report =
      /^REPORT .*Billed Duration: (\d+) ms\tMemory Size: (\d+) MB(?:\tInit Duration: ([\d.]+) ms)?/.exec(
        fn[2]!,
      );
    if (report) {
      reports.push({
        function: fn[1]!,
        billedMs: Number(report[1]),
        memoryMb: Number(report[2]),
        initMs: report[3] === undefined ? undefined : Number(report[3]),
      });
    }
  }
  return { reports, logBytes, end };
}

async function executionEnded(sfn: SFNClient, executionArn: string, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { status } = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (status !== 'RUNNING') return status ?? 'UNKNOWN';
    if (Date.now() > deadline) throw new Error(`${executionArn} still running after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function webhookDeliveries(sandboxUrl: string): Promise<number> {
  const res = await fetch(`${sandboxUrl}/_sandbox/webhooks`);
  return ((await res.json()) as { deliveries: unknown[] }).deliveries.length;
}

export interface ScenarioCost {
  scenario: string;
  runs: number;
  stateTransitions: number;
  lambdaInvocations: number | null;
  lambdaGbSeconds: number | null;
  /** Invocations per function (median run). */
  invocationsByFunction: Record<string, number> | null;
  coldStarts: number | null;
  dynamoReadUnits: number;
  dynamoWriteUnits: number;
  /** Client calls to the HTTP API, and the Berbix webhooks that reach it. */
  apiRequests: number;
  statusReads: number;
  webhookRequests: number;
  s3Requests: Record<string, number>;
  secretsManagerCalls: number;
  eventsPut: number;
  awsCalls: Record<string, number>;
  berbixCalls: Record<string, number>;
  logKiB: number | null;
  usdPer1000: Record<string, number | null>;
}

interface RunCounts {
  transitions: number;
  reports: LambdaReport[] | null;
  logBytes: number;
  meter: MeterCounts;
  apiRequests: number;
  statusReads: number;
  webhooks: number;
  berbix: Record<string, number>;
}

async function runScenario(
  cloud: BenchCloud,
  meter: AwsMeter,
  sfn: SFNClient,
  scenario: Scenario,
  backendToken: string,
  logOffset: number,
): Promise<RunCounts & { logOffset: number }> {
  const api = new ApiClient(cloud.apiUrl);
  const { token } = await api.newUser('bench-cost-');
  const before = meter.counts();
  const webhooksBefore = await webhookDeliveries(cloud.sandbox.httpUrl);
  const berbixBefore = (await sandboxCalls(cloud.sandbox.httpUrl)).length;

  const created = await api.create(token, scenario.create);
  const { id } = created.body;
  if (created.body.status === 'creating') await api.waitFor(id, token, notCreating);
  for (const step of scenario.steps) await step(api, id, token);
  if (scenario.readsResult) await api.result(id, backendToken);
  const executionArn = executionArnOf(cloud.stateMachineArn, id);
  await executionEnded(sfn, executionArn, (ABANDON_AFTER_SECONDS.full + 60) * 1000);
  const final = await api.call<Verification>('GET', `/verifications/${id}`, { token, count: false });
  if (final.body.status !== scenario.ends)
    throw new Error(`${scenario.name}: ended ${final.body.status}, expected ${scenario.ends}`);
  // Webhooks and the last log lines may trail the execution's end by a moment.
  await new Promise((r) => setTimeout(r, 500));

  const timeline = timelineOf(await executionHistory(sfn, executionArn));
  const { reports, logBytes, end } = reportsSince(cloud.logFile, logOffset);
  const berbix: Record<string, number> = {};
  for (const c of (await sandboxCalls(cloud.sandbox.httpUrl)).slice(berbixBefore)) {
    berbix[`${c.method} ${c.path}`] = (berbix[`${c.method} ${c.path}`] ?? 0) + 1;
  }
  return {
    transitions: timeline.stateTransitions,
    reports: reports.length > 0 ? reports : null,
    logBytes,
    meter: countsBetween(before, meter.counts()),
    apiRequests: api.requests,
    statusReads: api.statusReads,
    webhooks: (await webhookDeliveries(cloud.sandbox.httpUrl)) - webhooksBefore,
    berbix,
    logOffset: end,
  };
}

function price(
  c: Omit<ScenarioCost, 'usdPer1000' | 'scenario' | 'runs' | 'awsCalls'>,
): Record<string, number | null> {
  const s3PutLike = (c.s3Requests.POST ?? 0) + (c.s3Requests.PUT ?? 0) + (c.s3Requests.LIST ?? 0);
  const s3GetLike = (c.s3Requests.GET ?? 0) + (c.s3Requests.HEAD ?? 0);
  const per1000 = (usd: number | null) => (usd === null ? null : round(usd * 1000, 4));
  const parts = {
    'Step Functions': per1000(c.stateTransitions * PRICES.stepFunctionsPerTransition),
    'Lambda requests':
      c.lambdaInvocations === null ? null : per1000(c.lambdaInvocations * PRICES.lambdaPerRequest),
    'Lambda duration':
      c.lambdaGbSeconds === null ? null : per1000(c.lambdaGbSeconds * PRICES.lambdaPerGbSecond),
    'HTTP API': per1000((c.apiRequests + c.webhookRequests) * PRICES.httpApiPerRequest),
    DynamoDB: per1000(
      c.dynamoReadUnits * PRICES.dynamoPerReadUnit + c.dynamoWriteUnits * PRICES.dynamoPerWriteUnit,
    ),
    S3: per1000(s3PutLike * PRICES.s3PerPutPostListRequest + s3GetLike * PRICES.s3PerGetRequest),
    'Secrets Manager': per1000(c.secretsManagerCalls * PRICES.secretsManagerPerCall),
    EventBridge: per1000(c.eventsPut * PRICES.eventBridgePerEvent),
    'CloudWatch Logs':
      c.logKiB === null ? null : per1000(((c.logKiB * 1024) / 1024 ** 3) * PRICES.cloudWatchLogsPerGb),
  };
  const total = Object.values(parts).reduce<number>((n, v) => n + (v ?? 0), 0);
  return { ...parts, total: round(total, 4) };
}

const medianOf = (values: number[]) => median(values) ?? 0;
const medianRecord = (records: Record<string, number>[]) => {
  const keys = [...new Set(records.flatMap((r) => Object.keys(r)))].sort();
  return Object.fromEntries(keys.map((k) => [k, medianOf(records.map((r) => r[k] ?? 0))]));
};

function summarize(scenario: string, runs: RunCounts[]): ScenarioCost {
  const withReports = runs.every((r) => r.reports !== null);
  const gbSeconds = (r: RunCounts) =>
    (r.reports ?? []).reduce((n, x) => n + (x.billedMs / 1000) * (x.memoryMb / 1024), 0);
  const byFunction = (r: RunCounts) => {
    const out: Record<string, number> = {};
    for (const x of r.reports ?? []) out[x.function] = (out[x.function] ?? 0) + 1;
    return out;
  };
  const s3 = (r: RunCounts) =>
    Object.fromEntries(
      Object.entries(r.meter.calls)
        .filter(([k]) => k.startsWith('s3.'))
        .map(([k, v]) => [k.slice(3), v]),
    );
  const c = {
    stateTransitions: medianOf(runs.map((r) => r.transitions)),
    lambdaInvocations: withReports ? medianOf(runs.map((r) => r.reports!.length)) : null,
    lambdaGbSeconds: withReports ? round(medianOf(runs.map(gbSeconds)), 3) : null,
    invocationsByFunction: withReports ? medianRecord(runs.map(byFunction)) : null,
    coldStarts: withReports
      ? medianOf(runs.map((r) => r.reports!.filter((x) => x.initMs !== undefined).length))
      : null,
    dynamoReadUnits: medianOf(runs.map((r) => r.meter.dynamoReadUnits)),
    dynamoWriteUnits: medianOf(runs.map((r) => r.meter.dynamoWriteUnits)),
    apiRequests: medianOf(runs.map((r) => r.apiRequests)),
    statusReads: medianOf(runs.map((r) => r.statusReads)),
    webhookRequests: medianOf(runs.map((r) => r.webhooks)),
    s3Requests: medianRecord(runs.map(s3)),
    secretsManagerCalls: medianOf(runs.map((r) => r.meter.calls['secretsManager.GetSecretValue'] ?? 0)),
    eventsPut: medianOf(runs.map((r) => r.meter.eventsPut)),
    berbixCalls: medianRecord(runs.map((r) => r.berbix)),
    logKiB: withReports ? round(medianOf(runs.map((r) => r.logBytes)) / 1024, 1) : null,
  };
  return {
    scenario,
    runs: runs.length,
    ...c,
    awsCalls: medianRecord(runs.map((r) => r.meter.calls)),
    usdPer1000: price(c),
  };
}

export async function cost(ctx: BenchContext): Promise<{ prices: typeof PRICES; scenarios: ScenarioCost[] }> {
  const n = ctx.n ?? (ctx.quick ? 1 : 3);
  const abandonAfter = ctx.quick ? ABANDON_AFTER_SECONDS.quick : ABANDON_AFTER_SECONDS.full;
  const shared = ctx.sharedCloud && ctx.sharedMeter;
  const meter = ctx.sharedMeter ?? (await startAwsMeter());
  const cloud =
    (shared && ctx.sharedCloud) ||
    (await startBenchCloud(ctx.projectDir, {
      envOverrides: { ...meter.envOverrides, ABANDON_AFTER_SECONDS: String(abandonAfter) },
    }));
  meter.setTargets(cloud.endpoints);
  const sfn = sfnClient(cloud);
  const scenarios: ScenarioCost[] = [];
  try {
    const backendToken = await new ApiClient(cloud.apiUrl).mintToken('bench-backend', [BACKEND_SCOPE]);
    let logOffset = statSync(cloud.logFile).size;
    // One unmeasured driver's licence first (a shared cloud is warm already): cold starts are the
    // concurrency benchmark's subject. On a busy machine it may be slow enough to be abandoned.
    if (!shared) {
      await runScenario(cloud, meter, sfn, SCENARIOS[0]!, backendToken, logOffset).catch(() => undefined);
      logOffset = statSync(cloud.logFile).size;
    }
    for (const scenario of SCENARIOS) {
      const runs: RunCounts[] = [];
      for (let i = 0; i < n; i += 1) {
        const run = await runScenario(cloud, meter, sfn, scenario, backendToken, logOffset);
        logOffset = run.logOffset;
        runs.push(run);
      }
      scenarios.push(summarize(scenario.name, runs));
      ctx.log(`  ${scenario.name}: ${n} run(s)`);
    }
  } finally {
    if (!shared) {
      await cloud.stop();
      await meter.close();
    }
  }
  ctx.log(
    table(
      scenarios.map((s) => ({
        scenario: s.scenario,
        transitions: s.stateTransitions,
        invocations: s.lambdaInvocations,
        'GB-s': s.lambdaGbSeconds,
        RRU: s.dynamoReadUnits,
        WRU: s.dynamoWriteUnits,
        'API req': s.apiRequests + s.webhookRequests,
        'Berbix calls': Object.values(s.berbixCalls).reduce((a, b) => a + b, 0),
        'USD/1000': s.usdPer1000.total,
      })),
    ),
  );
  return { prices: PRICES, scenarios };
}

export const runCost = (ctx: BenchContext) => runBench(ctx, 'cost', () => cost(ctx));
