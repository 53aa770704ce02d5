/**
 * Memory: peak RSS of the real SubmitUpload bundle handling one image of 1, 10 and 20 MiB, alone
 * in a fresh Node process with its template environment. The verification is brought to the point
 * where SubmitUpload runs by the pipeline itself (create, presigned POST, upload claimed); the
 * pipeline's own SubmitUpload is held back by a sandbox latency fault scoped to this benchmark's
 * users, and the standalone process — pointed at the same emulators, with a Berbix stand-in on
 * 127.0.0.1 that reads and discards the request body — does the submit instead, with the event the
 * state machine scheduled (read from the execution history).
 */
import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { encode } from 'jpeg-js';
import { presets } from '../local/test-images';
import { benchTmpDir, startBenchCloud, type BenchCloud, type FunctionInfo } from './lib/cloud';
import { ApiClient, hasStatus, setSandboxFaults } from './lib/client';
import { runBench, table, type BenchContext } from './lib/context';
import { executionArnOf, executionHistory, sfnClient } from './lib/history';
import { mb } from './lib/rss';
import { median, round } from './lib/stats';

const MiB = 1024 * 1024;
const USER_PREFIX = 'bench-memory-';
/** The largest image an upload form accepts is 20 MiB: the "20 MiB" case stays just under it. */
const SIZES = [
  { label: '1 MiB', bytes: MiB },
  { label: '10 MiB', bytes: 10 * MiB },
  { label: '19.99 MiB', bytes: 20 * MiB - 10 * 1024 },
];

/** What the image check lets a JPEG carry in APPn and COM segments (over 1 MiB is `metadata_too_large`). */
const METADATA_BUDGET = 900 * 1024;
/** Random pixels at quality 100 code to about this many bytes each (jpeg-js, measured). */
const NOISE_BYTES_PER_PIXEL = 4.1;

/** `jpeg` with COM segments of random bytes after SOI, to exactly `size` bytes. */
function padWithComments(jpeg: Buffer, size: number): Buffer {
  let pad = size - jpeg.length;
  if (pad < 0) throw new Error(`a JPEG of ${jpeg.length} bytes cannot be padded to ${size}`);
  const segments: Buffer[] = [];
  while (pad > 0) {
    // A COM segment: FF FE, a two-byte length that counts itself, then up to 65,533 bytes.
    let total = Math.min(pad, 2 + 65_535);
    if (pad - total > 0 && pad - total < 4) total -= 4; // leave room for a last whole segment
    const data = randomBytes(total - 4);
    const header = Buffer.from([0xff, 0xfe, ((total - 2) >> 8) & 0xff, (total - 2) & 0xff]);
    segments.push(header, data);
    pad -= total;
  }
  return Buffer.concat([jpeg.subarray(0, 2), ...segments, jpeg.subarray(2)]);
}

/**
 * A whole JPEG of exactly `size` bytes that the image check accepts: the licence front padded with
 * comments while that stays within the metadata budget, else a picture of random pixels (whose
 * scan data makes up the size, as a camera's would) topped up with comments.
 */
export function jpegOfSize(size: number): Buffer {
  const base = Buffer.from(presets.driversLicenseFront().bytes);
  if (size - base.length <= METADATA_BUDGET) return padWithComments(base, size);
  const width = 2048;
  let height = Math.floor((size - METADATA_BUDGET / 2) / (NOISE_BYTES_PER_PIXEL * width));
  for (let tries = 0; tries < 8; tries++) {
    const jpeg = encode({ width, height, data: randomBytes(width * height * 4) }, 100).data;
    const pad = size - jpeg.length;
    if (pad >= 0 && pad <= METADATA_BUDGET) return padWithComments(jpeg, size);
    // Off by more than the budget allows: move the height by what the difference is worth.
    height += Math.trunc((pad - METADATA_BUDGET / 2) / (NOISE_BYTES_PER_PIXEL * width)) || (pad < 0 ? -8 : 8);
  }
  throw new Error(`no JPEG of ${size} bytes could be made`);
}

/** A Berbix stand-in: reads and discards the body, answers that the back comes next. */
async function startBerbixStandIn(): Promise<{ url: string; received: number[]; close(): Promise<void> }> {
  const received: number[] = [];
  const server = createServer((req, res) => {
    let bytes = 0;
    req.on('data', (chunk: Buffer) => (bytes += chunk.length));
    req.on('end', () => {
      received.push(bytes);
      if (req.method === 'POST' && req.url === '/v0/images/upload') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ next_step: 'upload_document_back', issues: [], issue_details: {} }));
      } else {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"not in the stand-in"}');
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The function's environment in the local cloud, with Berbix replaced by the stand-in. */
function standaloneEnv(cloud: BenchCloud, f: FunctionInfo, berbixUrl: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    ...f.environment,
    ...('BERBIX_API_URL' in f.environment ? { BERBIX_API_URL: berbixUrl } : {}),
    AWS_REGION: cloud.credentials.region,
    AWS_DEFAULT_REGION: cloud.credentials.region,
    AWS_ACCESS_KEY_ID: cloud.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: cloud.credentials.secretAccessKey,
    AWS_ENDPOINT_URL_DYNAMODB: cloud.endpoints.dynamodb,
    AWS_ENDPOINT_URL_S3: cloud.endpoints.s3,
    AWS_ENDPOINT_URL_SFN: cloud.endpoints.sfn,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: cloud.endpoints.secretsManager,
    AWS_ENDPOINT_URL_EVENTBRIDGE: cloud.endpoints.eventBridge,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_LAMBDA_FUNCTION_NAME: f.name,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(f.memorySize),
    LAMBDA_TASK_ROOT: f.assetDir,
  };
}

/** The Payload the state machine scheduled for SubmitUpload, once it has. */
async function scheduledSubmit(cloud: BenchCloud, verificationId: string): Promise<unknown> {
  const sfn = sfnClient(cloud);
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const events = await executionHistory(sfn, executionArnOf(cloud.stateMachineArn, verificationId), true);
    let inSubmit = false;
    for (const e of events) {
      if (e.type?.endsWith('StateEntered')) inSubmit = e.stateEnteredEventDetails?.name === 'SubmitUpload';
      if (inSubmit && e.type === 'TaskScheduled') {
        return (JSON.parse(e.taskScheduledEventDetails!.parameters!) as { Payload: unknown }).Payload;
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`SubmitUpload was not scheduled for ${verificationId}`);
}

interface HarnessOutcome {
  ok: boolean;
  result?: { nextStep?: string };
  error?: { name: string; message: string };
  initMs: number;
  invokeMs: number;
  rssAfterInitBytes: number;
  peakRssBytes: number;
}

async function oneSubmit(
  cloud: BenchCloud,
  api: ApiClient,
  fn: FunctionInfo,
  berbixUrl: string,
  image: Buffer,
  workDir: string,
): Promise<HarnessOutcome> {
  const { token } = await api.newUser(USER_PREFIX);
  const created = await api.create(token, { id_country: 'US', id_type: 'DL' });
  const { id } = created.body;
  await api.waitFor(id, token, (v) => v.status === 'awaiting_upload');
  await api.upload(id, token, 'document_front', { bytes: image, format: 'image/jpeg' });
  await api.waitFor(id, token, hasStatus('processing'));
  const event = await scheduledSubmit(cloud, id);
  const eventFile = path.join(workDir, `${id}.json`);
  writeFileSync(eventFile, JSON.stringify(event));
  const bundle = path.join(fn.assetDir, `${fn.handler.slice(0, fn.handler.lastIndexOf('.'))}.js`);
  const exportName = fn.handler.slice(fn.handler.lastIndexOf('.') + 1);
  const env = standaloneEnv(cloud, fn, berbixUrl);
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [path.join(__dirname, 'lib', 'submit-harness.js'), bundle, eventFile, exportName],
    { env, maxBuffer: 16 * MiB },
  );
  const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (!line) throw new Error(`the standalone SubmitUpload printed no result:\n${stdout.slice(-2000)}`);
  return JSON.parse(line.slice('RESULT '.length)) as HarnessOutcome;
}

export interface MemoryFigures {
  image: string;
  imageBytes: number;
  runs: number;
  peakRssMiB: number | null;
  rssAfterInitMiB: number | null;
  /** Peak minus the RSS after init: what handling the image added. */
  addedByInvocationMiB: number | null;
  /** The peak in multiples of the image size, above the RSS after init. */
  imageCopies: number | null;
  invokeMs: number | null;
  memorySizeMb: number;
  berbixBodyBytes: number | null;
}

export async function memory(ctx: BenchContext): Promise<MemoryFigures[]> {
  const n = ctx.n ?? (ctx.quick ? 1 : 3);
  const sizes = ctx.quick ? SIZES.slice(0, 1) : SIZES;
  // Made before any request: encoding 20 MiB of pixels blocks this process for seconds, long
  // enough for the API to close an idle keep-alive connection a POST would then fail on.
  const images = sizes.map((size) => jpegOfSize(size.bytes));
  const cloud = ctx.sharedCloud ?? (await startBenchCloud(ctx.projectDir));
  const fn = cloud.functions.find((f) => f.name === 'SubmitUploadFn');
  if (!fn) throw new Error('the template has no SubmitUploadFn');
  const berbix = await startBerbixStandIn();
  const api = new ApiClient(cloud.apiUrl, { pollMs: 100 });
  const workDir = benchTmpDir('memory');
  const out: MemoryFigures[] = [];
  try {
    // The pipeline's own SubmitUpload waits on the sandbox while the standalone one submits.
    await setSandboxFaults(cloud.sandbox.httpUrl, {
      customerUidPrefix: USER_PREFIX,
      latencyMs: 60_000,
      paths: ['/v0/images/upload'],
    });
    for (const [which, size] of sizes.entries()) {
      const image = images[which]!;
      const runs: HarnessOutcome[] = [];
      for (let i = 0; i < n; i += 1) {
        const before = berbix.received.length;
        const outcome = await oneSubmit(cloud, api, fn, berbix.url, image, workDir);
        if (!outcome.ok || outcome.result?.nextStep !== 'upload_document_back') {
          throw new Error(`the standalone SubmitUpload did not submit: ${JSON.stringify(outcome)}`);
        }
        if (berbix.received.length === before) throw new Error('the Berbix stand-in received nothing');
        runs.push(outcome);
        ctx.log(`  ${size.label}, run ${i + 1}/${n}: peak RSS ${mb(outcome.peakRssBytes)} MiB`);
      }
      const peak = median(runs.map((r) => r.peakRssBytes)) ?? 0;
      const afterInit = median(runs.map((r) => r.rssAfterInitBytes)) ?? 0;
      out.push({
        image: size.label,
        imageBytes: image.length,
        runs: n,
        peakRssMiB: mb(peak),
        rssAfterInitMiB: mb(afterInit),
        addedByInvocationMiB: mb(peak - afterInit),
        imageCopies: round((peak - afterInit) / image.length, 1),
        invokeMs: round(median(runs.map((r) => r.invokeMs))),
        memorySizeMb: fn.memorySize,
        berbixBodyBytes: berbix.received[berbix.received.length - 1] ?? null,
      });
    }
  } finally {
    await setSandboxFaults(cloud.sandbox.httpUrl, { customerUidPrefix: USER_PREFIX }).catch(() => undefined);
    await berbix.close();
    if (!ctx.sharedCloud) await cloud.stop();
  }
  ctx.log(
    table(
      out.map((m) => ({
        image: m.image,
        'peak RSS MiB': m.peakRssMiB,
        'after init MiB': m.rssAfterInitMiB,
        'added MiB': m.addedByInvocationMiB,
        'image copies': m.imageCopies,
        'memory size MB': m.memorySizeMb,
      })),
    ),
  );
  return out;
}

export const runMemory = (ctx: BenchContext) => runBench(ctx, 'memory', () => memory(ctx));
