import { createHash } from 'node:crypto';
import type { Funnel } from '../adapters/metrics';
import type { IdempotencyRecord, Repository } from '../adapters/repository';
import type { Workflow } from '../adapters/workflow';
import { newVerificationId, pollDelayMs, type Verification } from '../domain';
import { idempotencyKeyHeader, type CreateVerificationBody } from '../domain/requests';
import type { AuthContext } from '../middleware/auth-context';
import { HttpError } from '../middleware/http-error';
import { logger } from '../middleware/logger';
import { isTransientAwsError } from '../middleware/transient-aws-errors';
import { sleep, type Sleep } from './sleep';

export interface CreateDeps {
  repository: Repository;
  workflow: Pick<Workflow, 'start'>;
  funnel: Pick<Funnel, 'started' | 'failed'>;
  config: {
    createWaitMs: number;
    abandonAfterSeconds: number;
    imageRetentionSeconds: number;
    /** Whether email and phone are accepted (and sent to Berbix); refused otherwise. */
    sendContactDetails: boolean;
  };
  now?: () => Date;
  /** @default a timer */
  sleep?: Sleep;
}

/** The slowest pace of the reads while waiting for the transaction. */
export const CREATE_POLL_MAX_MS = 200;

/**
 * Time kept back from the function's timeout to answer: a create whose writes and StartExecution
 * were slow still answers 202 (the execution runs) instead of timing out into a gateway 500.
 */
export const CREATE_ANSWER_RESERVE_MS = 1_000;

/** Stable hash of what was asked, so a reused Idempotency-Key with another body is caught. */
function requestHash(customerUid: string, body: CreateVerificationBody): string {
  const canonical = JSON.stringify([
    customerUid,
    body.id_country ?? null,
    body.id_type ?? null,
    body.email ?? null,
    body.phone ?? null,
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}

/** What a create answers: the verification, `creating` still if Berbix has not answered in time. */
export interface CreatedVerification {
  verification: Verification;
  /** An earlier create with the same Idempotency-Key made it. */
  replayed: boolean;
}

/**
 * Waits (bounded) until the Create state has left `creating`. The reads come 20 ms apart at first
 * and a sixteenth of the time waited apart later (at most 200 ms), so the answer follows Berbix's
 * within a sixteenth of the wait, not a fixed interval. The wait ends early enough to answer
 * within the invocation's time left.
 */
async function whenCreated(
  deps: CreateDeps,
  verification: Verification,
  replayed: boolean,
  remainingMs: (() => number) | undefined,
): Promise<CreatedVerification> {
  const wait = deps.sleep ?? sleep;
  const clock = () => (deps.now?.() ?? new Date()).getTime();
  const started = clock();
  const budget = Math.min(
    deps.config.createWaitMs,
    remainingMs ? remainingMs() - CREATE_ANSWER_RESERVE_MS : Infinity,
  );
  const deadline = started + budget;
  let current = verification;
  // A read is begun only if one as slow as the slowest so far ends before the deadline: on a
  // loaded table a read can take seconds, and one begun just before the deadline overran it.
  let slowestReadMs = 0;
  while (current.status === 'creating' && clock() + slowestReadMs < deadline) {
    const pause = pollDelayMs(clock() - started, { maxMs: CREATE_POLL_MAX_MS });
    await wait(Math.min(pause, Math.max(0, deadline - slowestReadMs - clock())));
    try {
      const readStarted = clock();
      current = (await deps.repository.get(verification.id)) ?? current;
      slowestReadMs = Math.max(slowestReadMs, clock() - readStarted);
    } catch (error) {
      // The verification exists and its execution runs: a busy table ends the wait (202), it
      // must not make the caller believe the create failed and make another.
      if (!isTransientAwsError(error)) throw error;
      break;
    }
  }
  return { verification: current, replayed };
}

/**
 * Email and phone are personal data Berbix keeps on the transaction. A create whose answer is lost
 * is repeated, leaving the first transaction out of DELETE's reach: unless the deployment opted in,
 * they are refused rather than silently dropped, so a caller never believes Berbix has them.
 */
function refuseContactDetails(body: CreateVerificationBody): void {
  const given = (['email', 'phone'] as const).filter((field) => body[field] !== undefined);
  if (given.length === 0) return;
  throw new HttpError(400, 'invalid_request', 'This deployment does not accept email or phone', {
    details: given.map((path) => ({
      path,
      message: 'not accepted: this deployment does not send contact details to Berbix',
    })),
  });
}

function parseIdempotencyKey(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const parsed = idempotencyKeyHeader.safeParse(header);
  if (!parsed.success) {
    throw new HttpError(400, 'invalid_request', 'The Idempotency-Key header is invalid', {
      details: [{ path: 'Idempotency-Key', message: parsed.error.issues[0]?.message ?? 'invalid' }],
    });
  }
  return parsed.data;
}

function executionInput(deps: CreateDeps, verificationId: string) {
  return {
    verificationId,
    abandonAfterSeconds: deps.config.abandonAfterSeconds,
    imageRetentionSeconds: deps.config.imageRetentionSeconds,
  };
}

/** A repeat of an earlier create with the same Idempotency-Key: the earlier verification. */
async function replay(
  deps: CreateDeps,
  existing: IdempotencyRecord | undefined,
  hash: string,
  remainingMs: (() => number) | undefined,
): Promise<CreatedVerification> {
  if (existing && existing.requestHash !== hash) {
    throw new HttpError(
      422,
      'idempotency_key_reused',
      'This Idempotency-Key was used with a different request',
    );
  }
  const earlier = existing && (await deps.repository.get(existing.verificationId));
  if (!earlier) {
    throw new HttpError(
      409,
      'request_in_progress',
      'A request with this Idempotency-Key is still being processed',
    );
  }
  // The earlier create may have written the verification and lost its answer before the execution
  // started (a timeout answered 503): start it now. The execution is named after the verification,
  // so one already running is left as it is.
  if (earlier.status === 'creating') await deps.workflow.start(executionInput(deps, earlier.id));
  return whenCreated(deps, earlier, true, remainingMs);
}

/**
 * POST /verifications: the verification (and its Idempotency-Key claim) in one write, then its
 * execution started; waits a little for Berbix's create so most callers learn the first step.
 */
export async function createVerification(
  deps: CreateDeps,
  input: {
    auth: AuthContext;
    body: CreateVerificationBody;
    idempotencyKey: string | undefined;
    /** The invocation's time left (Lambda's `getRemainingTimeInMillis`); bounds the wait. */
    remainingMs?: () => number;
  },
): Promise<CreatedVerification> {
  const { auth, body } = input;
  if (body.customer_uid !== undefined && !auth.isBackend) {
    throw new HttpError(403, 'customer_uid_not_allowed', 'Only a backend caller may set customer_uid');
  }
  if (!deps.config.sendContactDetails) refuseContactDetails(body);
  const customerUid = body.customer_uid ?? auth.sub;
  const id = newVerificationId();
  const hash = requestHash(customerUid, body);
  const idempotencyKey = parseIdempotencyKey(input.idempotencyKey);

  const now = (deps.now?.() ?? new Date()).toISOString();
  const verification: Verification = {
    id,
    customerUid,
    status: 'creating',
    issues: [],
    issueDetails: {},
    attempts: {},
    acceptedKeys: {},
    ...(body.id_country ? { idCountry: body.id_country } : {}),
    ...(body.id_type ? { idType: body.id_type } : {}),
    createdAt: now,
    updatedAt: now,
  };
  // The verification and its key claim are one write: a failed create leaves no claimed key.
  const created = await deps.repository.create(
    verification,
    {
      ...(body.email ? { email: body.email } : {}),
      ...(body.phone ? { phone: body.phone } : {}),
    },
    idempotencyKey === undefined
      ? undefined
      : { sub: auth.sub, key: idempotencyKey, verificationId: id, requestHash: hash },
  );
  if (!created.created) return replay(deps, created.existing, hash, input.remainingMs);
  try {
    await deps.workflow.start(executionInput(deps, id));
  } catch (error) {
    // Leave nothing half-made: the verification is failed and the key free for a retry.
    if (await deps.repository.close(id, 'failed', 'start_failed')) deps.funnel.failed('start_failed');
    if (idempotencyKey) await deps.repository.releaseIdempotencyKey(auth.sub, idempotencyKey);
    throw error;
  }
  deps.funnel.started();
  logger.info('Verification created', { verificationId: id });
  return whenCreated(deps, verification, false, input.remainingMs);
}
