import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { TRACING_ENV } from '../contract/env';

/**
 * X-Ray subsegments for the calls a function makes — each AWS SDK operation and each request to
 * Berbix — sent to the X-Ray daemon Lambda runs beside the function, under the function's own
 * segment, with the trace header passed on to AWS so Step Functions (and the tasks it invokes)
 * join the same trace.
 *
 * This is what Powertools' Tracer does with `captureAWSv3Client` and its `fetch` capture, without
 * `aws-xray-sdk-core`, which would make every bundle 1.3–1.4 times the size of its SDK clients
 * alone (docs/benchmarks.md, "Tracing"). It records names, operations, HTTP statuses, timings and
 * error names only: never parameters, bodies, messages or keys.
 *
 * It does nothing unless the invocation is sampled (`_X_AMZN_TRACE_ID` with `Sampled=1`, as
 * Lambda's active tracing sets it) and `POWERTOOLS_TRACE_ENABLED` is not `false`: locally, in
 * tests and in benchmarks there is no trace header, so no subsegment and no error.
 */

/** One subsegment, begun; `end` sends it. */
export interface Subsegment {
  readonly id: string;
  /** The trace header for a request made inside it (keeps Root, Sampled and Lineage). */
  readonly header: string;
  end(fields?: SubsegmentFields): void;
}

export interface SubsegmentFields {
  http?: { request?: { method?: string; url?: string }; response?: { status?: number } };
  aws?: Record<string, string | number>;
  annotations?: Record<string, string | number | boolean>;
  /** A 4xx: the caller's error. */
  error?: boolean;
  /** A 5xx or no answer. */
  fault?: boolean;
  throttle?: boolean;
  /** The error's name, when the call failed (never its message). */
  exception?: string;
}

type Env = Record<string, string | undefined>;

/** Sends one segment document (the daemon's UDP format: a header line, then the JSON). */
export type SegmentSender = (document: string) => void;

interface TraceHeader {
  root: string;
  parent: string;
  /** Every `key=value` field of the header, in order (Lineage and others are passed on as they are). */
  fields: [string, string][];
}

/** The sampled trace of `header`, or undefined when there is none to add to. */
export function parseTraceHeader(header: string | undefined): TraceHeader | undefined {
  if (!header) return undefined;
  const fields = header
    .split(';')
    .map((part) => part.trim().split('=') as [string, string?])
    .filter((kv): kv is [string, string] => kv[0] !== '' && kv[1] !== undefined);
  const get = (key: string) => fields.find(([k]) => k === key)?.[1];
  const root = get('Root');
  const parent = get('Parent');
  if (!root || !parent || get('Sampled') !== '1') return undefined;
  return { root, parent, fields };
}

/** `AWS_XRAY_DAEMON_ADDRESS`: `host:port`, or `udp:host:port tcp:host:port`; X-Ray's default otherwise. */
export function daemonAddress(value: string | undefined): { host: string; port: number } {
  const parts = (value ?? '').trim().split(/\s+/);
  const udp = parts.find((p) => p.startsWith('udp:'))?.slice(4) ?? parts.find((p) => !p.startsWith('tcp:'));
  const at = udp?.lastIndexOf(':') ?? -1;
  const port = at > 0 ? Number(udp!.slice(at + 1)) : NaN;
  return Number.isInteger(port) && port > 0 && port < 65536
    ? { host: udp!.slice(0, at), port }
    : { host: '127.0.0.1', port: 2000 };
}

const newId = () => randomBytes(8).toString('hex');
const isOff = (value: string | undefined) => /^(false|0|no|off)$/i.test(value?.trim() ?? '');

/** A UDP sender to the daemon, its socket made on first use and never keeping the process alive. */
function udpSender(env: Env): SegmentSender {
  let socket: Socket | undefined;
  return (document) => {
    const { host, port } = daemonAddress(env[TRACING_ENV.daemonAddress]);
    if (!socket) {
      socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
      socket.on('error', () => undefined);
      socket.unref();
    }
    // Lost datagrams lose a subsegment, never a request.
    socket.send(Buffer.from(document), port, host, () => undefined);
  };
}

export class XRayTracer {
  readonly #env: Env;
  readonly #send: SegmentSender;
  readonly #now: () => number;

  constructor(options: { env?: Env; send?: SegmentSender; now?: () => number } = {}) {
    this.#env = options.env ?? process.env;
    this.#send = options.send ?? udpSender(this.#env);
    this.#now = options.now ?? Date.now;
  }

  /** Begins a subsegment of the current invocation's segment; undefined when nothing is traced. */
  begin(name: string, namespace: 'aws' | 'remote'): Subsegment | undefined {
    if (isOff(this.#env[TRACING_ENV.enabled])) return undefined;
    const trace = parseTraceHeader(this.#env[TRACING_ENV.traceHeader]);
    if (!trace) return undefined;
    const id = newId();
    const startTime = this.#now() / 1000;
    const header = trace.fields.map(([k, v]) => `${k}=${k === 'Parent' ? id : v}`).join(';');
    let ended = false;
    return {
      id,
      header,
      end: (fields = {}) => {
        if (ended) return;
        ended = true;
        const { exception, ...rest } = fields;
        const document = {
          type: 'subsegment',
          name,
          namespace,
          id,
          trace_id: trace.root,
          parent_id: trace.parent,
          start_time: startTime,
          end_time: this.#now() / 1000,
          ...rest,
          ...(exception ? { cause: { exceptions: [{ id: newId(), type: exception, remote: true }] } } : {}),
        };
        this.#send(`{"format":"json","version":1}\n${JSON.stringify(document)}`);
      },
    };
  }

  /**
   * Adds a subsegment to every operation of an AWS SDK v3 client (one per operation, its retries
   * included), named after the service, and passes the trace header on with it as the parent.
   */
  captureAwsClient<C extends AwsClient>(client: C): C {
    const add = client.middlewareStack.add.bind(client.middlewareStack) as (
      middleware: BuildMiddleware,
      options: { step: 'build'; name: string; override: boolean },
    ) => void;
    add(
      (next, context) => async (args) => {
        const service = String(client.config.serviceId ?? context.clientName ?? 'AWS');
        const segment = this.begin(service, 'aws');
        if (!segment) return next(args);
        const request = args.request as { headers?: Record<string, string> } | undefined;
        if (request?.headers) request.headers['X-Amzn-Trace-Id'] = segment.header;
        const aws: Record<string, string | number> = {
          operation: String(context.commandName ?? '').replace(/Command$/, ''),
        };
        const table = (args.input as { TableName?: unknown } | undefined)?.TableName;
        if (typeof table === 'string') aws.table_name = table;
        const region = await client.config.region?.().catch(() => undefined);
        if (typeof region === 'string') aws.region = region;
        try {
          const output = await next(args);
          const meta = (output.output as { $metadata?: SdkMetadata } | undefined)?.$metadata;
          segment.end({ aws: withMetadata(aws, meta), http: { response: { status: meta?.httpStatusCode } } });
          return output;
        } catch (error) {
          const meta = (error as { $metadata?: SdkMetadata }).$metadata;
          const status = meta?.httpStatusCode;
          segment.end({
            aws: withMetadata(aws, meta),
            ...(status !== undefined ? { http: { response: { status } } } : {}),
            ...faultOf(status, error instanceof Error ? error.name : 'Error'),
          });
          throw error;
        }
      },
      { step: 'build', name: 'xrayTracing', override: true },
    );
    return client;
  }
}

interface SdkMetadata {
  httpStatusCode?: number;
  requestId?: string;
  attempts?: number;
}

type BuildArgs = { input: unknown; request?: unknown };
type BuildHandler = (args: BuildArgs) => Promise<{ output: unknown; response: unknown }>;
type BuildMiddleware = (
  next: BuildHandler,
  context: { clientName?: string; commandName?: string },
) => BuildHandler;

/**
 * What `captureAwsClient` needs of an AWS SDK v3 client: its middleware stack (whose overloads
 * take any middleware: `never` accepts them all) and its service id and region.
 */
export interface AwsClient {
  middlewareStack: { add(middleware: never, options: never): void };
  config: { serviceId?: string; region?: () => Promise<string> };
}

function withMetadata(aws: Record<string, string | number>, meta: SdkMetadata | undefined) {
  return {
    ...aws,
    ...(meta?.requestId ? { request_id: meta.requestId } : {}),
    ...(meta?.attempts !== undefined ? { retries: Math.max(0, meta.attempts - 1) } : {}),
  };
}

/** X-Ray's classification of a failed call: 429 a throttle, other 4xx an error, else a fault. */
export function faultOf(status: number | undefined, exception?: string): SubsegmentFields {
  const named = exception ? { exception } : {};
  if (status === 429 || (exception !== undefined && /throttl/i.test(exception)))
    return { error: true, throttle: true, ...named };
  if (status !== undefined && status >= 400 && status < 500) return { error: true, ...named };
  return { fault: true, ...named };
}
