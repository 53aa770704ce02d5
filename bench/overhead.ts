/**
 * Overhead: one driver's-licence verification end to end as a client app drives it (create →
 * presigned POST of the front → wait → back → wait → result) against the same four Berbix calls
 * made directly with the official `berbix` SDK 2.0.0, on the same sandbox, at several sandbox
 * latencies. Runs are interleaved and paired; the figure is the median of the paired ratios.
 * The pipeline's time is broken down by phase from the client's clock and the execution history.
 */
import { Client, EncodedImage } from 'berbix';
import { performance } from 'node:perf_hooks';
import { globalAgent } from 'node:https';
import { presets } from '../local/test-images';
import { startBenchCloud, type BenchCloud } from './lib/cloud';
import {
  ApiClient,
  awaiting,
  BACKEND_SCOPE,
  clearSandboxCalls,
  hasStatus,
  notCreating,
  sandboxCalls,
  setSandboxFaults,
} from './lib/client';
import { runBench, table, type BenchContext } from './lib/context';
import {
  executionArnOf,
  executionHistory,
  sfnClient,
  timelineOf,
  visit,
  type ExecutionTimeline,
} from './lib/history';
import { median, medians, round } from './lib/stats';

const FRONT = presets.driversLicenseFront();
const BACK = presets.driversLicenseBack();

interface PipelineRun {
  totalMs: number;
  phases: Record<string, number | undefined>;
  berbixCalls: string[];
  createStatus: number;
}

interface SdkRun {
  totalMs: number;
  calls: { create: number; front: number; back: number; fetch: number };
}

const since = (from: number | undefined, to: number | undefined) =>
  from === undefined || to === undefined ? undefined : to - from;
const taskMs = (t: ExecutionTimeline, name: string, n = 1) => {
  const v = visit(t, name, n);
  return since(v?.scheduledAt, v?.taskEndedAt);
};

async function pipelineRun(cloud: BenchCloud, api: ApiClient, backendToken: string): Promise<PipelineRun> {
  const { token } = await api.newUser('bench-overhead-');
  await clearSandboxCalls(cloud.sandbox.httpUrl);
  const wall = () => performance.timeOrigin + performance.now();
  const t0 = wall();
  const created = await api.create(token, { id_country: 'US', id_type: 'DL' });
  const tAnswered = wall();
  const { id } = created.body;
  if (created.body.status === 'creating') await api.waitFor(id, token, notCreating);
  const tCreated = wall();
  const frontForm = await api.uploadForm(id, token, 'document_front');
  const tFrontForm = wall();
  await api.postForm(frontForm, FRONT.bytes);
  const tFrontPosted = wall();
  await api.waitFor(id, token, awaiting('upload_document_back'));
  const tFrontSeen = wall();
  const backForm = await api.uploadForm(id, token, 'document_back');
  const tBackForm = wall();
  await api.postForm(backForm, BACK.bytes);
  const tBackPosted = wall();
  await api.waitFor(id, token, hasStatus('completed'));
  const tCompletedSeen = wall();
  await api.result(id, backendToken);
  const tResult = wall();

  const t = timelineOf(await executionHistory(sfnClient(cloud), executionArnOf(cloud.stateMachineArn, id)));
  const frontWait = visit(t, 'AwaitDocumentFront');
  const backWait = visit(t, 'AwaitDocumentBack');
  const submitFront = visit(t, 'SubmitUpload', 1);
  const submitBack = visit(t, 'SubmitUpload', 2);
  const fetchResult = visit(t, 'FetchResult');
  const phases: Record<string, number | undefined> = {
    'create: POST /verifications': tAnswered - t0,
    'create: CreateTransaction task': taskMs(t, 'CreateTransaction'),
    'create: waiting for creating to end': tCreated - tAnswered,
    'front: upload form': tFrontForm - tCreated,
    'front: POST to S3': tFrontPosted - tFrontForm,
    'front: S3 event to wait resumed': since(tFrontPosted, frontWait?.taskEndedAt),
    'front: SubmitUpload task': taskMs(t, 'SubmitUpload', 1),
    // The next wait opens with SubmitUpload's record; arming it runs alongside the client.
    'front: client notices': since(submitFront?.taskEndedAt, tFrontSeen),
    'front: next wait armed (alongside)': since(submitFront?.taskEndedAt, backWait?.submittedAt),
    'back: upload form': tBackForm - tFrontSeen,
    'back: POST to S3': tBackPosted - tBackForm,
    'back: S3 event to wait resumed': since(tBackPosted, backWait?.taskEndedAt),
    'back: SubmitUpload task': taskMs(t, 'SubmitUpload', 2),
    'back: to FetchResult': since(submitBack?.taskEndedAt, fetchResult?.scheduledAt),
    'back: FetchResult task': taskMs(t, 'FetchResult'),
    'back: client notices': since(fetchResult?.taskEndedAt, tCompletedSeen),
    'result: GET /result': tResult - tCompletedSeen,
  };
  const berbixCalls = (await sandboxCalls(cloud.sandbox.httpUrl)).map((c) => `${c.method} ${c.path}`);
  return { totalMs: tResult - t0, phases, berbixCalls, createStatus: created.status };
}

async function sdkRun(cloud: BenchCloud, client: Client, n: number): Promise<SdkRun> {
  const t0 = performance.now();
  const tokens = await client.createApiOnlyTransaction({
    customerUid: `bench-sdk-${n}`,
    templateKey: cloud.templateKey,
    apiOnlyOpts: { idCountry: 'US', idType: 'DL' },
  });
  const t1 = performance.now();
  await client.uploadImages(tokens, {
    images: [new EncodedImage(Buffer.from(FRONT.bytes).toString('base64'), 'document_front', 'image/jpeg')],
  });
  const t2 = performance.now();
  await client.uploadImages(tokens, {
    images: [new EncodedImage(Buffer.from(BACK.bytes).toString('base64'), 'document_back', 'image/jpeg')],
  });
  const t3 = performance.now();
  await client.fetchTransaction(tokens);
  const t4 = performance.now();
  return { totalMs: t4 - t0, calls: { create: t1 - t0, front: t2 - t1, back: t3 - t2, fetch: t4 - t3 } };
}

/** Where the pipeline's extra time goes, from the phase medians and the SDK's own call times. */
function overheadBuckets(phases: Record<string, number | null>, sdk: Record<string, number | null>) {
  const p = (k: string) => phases[k] ?? 0;
  const s = (k: string) => sdk[k] ?? 0;
  return {
    'client polling (noticing a new state)':
      p('create: waiting for creating to end') + p('front: client notices') + p('back: client notices'),
    'create beyond CreateTransaction (StartExecution, the poll for the transaction)':
      p('create: POST /verifications') - p('create: CreateTransaction task'),
    'AWS calls in the Berbix-calling tasks (task minus the same Berbix call made by the SDK)':
      p('create: CreateTransaction task') -
      s('create') +
      (p('front: SubmitUpload task') - s('front')) +
      (p('back: SubmitUpload task') - s('back')) +
      (p('back: FetchResult task') - s('fetch')),
    'uploads and S3 events (forms, POSTs, event to wait resumed)':
      p('front: upload form') +
      p('front: POST to S3') +
      p('front: S3 event to wait resumed') +
      p('back: upload form') +
      p('back: POST to S3') +
      p('back: S3 event to wait resumed'),
    'state transitions (SubmitUpload to FetchResult)': p('back: to FetchResult'),
    'reading the result': p('result: GET /result'),
  };
}

export interface OverheadLevel {
  latencyMs: number;
  n: number;
  medianRatio: number | null;
  ratios: number[];
  pipelineMedianMs: number | null;
  sdkMedianMs: number | null;
  overheadMedianMs: number | null;
  pipelinePhasesMedianMs: Record<string, number | null>;
  sdkCallsMedianMs: Record<string, number | null>;
  overheadBucketsMs: Record<string, number | null>;
  berbixCallsPerPipelineRun: string[];
  createAnswered202: number;
}

export async function overhead(ctx: BenchContext): Promise<OverheadLevel[]> {
  const n = ctx.n ?? (ctx.quick ? 1 : 10);
  const latencies = ctx.quick ? [0] : [0, 50, 300];
  const cloud = ctx.sharedCloud ?? (await startBenchCloud(ctx.projectDir));
  const previousCa = globalAgent.options.ca;
  // The SDK calls https.request without an agent: the global agent must trust the sandbox's CA.
  globalAgent.options.ca = cloud.sandbox.caCertPem;
  const sdk = new Client({ apiSecret: cloud.sandbox.apiSecret, apiHost: cloud.sandbox.httpsUrl });
  const api = new ApiClient(cloud.apiUrl);
  const levels: OverheadLevel[] = [];
  try {
    const backendToken = await api.mintToken('bench-backend', [BACKEND_SCOPE]);
    for (const latencyMs of latencies) {
      await setSandboxFaults(cloud.sandbox.httpUrl, { latencyMs });
      // One unmeasured run of each first: cold starts are not what this benchmark is about (on a
      // busy machine, or a quick run's short abandon time, that cold run may not even complete).
      await pipelineRun(cloud, api, backendToken).catch(() => undefined);
      await sdkRun(cloud, sdk, -1);
      const pipeline: PipelineRun[] = [];
      const direct: SdkRun[] = [];
      for (let i = 0; i < n; i += 1) {
        // Interleaved, alternating which goes first, so drift in the machine's load hits both.
        if (i % 2 === 0) {
          pipeline.push(await pipelineRun(cloud, api, backendToken));
          direct.push(await sdkRun(cloud, sdk, i));
        } else {
          direct.push(await sdkRun(cloud, sdk, i));
          pipeline.push(await pipelineRun(cloud, api, backendToken));
        }
        ctx.log(
          `  latency ${latencyMs} ms, run ${i + 1}/${n}: pipeline ${pipeline[i]!.totalMs.toFixed(0)} ms, SDK ${direct[i]!.totalMs.toFixed(0)} ms`,
        );
      }
      const ratios = pipeline.map((p, i) => p.totalMs / direct[i]!.totalMs);
      const phaseMedians = medians(pipeline.map((p) => p.phases));
      const sdkMedians = medians(direct.map((d) => d.calls));
      const bucketMedians = medians(
        pipeline.map((p, i) => overheadBuckets(medians([p.phases]), medians([direct[i]!.calls]))),
      );
      levels.push({
        latencyMs,
        n,
        medianRatio: round(median(ratios), 3),
        ratios: ratios.map((r) => round(r, 3)!),
        pipelineMedianMs: round(median(pipeline.map((p) => p.totalMs))),
        sdkMedianMs: round(median(direct.map((d) => d.totalMs))),
        overheadMedianMs: round(median(pipeline.map((p, i) => p.totalMs - direct[i]!.totalMs))),
        pipelinePhasesMedianMs: phaseMedians,
        sdkCallsMedianMs: sdkMedians,
        overheadBucketsMs: bucketMedians,
        berbixCallsPerPipelineRun: pipeline[0]?.berbixCalls ?? [],
        createAnswered202: pipeline.filter((p) => p.createStatus === 202).length,
      });
    }
  } finally {
    await setSandboxFaults(cloud.sandbox.httpUrl, {}).catch(() => undefined);
    globalAgent.options.ca = previousCa;
    globalAgent.destroy();
    if (!ctx.sharedCloud) await cloud.stop();
  }
  ctx.log(
    table(
      levels.map((l) => ({
        'latency ms': l.latencyMs,
        n: l.n,
        'pipeline ms': l.pipelineMedianMs,
        'SDK ms': l.sdkMedianMs,
        'median ratio': l.medianRatio,
      })),
    ),
  );
  const last = levels[levels.length - 1];
  if (last) {
    ctx.log(`  phases at ${last.latencyMs} ms (median ms):`);
    ctx.log(table(Object.entries(last.pipelinePhasesMedianMs).map(([phase, ms]) => ({ phase, ms }))));
    ctx.log(table(Object.entries(last.overheadBucketsMs).map(([where, ms]) => ({ where, ms }))));
  }
  return levels;
}

export const runOverhead = (ctx: BenchContext) => runBench(ctx, 'overhead', () => overhead(ctx));
