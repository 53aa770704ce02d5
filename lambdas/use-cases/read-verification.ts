import type { Repository } from '../adapters/repository';
import {
  ifNoneMatchHolds,
  parseWaitParameter,
  pollDelayMs,
  toVerificationView,
  verificationEtag,
  type VerificationView,
} from '../domain';
import type { AuthContext } from '../middleware/auth-context';
import { HttpError, notFound } from '../middleware/http-error';
import { loadOwned } from './access';
import { sleep, type Sleep } from './sleep';

export interface ReadDeps {
  repository: Pick<Repository, 'get'>;
  /** Epoch milliseconds; for tests. @default Date.now */
  now?: () => number;
  /** @default a timer */
  sleep?: Sleep;
}

export interface ReadInput {
  rawId: string | undefined;
  auth: AuthContext;
  /** The `wait` query parameter, as sent. */
  wait: string | undefined;
  /** The `If-None-Match` header, as sent. */
  ifNoneMatch: string | undefined;
  /** What is left of the function's own timeout. */
  remainingMs: number;
}

/** The verification as its caller sees it, and its version. */
export interface VersionedView {
  view: VerificationView;
  /** A weak ETag of `view`. */
  etag: string;
  /** `If-None-Match` still names the current version: answered `304 Not Modified`. */
  notModified: boolean;
}

/** Kept back from the function's timeout to answer: a held read never runs into it. */
export const ANSWER_MARGIN_MS = 2_000;
/** The slowest pace of the re-reads of a held read. */
export const MAX_POLL_MS = 1_000;

/**
 * `GET /verifications/{id}`: the verification with its ETag. With `If-None-Match` naming the
 * current version it is not modified — at once, or, with `wait`, once `wait` seconds passed
 * without a change; a change meanwhile is answered as soon as it is read (strongly consistent
 * re-reads, a sixteenth of the time waited apart, 20 ms to 1 s).
 */
export async function readVerification(deps: ReadDeps, input: ReadInput): Promise<VersionedView> {
  const wait = parseWaitParameter(input.wait);
  if (!wait.ok) {
    throw new HttpError(400, 'invalid_request', 'The wait parameter is invalid', {
      details: [{ path: 'wait', message: wait.message }],
    });
  }
  const now = deps.now ?? Date.now;
  const pause = deps.sleep ?? sleep;
  const started = now();
  let view = toVerificationView(await loadOwned(deps.repository, input.rawId, input.auth));
  let etag = verificationEtag(view);
  const deadline = started + Math.min(wait.seconds * 1000, input.remainingMs - ANSWER_MARGIN_MS);
  while (ifNoneMatchHolds(input.ifNoneMatch, etag) && now() < deadline) {
    await pause(Math.min(pollDelayMs(now() - started, { maxMs: MAX_POLL_MS }), deadline - now()));
    const current = await deps.repository.get(view.id);
    if (!current) throw notFound();
    view = toVerificationView(current);
    etag = verificationEtag(view);
  }
  return { view, etag, notModified: ifNoneMatchHolds(input.ifNoneMatch, etag) };
}
