import { BerbixClient, type BerbixFetch } from '../berbix';
import type { BerbixCallMetrics } from './metrics';
import type { BerbixSecrets } from './secrets';
import { faultOf, type XRayTracer } from './xray';

/**
 * One Berbix call, its retries and a token refresh included, ends well inside the shortest timeout
 * of a function that calls Berbix (30 s for the API functions, whose caller API Gateway cuts off at
 * 30 s anyway); the state machine's Retry takes over from there.
 */
export const CALL_BUDGET_MS = 20_000;

/** Hands out the Berbix client, built once the API secret has been read. */
export type BerbixClientFactory = () => Promise<BerbixClient>;

/**
 * The Berbix client, built from the API secret and built again when the secret changes (it is
 * re-read once its cache expires: a rotation is picked up without a deploy). Creates and uploads
 * are repeated after ambiguous faults too (`converge`): every caller here converges on a repeat.
 * `fetch` sends every request (the observed one in the functions).
 */
export function berbixClientFactory(
  secrets: () => Promise<BerbixSecrets>,
  berbixApiUrl: string,
  options: { fetch?: BerbixFetch } = {},
): BerbixClientFactory {
  let current: { apiSecret: string; client: BerbixClient } | undefined;
  return async () => {
    const { apiSecret } = await secrets();
    if (current?.apiSecret !== apiSecret) {
      const client = new BerbixClient({
        apiSecret,
        baseUrl: berbixApiUrl,
        retry: { maxTotalMs: CALL_BUDGET_MS, unsafe: 'converge' },
        ...(options.fetch ? { fetch: options.fetch } : {}),
      });
      current = { apiSecret, client };
    }
    return current.client;
  };
}

/** The status dimension of an answer: common statuses as they are, any other by its class. */
const KNOWN_STATUSES = new Set([
  200, 201, 202, 204, 400, 401, 403, 404, 409, 410, 413, 422, 429, 500, 502, 503, 504,
]);
export const statusDimension = (status: number): string =>
  KNOWN_STATUSES.has(status) ? String(status) : `${Math.floor(status / 100)}xx`;

/** Berbix's fault rather than the request's: a 5xx or a 429 (or no answer at all). */
const isBerbixFault = (status: number) => status >= 500 || status === 429;

/**
 * The Berbix client's `fetch`, observed at this one seam: every request (each attempt of each
 * call) is counted with its latency by call and status (`BerbixCalls`, `BerbixErrors`,
 * `BerbixLatency`), and becomes an X-Ray subsegment when the invocation is traced. Only the
 * method, Berbix's URL path, the status and the timing are recorded: never headers or bodies.
 * The latency runs until the answer's headers (or the failure).
 */
export function observedBerbixFetch(
  observers: { metrics: BerbixCallMetrics; tracer: Pick<XRayTracer, 'begin'> },
  send: BerbixFetch = (url, init) => fetch(url, init),
): BerbixFetch {
  return async (url, init, call) => {
    const started = performance.now();
    const { host, origin, pathname } = new URL(url);
    const segment = observers.tracer.begin(host, 'remote');
    const http = { request: { method: init.method ?? 'GET', url: `${origin}${pathname}` } };
    const annotations = { berbix_call: call.operation };
    let status = 'network';
    let error = true;
    try {
      const response = await send(url, init, call);
      status = statusDimension(response.status);
      error = isBerbixFault(response.status);
      segment?.end({
        http: { ...http, response: { status: response.status } },
        annotations,
        ...(response.status >= 400 ? faultOf(response.status) : {}),
      });
      return response;
    } catch (failure) {
      const name = (failure as { name?: unknown })?.name;
      status = name === 'TimeoutError' || name === 'AbortError' ? 'timeout' : 'network';
      segment?.end({ http, annotations, fault: true, exception: status });
      throw failure;
    } finally {
      observers.metrics.berbixCall({
        call: call.operation,
        status,
        error,
        latencyMs: performance.now() - started,
      });
    }
  };
}
