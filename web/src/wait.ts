/**
 * Waiting for a verification to change after an upload. Every read asks for
 * `GET /verifications/{id}?wait=<seconds>`: a server with the waiting read (it answers with an
 * `ETag`) holds the request until something changes and is asked again at once with
 * `If-None-Match`; a server that ignores `wait` answers at once and is asked again after a short,
 * growing pause. See `GET /verifications/{id}` in docs/openapi.yaml.
 */
import {
  NetworkError,
  type Answer,
  type ErrorBody,
  type Verification,
  type VerificationClient,
} from '../../client';

export interface WaitOptions {
  signal?: AbortSignal;
  /** Seconds the server may hold one read. @default 20 */
  waitSeconds?: number;
  /** Pauses between reads answered at once: the first, and the largest. */
  backoffMs?: { first: number; max: number };
}

/** A read answered later than this was held by the server. */
const HELD_MS = 1000;

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', aborted);
      resolve();
    }, ms);
    const aborted = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', aborted, { once: true });
  });
}

/** One `GET /verifications/{id}?wait=…`, conditional once an ETag was seen. */
async function waitingRead(
  client: VerificationClient,
  id: string,
  waitSeconds: number,
  etag: string | undefined,
  signal?: AbortSignal,
): Promise<Answer<Verification>> {
  let result: { data?: Verification; error?: unknown; response: Response };
  try {
    result = await client.raw.GET('/verifications/{id}', {
      params: {
        path: { id },
        query: { wait: waitSeconds },
        ...(etag ? { header: { 'If-None-Match': etag } } : {}),
      },
      signal,
    });
  } catch (error) {
    if (error instanceof TypeError) throw new NetworkError(`GET /verifications/${id}`, error);
    throw error;
  }
  const { response } = result;
  return response.ok
    ? { ok: true, status: response.status, data: result.data!, response }
    : { ok: false, status: response.status, error: result.error as ErrorBody, response };
}

/** Reads the verification until `until` holds and answers that read; an error answer returns at once. */
export async function waitForVerification(
  client: VerificationClient,
  id: string,
  until: (v: Verification) => boolean,
  { signal, waitSeconds = 20, backoffMs = { first: 150, max: 1500 } }: WaitOptions = {},
): Promise<Answer<Verification>> {
  let etag: string | undefined;
  let pause = backoffMs.first;
  for (;;) {
    const started = Date.now();
    const read = await waitingRead(client, id, waitSeconds, etag, signal);
    const unchanged = read.status === 304;
    if (!unchanged && (!read.ok || until(read.data))) return read;
    etag = read.response.headers.get('etag') ?? etag;
    // A read the server held for a while was a waiting read: ask again straight away. One answered
    // at once (a server without `wait`, or a change that is not the awaited one) gets a short pause.
    if (Date.now() - started >= HELD_MS) {
      pause = backoffMs.first;
      continue;
    }
    await sleep(pause, signal);
    pause = Math.min(backoffMs.max, Math.round(pause * 1.6));
  }
}
