/** Waiting for a verification to change, which happens asynchronously after each upload. */
import { etagOf, isNotModified, type Answer, type VerificationClient } from './api';
import { sleep } from './sleep';
import { isFinal, type UploadStep, type Verification } from './types';

export interface WaitOptions {
  signal?: AbortSignal;
  /** Between two reads, when the API cannot wait for a change (it sends no ETag). @default 300 */
  intervalMs?: number;
  /** @default 120000 */
  timeoutMs?: number;
  /** Seconds the API may hold one read until the verification changes, 0 to 20. @default 20 */
  waitSeconds?: number;
}

/** The verification did not reach the awaited state in time; `last` is what was seen last. */
export class WaitTimeoutError extends Error {
  override name = 'WaitTimeoutError';
  constructor(
    readonly id: string,
    readonly last: Verification | undefined,
  ) {
    super(`verification ${id} did not change in time (last status: ${last?.status ?? 'unknown'})`);
  }
}

/**
 * Reads `GET /verifications/{id}` until `until` holds, and answers that read; an error answer is
 * returned as soon as it comes. After the first read, each read names the version seen
 * (`If-None-Match`) and lets the API wait up to `waitSeconds` for a change, so every change is
 * seen as it happens, without a polling interval. An API that sends no ETag, or does not wait
 * (a `304` at once, the same ETag again), is polled every `intervalMs` instead.
 */
export async function waitForVerification(
  client: VerificationClient,
  id: string,
  until: (v: Verification) => boolean,
  { signal, intervalMs = 300, timeoutMs = 120_000, waitSeconds = 20 }: WaitOptions = {},
): Promise<Answer<Verification>> {
  const deadline = Date.now() + timeoutMs;
  let last: Verification | undefined;
  let etag: string | undefined;
  for (;;) {
    // Never asks the API to hold a read much past the deadline (at most the last second).
    const wait = Math.max(0, Math.min(waitSeconds, Math.ceil((deadline - Date.now()) / 1000)));
    const started = Date.now();
    const read =
      etag === undefined
        ? await client.getVerification(id, { signal })
        : await client.getVerificationIfChanged(id, { ifNoneMatch: etag, wait, signal });
    let poll: boolean;
    if (isNotModified(read)) {
      // Unchanged: held for a while, ask again at once; answered straight away, the API does not wait.
      poll = wait === 0 || Date.now() - started < (wait * 1000) / 2;
    } else {
      if (!read.ok || until(read.data)) return read;
      last = read.data;
      const seen = etagOf(read);
      poll = seen === undefined || seen === etag;
      etag = seen;
    }
    if (Date.now() >= deadline) throw new WaitTimeoutError(id, last);
    if (poll) await sleep(Math.min(intervalMs, Math.max(0, deadline - Date.now())), signal);
  }
}

/**
 * The pipeline has judged upload number `attempt` of `step` (or the verification ended): its
 * `issues` and `next_step` are Berbix's answer to that upload.
 */
export const judged =
  (step: UploadStep | 'id_scan', attempt: number) =>
  (v: Verification): boolean =>
    isFinal(v.status) || ((v.attempts[step] ?? 0) >= attempt && v.status !== 'processing');

/** The transaction exists at Berbix (or creating it failed). */
export const created = (v: Verification): boolean => v.status !== 'creating';
