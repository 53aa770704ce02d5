/**
 * The local cloud: the synthesized stack on 127.0.0.1. Everything is derived from the template
 * (tables, bucket notifications, functions and their environment, routes and authorizer, the state
 * machine); the emulators answer the AWS APIs the unchanged handlers call through the SDK's
 * standard `AWS_ENDPOINT_URL_*` variables, and the Berbix sandbox stands in for Berbix.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand, paginateScan } from '@aws-sdk/lib-dynamodb';
import type { S3EventRecord } from 'aws-lambda';
import { startSandbox, type Sandbox } from '../sandbox';
import { createDevIssuer, ISSUER_PATH, LOCAL_AUDIENCE, localIssuerUrl } from './dev-issuer';
import { createTableFromTemplate, startDynamoDb } from './emulators/dynamodb';
import { objectCreatedRecord, startS3 } from './emulators/s3';
import { startAwsServices } from './emulators/services';
import { startStepFunctions, type StepFunctionsEmulator } from './emulators/stepfunctions';
import { startHttpApi } from './http-api';
import { decodeS3Key, targetsOf } from './s3-notifications';
import { WEB_CLIENT_PATH, webClientHandler } from './web-client';
import { createLambdaRuntime, type LambdaRuntime } from './lambda-runtime';
import { createMetricsCollector, type MetricsSnapshot } from './metrics';
import { recoverAfterRestart, type RecoverySummary, type StoredVerification } from './recovery';
import {
  LOCAL_AWS,
  loadTemplate,
  synthesize,
  type LambdaFunctionModel,
  type TemplateModel,
} from './template';

export { LOCAL_AWS } from './template';
export { LOCAL_RESTART_REASON, type RecoverySummary } from './recovery';
export type { LocalFunnel, MetricSeries, MetricsSnapshot } from './metrics';

/** The HTTP API's default port, and the one the stack's local issuer URL names. */
export const DEFAULT_API_PORT = 4000;

export interface RealBerbix {
  apiUrl: string;
  apiSecret: string;
  templateKey: string;
}

export interface LocalCloudOptions {
  /** HTTP API port. @default 4000 (0 picks a free port) */
  port?: number;
  /** Keep DynamoDB data, objects and the signing key here across restarts; in-memory/temporary otherwise. */
  dataDir?: string;
  /**
   * Berbix to talk to: real Berbix, or `'sandbox'` to ignore the environment.
   * @default real Berbix when BERBIX_API_URL, BERBIX_API_SECRET and BERBIX_TEMPLATE_KEY are set, else the sandbox
   */
  berbix?: RealBerbix | 'sandbox';
  /**
   * Multiplies the waits of every Step Functions Retry (see docs/local-cloud.md): tests use 0.01 to
   * run the deployed retry budgets in milliseconds. @default 1, as on AWS
   */
  retryTimeScale?: number;
  /** Extra environment for every function (e.g. `ABANDON_AFTER_SECONDS` in tests). */
  envOverrides?: Record<string, string>;
  /** Print nothing (function output goes to `logFile` when given). */
  quiet?: boolean;
  /** Append function and request logs to this file. */
  logFile?: string;
  /** The project (where cdk.json is). @default process.cwd() */
  projectDir?: string;
  /** Use this cloud assembly as is, without synthesizing. */
  cdkOutDir?: string;
}

export interface CompletionEvent {
  source: string;
  detailType: string;
  detail: unknown;
  time: string;
}

export interface LocalCloud {
  apiUrl: string;
  /** The reference web client (web/), served by the HTTP API on its own origin. */
  webClientUrl: string;
  issuer: string;
  audience: string;
  template: TemplateModel;
  /** Undefined when running against real Berbix. */
  sandbox?: Sandbox;
  berbix: { apiUrl: string; templateKey: string; real: boolean };
  endpoints: { dynamodb: string; s3: string; sfn: string; secretsManager: string; eventBridge: string };
  tableName: string;
  bucketName: string;
  stateMachineArn: string;
  credentials: { accessKeyId: string; secretAccessKey: string; region: string };
  webhookSecret: string;
  /** With a data dir: what was resumed or closed at start (see docs/local-cloud.md). */
  recovery?: RecoverySummary;
  /** A token from the local dev issuer. */
  mintToken(sub: string, scopes: string[], expiresInSeconds?: number): Promise<string>;
  /** EventBridge events the functions put (e.g. VerificationCompleted). */
  events(): CompletionEvent[];
  /** The metrics the functions wrote (their EMF lines) and the funnel made of them. */
  metrics(): MetricsSnapshot;
  /** The funnel in a few lines (what `npm start` prints when it stops). */
  metricsSummary(): string;
  stop(): Promise<void>;
}

/** Berbix settings from the environment, when all three are set. */
export function realBerbixFromEnv(env: NodeJS.ProcessEnv = process.env): RealBerbix | undefined {
  const { BERBIX_API_URL: apiUrl, BERBIX_API_SECRET: apiSecret, BERBIX_TEMPLATE_KEY: templateKey } = env;
  return apiUrl && apiSecret && templateKey ? { apiUrl, apiSecret, templateKey } : undefined;
}

function readOrCreate(file: string | undefined, make: () => string): string {
  if (file && existsSync(file)) return readFileSync(file, 'utf8').trim();
  const value = make();
  if (file) {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, value, { mode: 0o600 });
  }
  return value;
}

/** Starts everything; `stop()` ends every server, worker and child process it started. */
export async function startLocalCloud(options: LocalCloudOptions = {}): Promise<LocalCloud> {
  const projectDir = options.projectDir ?? process.cwd();
  const port = options.port ?? DEFAULT_API_PORT;
  const dataDir = options.dataDir && path.resolve(options.dataDir);
  const logLines = (line: string, stream: 'stdout' | 'stderr' = 'stdout') => {
    if (options.logFile) writeFileSync(options.logFile, `${line}\n`, { flag: 'a' });
    if (!options.quiet) (stream === 'stderr' ? process.stderr : process.stdout).write(`${line}\n`);
  };
  const stack: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stack.splice(0).reverse()) {
      await stop().catch((err: unknown) =>
        logLines(`[local-cloud] while stopping: ${(err as Error).message}`, 'stderr'),
      );
    }
  };

  try {
    // 1. The template, synthesized with the local issuer so the authorizer trusts the dev issuer.
    const issuer = localIssuerUrl(DEFAULT_API_PORT);
    let cdkOutDir = options.cdkOutDir;
    if (!cdkOutDir) {
      const synth = await synthesize({
        projectDir,
        context: { jwtIssuer: issuer, jwtAudience: LOCAL_AUDIENCE },
        log: (l) => logLines(`[local-cloud] ${l}`),
      });
      cdkOutDir = synth.cdkOutDir;
    }
    const template = loadTemplate({ cdkOutDir, apiUrl: `http://127.0.0.1:${port}` });
    const [table] = template.tables;
    const bucket = template.buckets.find((b) => b.notifications.length > 0) ?? template.buckets[0];
    const [machine] = template.stateMachines;
    const [api] = template.httpApis;
    if (!table || !bucket || !machine || !api)
      throw new Error('The template lacks a table, bucket, state machine or HTTP API');
    for (const w of template.warnings) logLines(`[local-cloud] template: ${w}`, 'stderr');

    // 2. Berbix: the sandbox unless real Berbix is configured.
    const real = options.berbix === 'sandbox' ? undefined : (options.berbix ?? realBerbixFromEnv());
    let sandbox: Sandbox | undefined;
    if (!real) {
      sandbox = await startSandbox({ dataFile: dataDir && path.join(dataDir, 'sandbox.json') });
      stack.push(() => sandbox!.close());
    }
    const berbix = real
      ? { apiUrl: real.apiUrl, apiSecret: real.apiSecret, templateKey: real.templateKey, real: true }
      : {
          apiUrl: sandbox!.httpUrl,
          apiSecret: sandbox!.apiSecret,
          // The barcode template also does photos: both paths of the pipeline work against it.
          templateKey: sandbox!.templateKeys.barcode,
          real: false,
        };
    const webhookSecret = readOrCreate(
      dataDir && path.join(dataDir, 'webhook-secret'),
      () => `whsec_local_${randomBytes(16).toString('hex')}`,
    );

    // 3. The AWS emulators.
    const credentials = { accessKeyId: LOCAL_AWS.accessKeyId, secretAccessKey: LOCAL_AWS.secretAccessKey };
    const dynamo = await startDynamoDb({ dataDir: dataDir && path.join(dataDir, 'dynamodb') });
    stack.push(() => dynamo.close());
    for (const t of template.tables) {
      await createTableFromTemplate(dynamo.endpoint, t.name, t.properties);
    }
    const s3 = await startS3({
      dataDir: dataDir && path.join(dataDir, 's3'),
      buckets: template.buckets.map((b) => b.name),
      credentials,
      corsOrigins: bucket.corsOrigins,
    });
    stack.push(() => s3.close());

    const events: CompletionEvent[] = [];
    const secretString = JSON.stringify({ apiSecret: berbix.apiSecret, webhookSecret });
    const services = await startAwsServices({
      secrets: Object.fromEntries(
        template.secrets.flatMap((s) => [
          [s.arn, secretString],
          [s.name, secretString],
        ]),
      ),
      onEvents: (entries) => {
        for (const e of entries) {
          events.push({ source: e.source, detailType: e['detail-type'], detail: e.detail, time: e.time });
          // Completion events carry ids and the decision only (no personal data), so they can be shown.
          logLines(`[events] ${e['detail-type']} from ${e.source}: ${JSON.stringify(e.detail)}`);
        }
      },
    });
    stack.push(() => services.close());

    // 4. The functions, each with the template's environment plus the local endpoints.
    let sfnEndpoint = '';
    const functionEnv = (f: LambdaFunctionModel): Record<string, string> => ({
      PATH: process.env.PATH ?? '',
      ...f.environment,
      ...('BERBIX_API_URL' in f.environment ? { BERBIX_API_URL: berbix.apiUrl } : {}),
      ...('BERBIX_TEMPLATE_KEY' in f.environment ? { BERBIX_TEMPLATE_KEY: berbix.templateKey } : {}),
      AWS_REGION: LOCAL_AWS.region,
      AWS_DEFAULT_REGION: LOCAL_AWS.region,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      AWS_ENDPOINT_URL_S3: s3.endpoint,
      AWS_ENDPOINT_URL_SFN: sfnEndpoint,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: services.endpoint,
      AWS_ENDPOINT_URL_EVENTBRIDGE: services.endpoint,
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_XRAY_CONTEXT_MISSING: 'IGNORE_ERROR',
      AWS_LAMBDA_FUNCTION_NAME: f.name,
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(f.memorySize),
      AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${f.name}`,
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
      AWS_EXECUTION_ENV: `AWS_Lambda_${f.runtime}`,
      LAMBDA_TASK_ROOT: f.assetDir,
      _HANDLER: f.handler,
      ...options.envOverrides,
    });
    // Step Functions invokes through the runtime, and the functions need its endpoint: start it first.
    const runtimeRef: { current?: LambdaRuntime } = {};
    const sfnRef: { current?: StepFunctionsEmulator } = {};
    const sfn = await startStepFunctions({
      invoke: (name, payload) => runtimeRef.current!.invokeOrThrow(name, payload),
      region: LOCAL_AWS.region,
      accountId: LOCAL_AWS.accountId,
      retryTimeScale: options.retryTimeScale,
      onExecutionEvent: (e) => {
        if (!/^Execution(Succeeded|Failed|TimedOut|Aborted)$/.test(e.type)) return;
        const name = e.executionArn.split(':').pop();
        void sfnRef.current?.waitForExecution(e.executionArn).then((d) => {
          // The error name and cause only: execution data is never logged.
          const why = d.error ? ` (${d.error}${d.cause ? `: ${d.cause.slice(0, 200)}` : ''})` : '';
          logLines(`[states] ${name} ${d.status.toLowerCase()}${why}`);
        });
      },
    });
    sfnRef.current = sfn;
    stack.push(() => sfn.close());
    sfnEndpoint = sfn.endpoint;
    // The functions' EMF lines become metrics here, as CloudWatch Logs turns them into metrics.
    const metrics = createMetricsCollector();
    const lambdas = createLambdaRuntime({
      functions: template.functions.map((f) => ({ ...f, environment: functionEnv(f) })),
      log: (line, stream) => {
        metrics.observe(line);
        logLines(line, stream);
      },
    });
    runtimeRef.current = lambdas;
    stack.push(() => lambdas.close());
    for (const m of template.stateMachines) sfn.registerStateMachine(m.arn, m.definition);

    // 5. S3 notifications → the function the template names (asynchronous invocation with retries).
    const invokeAsync = async (fn: LambdaFunctionModel, event: unknown) => {
      for (let attempt = 0; attempt <= fn.asyncRetryAttempts; attempt += 1) {
        if (attempt > 0) await new Promise((r) => setTimeout(r, 1000 * attempt));
        const result = await lambdas.invoke(fn.name, event);
        if (result.ok) return;
        logLines(
          `[local-cloud] ${fn.name} failed on an S3 event (attempt ${attempt + 1}): ${result.error.errorType}`,
          'stderr',
        );
      }
      logLines(`[local-cloud] ${fn.name}: S3 event sent to the failure destination after retries`, 'stderr');
    };

    const lastRecord = new Map<string, S3EventRecord>();
    const deliver = (record: S3EventRecord) => {
      for (const name of targetsOf(template.buckets, record)) {
        void invokeAsync(
          template.functions.find((f) => f.name === name)!,
          { Records: [record] },
        );
      }
    };
    s3.onObjectEvent((record: S3EventRecord) => {
      lastRecord.set(`${record.s3.bucket.name}/${decodeS3Key(record.s3.object.key)}`, record);
      deliver(record);
    });

    // 6. The HTTP API with the dev issuer.
    const devIssuer = await createDevIssuer({
      issuer: api.routes.find((r) => r.authorizer)?.authorizer?.issuer ?? issuer,
      audience: api.routes.find((r) => r.authorizer)?.authorizer?.audience ?? [LOCAL_AUDIENCE],
      keyFile: dataDir && path.join(dataDir, 'issuer-key.json'),
    });
    const http = await startHttpApi({
      api,
      port,
      devIssuer,
      invoke: lambdas.invoke,
      localPages: webClientHandler({ uploadOrigin: new URL(s3.endpoint).origin }),
      localRoutes: {
        // S3 delivers events at least once: tests (and curious developers) can replay one.
        'POST /_local/s3/redeliver': async (body) => {
          const { key, bucket: name = bucket.name } = (body ?? {}) as { key?: string; bucket?: string };
          const record = key ? lastRecord.get(`${name}/${key}`) : undefined;
          if (!record)
            return {
              status: 404,
              body: { error: { code: 'no_event', message: 'No event recorded for that key' } },
            };
          deliver(record);
          return { status: 202, body: { redelivered: record.eventName } };
        },
        'GET /_local/events': async () => ({ status: 200, body: { events } }),
        // The funnel and Berbix metrics the functions wrote since start (their EMF lines).
        'GET /_local/metrics': async () => ({ status: 200, body: metrics.snapshot() }),
        // Every object an ObjectCreated event was raised for since start, deleted ones included.
        'GET /_local/s3/objects': async () => ({
          status: 200,
          body: {
            objects: [...lastRecord.values()].map((r) => ({
              bucket: r.s3.bucket.name,
              key: decodeS3Key(r.s3.object.key),
              size: r.s3.object.size,
              eTag: r.s3.object.eTag,
              eventTime: r.eventTime,
            })),
          },
        }),
      },
      log: (l) => logLines(`[http] ${l}`),
    });
    stack.push(() => http.close());
    // The web client's origin (the API's) posts uploads straight to the bucket, as allowedOrigins
    // lets a deployed site do; only here, so the synthesized template keeps its own CORS rules.
    for (const host of ['127.0.0.1', 'localhost']) s3.allowOrigin(`http://${host}:${http.port}`);
    // Berbix's webhooks come back to the API like they would in the cloud.
    sandbox?.setWebhook({ url: `${http.url}/webhooks/berbix`, secret: webhookSecret });

    // 7. After a restart with persisted data: executions are gone, the verifications they moved are not.
    let recovery: RecoverySummary | undefined;
    if (dataDir) {
      const aws = { region: LOCAL_AWS.region, credentials };
      const db = DynamoDBDocumentClient.from(new DynamoDBClient({ ...aws, endpoint: dynamo.endpoint }));
      const states = new SFNClient({ ...aws, endpoint: sfn.endpoint });
      const objects = new S3Client({ ...aws, endpoint: s3.endpoint, forcePathStyle: true });
      // The machines and execution inputs as the functions that start them know them.
      const envOf = (variable: string) => {
        const fn = template.functions.find((f) => variable in f.environment);
        return fn ? functionEnv(fn) : {};
      };
      const creatorEnv = envOf('ABANDON_AFTER_SECONDS');
      const deleterEnv = envOf('BERBIX_DELETION_STATE_MACHINE_ARN');
      const asVerification = (item: Record<string, unknown>) =>
        ({ ...item, id: String(item.id) }) as StoredVerification;
      recovery = await recoverAfterRestart({
        verifications: async () => {
          const items: StoredVerification[] = [];
          const pages = paginateScan(
            { client: db },
            {
              TableName: table.name,
              FilterExpression: 'sk = :meta',
              ExpressionAttributeValues: { ':meta': 'META' },
            },
          );
          for await (const page of pages) items.push(...(page.Items ?? []).map(asVerification));
          return items;
        },
        get: async (id) => {
          const out = await db.send(
            new GetCommand({ TableName: table.name, Key: { pk: `V#${id}`, sk: 'META' } }),
          );
          return out.Item && asVerification(out.Item);
        },
        startExecution: async (verificationId) => {
          await states.send(
            new StartExecutionCommand({
              stateMachineArn: creatorEnv.STATE_MACHINE_ARN ?? machine.arn,
              name: verificationId,
              input: JSON.stringify({
                verificationId,
                abandonAfterSeconds: Number(creatorEnv.ABANDON_AFTER_SECONDS ?? 86400),
                imageRetentionSeconds: Number(creatorEnv.IMAGE_RETENTION_SECONDS ?? 0),
              }),
            }),
          );
        },
        startBerbixDeletion: async (verificationId) => {
          if (!deleterEnv.BERBIX_DELETION_STATE_MACHINE_ARN) throw new Error('no Berbix deletion machine');
          await states.send(
            new StartExecutionCommand({
              stateMachineArn: deleterEnv.BERBIX_DELETION_STATE_MACHINE_ARN,
              name: verificationId,
              input: JSON.stringify({
                verificationId,
                retryInSeconds: Number(deleterEnv.BERBIX_DELETION_RETRY_SECONDS ?? 30),
              }),
            }),
          );
        },
        invokeTask: async (constructId, payload) => {
          const fn = template.functions.find((f) => f.constructId === constructId);
          return fn ? (await lambdas.invoke(fn.name, payload)).ok : false;
        },
        redeliverUpload: async (key) => {
          const head = await objects
            .send(new HeadObjectCommand({ Bucket: bucket.name, Key: key }))
            .catch(() => undefined);
          if (!head) return false;
          const record = objectCreatedRecord({
            bucket: bucket.name,
            key,
            size: head.ContentLength ?? 0,
            eTag: head.ETag?.replaceAll('"', ''),
            region: LOCAL_AWS.region,
          });
          lastRecord.set(`${bucket.name}/${key}`, record);
          deliver(record);
          return true;
        },
        log: (line) => logLines(line, 'stderr'),
      });
      const { resumed, redelivered, closed, imagesDeleted, deletionsResumed } = recovery;
      if (resumed.length + closed.length + imagesDeleted.length + deletionsResumed.length > 0) {
        logLines(
          `[local-cloud] after the restart: ${resumed.length} verification(s) resumed with a new execution ` +
            `(${redelivered.length} with their upload delivered again), ${closed.length} closed as ` +
            `failed (local_restart), images of ${imagesDeleted.length} completed one(s) deleted, ` +
            `${deletionsResumed.length} pending Berbix deletion(s) started again`,
        );
      }
      db.destroy();
      states.destroy();
      objects.destroy();
    }

    return {
      apiUrl: http.url,
      webClientUrl: `${http.url}${WEB_CLIENT_PATH}`,
      issuer: devIssuer.issuer,
      audience: devIssuer.audience[0] ?? LOCAL_AUDIENCE,
      template,
      sandbox,
      berbix: { apiUrl: berbix.apiUrl, templateKey: berbix.templateKey, real: berbix.real },
      endpoints: {
        dynamodb: dynamo.endpoint,
        s3: s3.endpoint,
        sfn: sfn.endpoint,
        secretsManager: services.endpoint,
        eventBridge: services.endpoint,
      },
      tableName: table.name,
      bucketName: bucket.name,
      stateMachineArn: machine.arn,
      credentials: { ...credentials, region: LOCAL_AWS.region },
      webhookSecret,
      recovery,
      mintToken: (sub, scopes, expiresInSeconds) => devIssuer.mint({ sub, scopes, expiresInSeconds }),
      events: () => [...events],
      metrics: () => metrics.snapshot(),
      metricsSummary: () => metrics.summary(),
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

export { ISSUER_PATH };
