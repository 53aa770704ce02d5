/**
 * Meters what the functions ask of AWS: one HTTP proxy per service between the functions and the
 * local emulators (the functions are pointed at it with AWS_ENDPOINT_URL_* overrides). It forwards
 * every request unchanged, except that DynamoDB calls ask for ReturnConsumedCapacity=TOTAL, so
 * DynamoDB Local reports the read and write units each call consumed.
 */
import { once } from 'node:events';
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

export type MeteredService = 'dynamodb' | 's3' | 'sfn' | 'secretsManager' | 'eventBridge';

export const ENDPOINT_VARIABLES: Record<MeteredService, string> = {
  dynamodb: 'AWS_ENDPOINT_URL_DYNAMODB',
  s3: 'AWS_ENDPOINT_URL_S3',
  sfn: 'AWS_ENDPOINT_URL_SFN',
  secretsManager: 'AWS_ENDPOINT_URL_SECRETS_MANAGER',
  eventBridge: 'AWS_ENDPOINT_URL_EVENTBRIDGE',
};

export interface MeterCounts {
  /** Calls per service and operation, e.g. `dynamodb.UpdateItem`, `s3.GET`. */
  calls: Record<string, number>;
  dynamoReadUnits: number;
  dynamoWriteUnits: number;
  /** Calls that failed (4xx/5xx), per service and operation. */
  failures: Record<string, number>;
  /** EventBridge entries put (billed per event). */
  eventsPut: number;
}

const READS = new Set(['GetItem', 'BatchGetItem', 'Query', 'Scan', 'TransactGetItems']);
const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems']);

const emptyCounts = (): MeterCounts => ({
  calls: {},
  dynamoReadUnits: 0,
  dynamoWriteUnits: 0,
  failures: {},
  eventsPut: 0,
});

export interface AwsMeter {
  /** AWS_ENDPOINT_URL_* overrides pointing the functions at the meter. */
  envOverrides: Record<string, string>;
  /** Where each service's requests are forwarded (set once the cloud is up). */
  setTargets(endpoints: Record<MeteredService, string>): void;
  /** The counts so far (a copy). */
  counts(): MeterCounts;
  close(): Promise<void>;
}

const readAll = async (stream: IncomingMessage): Promise<Buffer> => {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
};

/** The S3 operation from method and path-style URL: POST (form), PUT, GET, HEAD, DELETE or LIST. */
function s3Operation(method: string, url: string): string {
  const isBucket = new URL(url, 'http://s3').pathname.split('/').filter(Boolean).length <= 1;
  return method === 'GET' && isBucket ? 'LIST' : method;
}

function capacityUnits(body: Buffer, encoding: string | undefined): number {
  try {
    const text = (encoding === 'gzip' ? gunzipSync(body) : body).toString('utf8');
    const consumed = (JSON.parse(text) as { ConsumedCapacity?: unknown }).ConsumedCapacity;
    const list = Array.isArray(consumed) ? consumed : consumed ? [consumed] : [];
    return list.reduce((n: number, c: { CapacityUnits?: number }) => n + (c.CapacityUnits ?? 0), 0);
  } catch {
    return 0;
  }
}

export async function startAwsMeter(): Promise<AwsMeter> {
  const targets: Partial<Record<MeteredService, URL>> = {};
  let counts = emptyCounts();
  const servers: Server[] = [];
  const envOverrides: Record<string, string> = {};

  const proxy = (service: MeteredService) =>
    createServer((req, res) => {
      void (async () => {
        const target = targets[service];
        if (!target) {
          res.writeHead(503).end();
          return;
        }
        let body = await readAll(req);
        const method = req.method ?? 'GET';
        const target_ = String(req.headers['x-amz-target'] ?? '');
        const operation =
          service === 's3' ? s3Operation(method, req.url ?? '/') : target_.split('.').pop() || method;
        const headers = { ...req.headers };
        if (service === 'dynamodb' && (READS.has(operation) || WRITES.has(operation))) {
          const input = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
          body = Buffer.from(JSON.stringify({ ...input, ReturnConsumedCapacity: 'TOTAL' }));
          headers['content-length'] = String(body.length);
        }
        if (service === 'eventBridge' && operation === 'PutEvents') {
          const entries = (JSON.parse(body.toString('utf8')) as { Entries?: unknown[] }).Entries ?? [];
          counts.eventsPut += entries.length;
        }
        const key = `${service}.${operation}`;
        counts.calls[key] = (counts.calls[key] ?? 0) + 1;
        const upstream = httpRequest(
          { host: target.hostname, port: target.port, method, path: req.url, headers },
          (answer) => {
            const status = answer.statusCode ?? 502;
            if (status >= 400) counts.failures[key] = (counts.failures[key] ?? 0) + 1;
            res.writeHead(status, answer.headers);
            if (service !== 'dynamodb') {
              answer.pipe(res);
              return;
            }
            void readAll(answer).then((answerBody) => {
              const units = capacityUnits(answerBody, answer.headers['content-encoding']);
              // A conditional write that fails still costs its write units; DynamoDB Local reports none.
              const charged = status >= 400 && WRITES.has(operation) ? Math.max(units, 1) : units;
              if (READS.has(operation)) counts.dynamoReadUnits += charged;
              else if (WRITES.has(operation)) counts.dynamoWriteUnits += charged;
              res.end(answerBody);
            });
          },
        );
        upstream.on('error', () => res.destroy());
        upstream.end(body);
      })().catch(() => res.destroy());
    });

  for (const service of Object.keys(ENDPOINT_VARIABLES) as MeteredService[]) {
    const server = proxy(service);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    servers.push(server);
    envOverrides[ENDPOINT_VARIABLES[service]] = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  return {
    envOverrides,
    setTargets(endpoints) {
      for (const service of Object.keys(ENDPOINT_VARIABLES) as MeteredService[]) {
        targets[service] = new URL(endpoints[service]);
      }
    },
    counts: () => structuredClone(counts),
    async close() {
      counts = emptyCounts();
      await Promise.all(
        servers.map(
          (s) =>
            new Promise<void>((resolve) => {
              s.close(() => resolve());
              s.closeAllConnections();
            }),
        ),
      );
    },
  };
}

/** The difference between two snapshots of the counts (what happened in between). */
export function countsBetween(before: MeterCounts, after: MeterCounts): MeterCounts {
  const diff = (a: Record<string, number>, b: Record<string, number>) =>
    Object.fromEntries(
      Object.keys(b)
        .map((k) => [k, b[k]! - (a[k] ?? 0)] as const)
        .filter(([, v]) => v !== 0),
    );
  return {
    calls: diff(before.calls, after.calls),
    failures: diff(before.failures, after.failures),
    dynamoReadUnits: after.dynamoReadUnits - before.dynamoReadUnits,
    dynamoWriteUnits: after.dynamoWriteUnits - before.dynamoWriteUnits,
    eventsPut: after.eventsPut - before.eventsPut,
  };
}
