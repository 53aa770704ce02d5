/** Waiting for a verification to change, which happens asynchronously after each upload. */
import type { Answer, VerificationClient } from './api';
import { isFinal, type UploadStep, type Verification } from './types';

export interface WaitOptions {
  signal?: AbortSignal;
  /** Between two reads. @default 300 */
  intervalMs?: number;
  /** @default 120000 */
  timeoutMs?: number;
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

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(done, ms);
    function done() {
      signal?.removeEventListener('abort', aborted);
      resolve();
    }
    function aborted() {
      clearTimeout(timer);
      reject(signal!.reason);
    }
    signal?.addEventListener('abort', aborted, { once: true });
  });
}

/**
 * Reads `GET /verifications/{id}` until `until` holds, and answers that read; an error answer is
 * returned as soon as it comes. This polls; when the API offers a read that waits for a change
 * (`?wait=<seconds>` with the last version seen), it belongs here and callers stay as they are.
 */
export async function waitForVerification(
  client: VerificationClient,
  id: string,
  until: (v: Verification) => boolean,
  { signal, intervalMs = 300, timeoutMs = 120_000 }: WaitOptions = {},
): Promise<Answer<Verification>> {
  const deadline = Date.now() + timeoutMs;
  let last: Verification | undefined;
  for (;;) {
    const read = await client.getVerification(id, { signal });
    if (!read.ok || until(read.data)) return read;
    last = read.data;
    if (Date.now() >= deadline) throw new WaitTimeoutError(id, last);
    await sleep(Math.min(intervalMs, Math.max(0, deadline - Date.now())), signal);
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
