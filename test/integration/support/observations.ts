/**
 * What the leak scan (leak-scan.ts) reads, gathered while a jest project on a local cloud runs:
 *
 * - in the test workers: every answer of the API and of S3 to a test (fetch is wrapped by
 *   record-observations.ts, a jest setup file), the bytes of every image and id scan a test sends,
 *   and the CLI's output (cli.ts);
 * - from each local cloud, just before it stops (cloud-process.ts): the execution histories of its
 *   state machines, its S3 keys and object metadata, its EventBridge events, the Berbix tokens its
 *   sandbox issued and its secrets; and its log file.
 *
 * Everything goes to files in a directory named in the environment
 * (`BERBIX_SERVERLESS_<PROJECT>_OBSERVED`, made by the project's global setup), which the global
 * teardown scans once every worker is gone (see scanObservations).
 */
import { appendFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  SFNClient,
} from '@aws-sdk/client-sfn';
import { HeadObjectCommand, ListBucketsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { presets, SAMPLE_AAMVA, type TestImage } from '../../../local/test-images';
import { configEnvFor, type CloudName, type IntegrationConfig } from './config';
import {
  byteNeedles,
  describeFindings,
  distinctiveSlices,
  isBackendResult,
  personalFieldNeedles,
  scanForLeaks,
  secretNeedles,
  tokenNeedles,
  type DocumentFields,
  type Haystack,
  type IssuedToken,
  type Needle,
} from './leak-scan';

export const observationsEnvFor = (name: CloudName): string =>
  `BERBIX_SERVERLESS_${name.toUpperCase()}_OBSERVED`;

/** This project's observations directory (in a test worker: the project named by jest's globals). */
export function observationsDir(name = globalThis.__LOCAL_CLOUD_NAME__): string | undefined {
  return name ? process.env[observationsEnvFor(name)] : undefined;
}

type Observation =
  | { type: 'haystack'; where: string; text: string }
  | { type: 'upload'; kind: 'image bytes' | 'id scan bytes'; slices: string[] };

function record(observation: Observation, dir = observationsDir()): void {
  if (!dir) return;
  appendFileSync(path.join(dir, `records-${process.pid}.jsonl`), `${JSON.stringify(observation)}\n`);
}

/** Output a test saw (e.g. the CLI's). */
export const recordOutput = (where: string, text: string): void => record({ type: 'haystack', where, text });

/** Bytes a test sent into the pipeline: slices of them are needles. */
export function recordSentBytes(kind: 'image bytes' | 'id scan bytes', bytes: Uint8Array): void {
  const slices = distinctiveSlices(bytes).map((s) => Buffer.from(s).toString('base64'));
  if (slices.length > 0) record({ type: 'upload', kind, slices });
}

// ---- In the test workers: fetch --------------------------------------------------------------

declare global {
  /** Origins whose answers are the pipeline's (API, S3), by origin: the clouds started in this process. */
  var __berbixPipelineOrigins: Map<string, 'API' | 'S3'> | undefined;
}

/** Registers a cloud's API and S3 origins: answers from them are recorded. */
export function registerPipelineOrigins(config: Pick<IntegrationConfig, 'apiUrl' | 'endpoints'>): void {
  const origins = (globalThis.__berbixPipelineOrigins ??= new Map());
  origins.set(new URL(config.apiUrl).origin, 'API');
  origins.set(new URL(config.endpoints.s3).origin, 'S3');
}

async function recordRequestBytes(url: URL, method: string, input: unknown, init?: RequestInit) {
  if (method !== 'POST') return;
  const body = init?.body;
  if (body instanceof FormData) {
    for (const [, value] of body.entries()) {
      if (typeof value !== 'string')
        recordSentBytes('image bytes', new Uint8Array(await value.arrayBuffer()));
    }
    return;
  }
  if (!/\/id-scans$/.test(url.pathname)) return;
  const text =
    typeof body === 'string' ? body : input instanceof Request ? await input.clone().text() : undefined;
  try {
    const data = (JSON.parse(text ?? '') as { data?: unknown }).data;
    if (typeof data === 'string') recordSentBytes('id scan bytes', Buffer.from(data, 'base64'));
  } catch {
    // not JSON: nothing was scanned in
  }
}

/**
 * Records one answer of the pipeline to a test (or to the browser a test drives). The body is read
 * only when it is scanned.
 */
export async function recordAnswer(answer: {
  by: 'API' | 'S3';
  method: string;
  pathname: string;
  status: number;
  headers: Iterable<[string, string]>;
  body: () => Promise<string>;
}): Promise<void> {
  const { by, method, pathname, status } = answer;
  const where = `the ${by}'s answer to ${method} ${pathname} (${status})`;
  const headers = [...answer.headers].map(([name, value]) => `${name}: ${value}`).join('\n');
  recordOutput(`${where}, headers`, headers);
  // The one body given the extracted fields by design (see isBackendResult); its headers are scanned.
  if (isBackendResult(method, pathname, status)) return;
  const body = await answer.body().catch((err: unknown) => `(body unreadable: ${(err as Error).name})`);
  recordOutput(`${where}, body`, body);
}

/**
 * Wraps this test environment's fetch (a jest setup file calls this) so that every answer from a
 * pipeline origin is recorded, and the images and id scans sent to it. A no-op outside a project
 * on a local cloud.
 */
export function installFetchRecorder(): void {
  if (!observationsDir()) return;
  const original = globalThis.fetch;
  globalThis.fetch = async function recordingFetch(input: RequestInfo | URL, init?: RequestInit) {
    const request = input instanceof Request ? input : undefined;
    const url = new URL(request ? request.url : String(input));
    const method = (init?.method ?? request?.method ?? 'GET').toUpperCase();
    const by = pipelineOriginKind(url.origin);
    if (by) await recordRequestBytes(url, method, input, init);
    const response = await original(input, init);
    if (by) {
      await recordAnswer({
        by,
        method,
        pathname: url.pathname,
        status: response.status,
        headers: response.headers,
        body: () => response.clone().text(),
      });
    }
    return response;
  };
}

let projectCloudRegistered = false;

/** Whether answers from this origin are the pipeline's: its API's or its S3's. */
export function pipelineOriginKind(origin: string): 'API' | 'S3' | undefined {
  return pipelineOrigins().get(origin);
}

function pipelineOrigins(): Map<string, 'API' | 'S3'> {
  if (!projectCloudRegistered && globalThis.__LOCAL_CLOUD_NAME__) {
    // This project's own cloud, named by the global setup's config file.
    const file = process.env[configEnvFor(globalThis.__LOCAL_CLOUD_NAME__)];
    if (file) registerPipelineOrigins(JSON.parse(readFileSync(file, 'utf8')) as IntegrationConfig);
    projectCloudRegistered = true;
  }
  return globalThis.__berbixPipelineOrigins ?? new Map();
}

// ---- From a local cloud, before it stops -----------------------------------------------------

type CloudAddresses = Omit<IntegrationConfig, 'logFile'>;

interface CloudObservations {
  logFile: string;
  /** How long observing it took. */
  ms: number;
  tokens: IssuedToken[];
  apiSecret: string;
  webhookSecret: string;
  haystacks: Haystack[];
}

function getJson<T>(url: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = get(url, { timeout: 10_000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => {
        if (res.statusCode !== 200)
          reject(new Error(`GET ${new URL(url).pathname} answered ${res.statusCode}`));
        else resolve(JSON.parse(text) as T);
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${new URL(url).pathname} timed out`)));
    req.on('error', reject);
  });
}

/** Runs `work` on each item, `limit` at a time. */
async function eachLimited<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

const lines = (values: unknown[]) => values.map((v) => JSON.stringify(v)).join('\n');

async function executionHistories(sfn: SFNClient): Promise<Haystack[]> {
  const haystacks: Haystack[] = [];
  const { stateMachines = [] } = await sfn.send(new ListStateMachinesCommand({}));
  for (const machine of stateMachines) {
    const executions: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await sfn.send(
        new ListExecutionsCommand({ stateMachineArn: machine.stateMachineArn, maxResults: 1000, nextToken }),
      );
      executions.push(...(page.executions ?? []).map((e) => e.executionArn!));
      nextToken = page.nextToken;
    } while (nextToken);
    await eachLimited(executions, 8, async (executionArn) => {
      const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      const { $metadata: _, ...execution } = described;
      const events: unknown[] = [];
      let token: string | undefined;
      do {
        const page = await sfn.send(
          new GetExecutionHistoryCommand({ executionArn, maxResults: 1000, nextToken: token }),
        );
        events.push(...(page.events ?? []));
        token = page.nextToken;
      } while (token);
      haystacks.push({
        where: `the execution history of ${machine.name}/${execution.name} (line 1: DescribeExecution, then one event a line)`,
        text: lines([execution, ...events]),
      });
    });
  }
  return haystacks;
}

async function s3Objects(s3: S3Client): Promise<string[]> {
  const found: string[] = [];
  const { Buckets = [] } = await s3.send(new ListBucketsCommand({}));
  for (const { Name: bucket } of Buckets) {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
      keys.push(...(page.Contents ?? []).map((c) => c.Key!));
      token = page.NextContinuationToken;
    } while (token);
    await eachLimited(keys, 8, async (key) => {
      const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      const { $metadata: _, Body: __, ...meta } = head as typeof head & { Body?: unknown };
      found.push(`${bucket}/${key} ${JSON.stringify(meta)}`);
    });
  }
  return found;
}

/** Everything a running cloud makes observable, and what must never be in it. */
export async function observeCloud(config: CloudAddresses, logFile: string): Promise<CloudObservations> {
  const started = performance.now();
  const aws = { region: config.credentials.region, credentials: config.credentials };
  const sfn = new SFNClient({ ...aws, endpoint: config.endpoints.sfn });
  const s3 = new S3Client({ ...aws, endpoint: config.endpoints.s3, forcePathStyle: true });
  try {
    const [issued, info, events, seen, metrics, histories, left] = await Promise.all([
      getJson<{ tokens: IssuedToken[] }>(`${config.sandboxUrl}/_sandbox/issued-tokens`),
      getJson<{ apiSecret: string }>(`${config.sandboxUrl}/_sandbox/info`),
      getJson<{ events: unknown[] }>(`${config.apiUrl}/_local/events`),
      getJson<{ objects: unknown[] }>(`${config.apiUrl}/_local/s3/objects`),
      getJson<{ series: unknown[] }>(`${config.apiUrl}/_local/metrics`),
      executionHistories(sfn),
      s3Objects(s3),
    ]);
    return {
      logFile,
      ms: performance.now() - started,
      tokens: issued.tokens,
      apiSecret: info.apiSecret,
      webhookSecret: config.webhookSecret,
      haystacks: [
        ...histories,
        { where: 'the EventBridge events (GET /_local/events, one a line)', text: lines(events.events) },
        { where: 'the S3 keys ever written (GET /_local/s3/objects, one a line)', text: lines(seen.objects) },
        { where: 'the metric series (GET /_local/metrics, one a line)', text: lines(metrics.series) },
        { where: 'the S3 objects left and their metadata (one a line)', text: left.join('\n') },
      ],
    };
  } finally {
    sfn.destroy();
    s3.destroy();
  }
}

/** Observes a cloud into `dir` (a failure to observe is recorded too: the scan then fails). */
export async function recordCloud(
  dir: string,
  config: CloudAddresses,
  logFile: string,
  unobservable?: string,
): Promise<void> {
  const file = path.join(
    dir,
    `cloud-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}.json`,
  );
  try {
    if (unobservable) throw new Error(unobservable);
    writeFileSync(file, JSON.stringify(await observeCloud(config, logFile)));
  } catch (err) {
    writeFileSync(file, JSON.stringify({ logFile, error: (err as Error).message }));
  }
}

// ---- In the global teardown: the scan --------------------------------------------------------

export interface ScanReport {
  /** Empty when nothing leaked. */
  problems: string[];
  summary: string;
}

const testDocumentImages = (): TestImage[] => Object.values(presets).map((make) => make());

/** Reads what `dir` holds (every worker and cloud is gone by then), and scans it. */
export function scanObservations(name: CloudName, dir: string): ScanReport {
  const started = performance.now();
  const problems: string[] = [];
  const haystacks: Haystack[] = [];
  const tokens: IssuedToken[] = [];
  const secrets: { apiSecret: string; webhookSecret: string }[] = [];
  const sent: Record<'image bytes' | 'id scan bytes', Uint8Array[]> = {
    'image bytes': [],
    'id scan bytes': [],
  };
  const logFiles = new Set<string>();
  let clouds = 0;
  let observingMs = 0;
  let uploads = 0;

  for (const file of readdirSync(dir).sort()) {
    const full = path.join(dir, file);
    if (file.startsWith('cloud-')) {
      const cloud = JSON.parse(readFileSync(full, 'utf8')) as Partial<CloudObservations> & { error?: string };
      if (cloud.logFile) logFiles.add(cloud.logFile);
      if (cloud.error) {
        problems.push(
          `could not observe a local cloud before it stopped (log ${cloud.logFile}): ${cloud.error}`,
        );
        continue;
      }
      clouds += 1;
      observingMs += cloud.ms!;
      tokens.push(...cloud.tokens!);
      secrets.push({ apiSecret: cloud.apiSecret!, webhookSecret: cloud.webhookSecret! });
      haystacks.push(...cloud.haystacks!);
    } else if (file.startsWith('records-')) {
      for (const line of readFileSync(full, 'utf8').split('\n')) {
        if (!line) continue;
        const o = JSON.parse(line) as Observation;
        if (o.type === 'haystack') haystacks.push({ where: o.where, text: o.text });
        else {
          uploads += 1;
          sent[o.kind].push(...o.slices.map((s) => new Uint8Array(Buffer.from(s, 'base64'))));
        }
      }
    }
  }
  for (const logFile of logFiles) {
    haystacks.push({ where: `the log ${logFile}`, text: readFileSync(logFile, 'utf8') });
  }
  if (clouds === 0) problems.push(`no local cloud of the ${name} project was observed`);

  const documents = testDocumentImages();
  const needles: Needle[] = [
    ...tokenNeedles(tokens),
    ...secrets.flatMap(secretNeedles),
    ...byteNeedles('image bytes', [
      ...documents.flatMap((d) => distinctiveSlices(d.bytes)),
      ...sent['image bytes'],
    ]),
    ...byteNeedles('id scan bytes', [
      ...distinctiveSlices(Buffer.from(SAMPLE_AAMVA, 'latin1')),
      ...sent['id scan bytes'],
    ]),
    ...personalFieldNeedles(documents.map((d) => (d.description?.fields ?? {}) as DocumentFields)),
  ];
  const findings = scanForLeaks(haystacks, needles);
  if (findings.length > 0) {
    problems.push(
      `The leak scan of the ${name} project found what must never be observable ` +
        `(observations kept in ${dir}):\n${describeFindings(findings, needles)}`,
    );
  }
  const count = (kind: string) => needles.filter((n) => n.kind.includes(kind)).length;
  const megabytes = haystacks.reduce((sum, h) => sum + h.text.length, 0) / 1e6;
  const answers = haystacks.filter((h) => /^the (API|S3)'s answer .*, headers$/.test(h.where)).length;
  const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const summary =
    `leak scan (${name}): ${needles.length} needles (${count('token')} tokens, ${count('secret')} secrets, ` +
    `${count('bytes')} image/scan slices of ${documents.length + 1} test documents and ${uploads} uploads, ` +
    `${count('personal')} personal fields) in ${haystacks.length} haystacks (${megabytes.toFixed(1)} MB ` +
    `from ${clouds} cloud(s) and ${answers} answers): ${findings.length} found ` +
    `(observing ${seconds(observingMs)}, scanning ${seconds(performance.now() - started)})`;
  return { problems, summary };
}
