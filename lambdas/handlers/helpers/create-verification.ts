import { createHash } from 'node:crypto';
import type { VerificationRepository } from '../../adapters/repository';
import type { Workflow } from '../../adapters/workflow';
import {
  idempotencyKeyHeader,
  newVerificationId,
  toVerificationView,
  type CreateVerificationBody,
  type Verification,
} from '../../domain';
import { HttpError, jsonResponse, logger, type ApiResult, type AuthContext } from '../../middleware';

export interface CreateDeps {
  repo: VerificationRepository;
  workflow: Workflow;
  config: { createWaitMs: number; abandonAfterSeconds: number; imageRetentionSeconds: number };
  now?: () => Date;
  pollIntervalMs?: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

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

/** Waits (bounded) until the Create state has left `creating`: 201 then, else 202. */
async function respondWhenCreated(
  deps: CreateDeps,
  verification: Verification,
  replayed: boolean,
): Promise<ApiResult> {
  const deadline = Date.now() + deps.config.createWaitMs;
  let current = verification;
  while (current.status === 'creating' && Date.now() < deadline) {
    await sleep(Math.min(deps.pollIntervalMs ?? 200, Math.max(0, deadline - Date.now())));
    current = (await deps.repo.get(verification.id)) ?? current;
  }
  const headers: Record<string, string> = { location: `/verifications/${current.id}` };
  if (replayed) headers['idempotent-replayed'] = 'true';
  return jsonResponse(current.status === 'creating' ? 202 : 201, toVerificationView(current), headers);
}

export async function createVerification(
  deps: CreateDeps,
  input: { auth: AuthContext; body: CreateVerificationBody; idempotencyKey: string | undefined },
): Promise<ApiResult> {
  const { auth, body } = input;
  if (body.customer_uid !== undefined && !auth.isBackend) {
    throw new HttpError(403, 'customer_uid_not_allowed', 'Only a backend caller may set customer_uid');
  }
  const customerUid = body.customer_uid ?? auth.sub;
  const id = newVerificationId();
  const hash = requestHash(customerUid, body);

  let idempotencyKey: string | undefined;
  if (input.idempotencyKey !== undefined) {
    const parsed = idempotencyKeyHeader.safeParse(input.idempotencyKey);
    if (!parsed.success) {
      throw new HttpError(400, 'invalid_request', 'The Idempotency-Key header is invalid', {
        details: [{ path: 'Idempotency-Key', message: parsed.error.issues[0]?.message ?? 'invalid' }],
      });
    }
    idempotencyKey = parsed.data;
    const claim = await deps.repo.claimIdempotencyKey(auth.sub, idempotencyKey, {
      verificationId: id,
      requestHash: hash,
    });
    if (!claim.claimed) {
      if (claim.existing && claim.existing.requestHash !== hash) {
        throw new HttpError(
          422,
          'idempotency_key_reused',
          'This Idempotency-Key was used with a different request',
        );
      }
      const earlier = claim.existing && (await deps.repo.get(claim.existing.verificationId));
      if (!earlier) {
        throw new HttpError(
          409,
          'request_in_progress',
          'A request with this Idempotency-Key is still being processed',
        );
      }
      return respondWhenCreated(deps, earlier, true);
    }
  }

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
  await deps.repo.create(verification, {
    ...(body.email ? { email: body.email } : {}),
    ...(body.phone ? { phone: body.phone } : {}),
  });
  try {
    await deps.workflow.start({
      verificationId: id,
      abandonAfterSeconds: deps.config.abandonAfterSeconds,
      imageRetentionSeconds: deps.config.imageRetentionSeconds,
    });
  } catch (error) {
    // Leave nothing half-made: the verification is failed and the key free for a retry.
    await deps.repo.close(id, 'failed', 'start_failed');
    if (idempotencyKey) await deps.repo.releaseIdempotencyKey(auth.sub, idempotencyKey);
    throw error;
  }
  logger.info('Verification created', { verificationId: id });
  return respondWhenCreated(deps, verification, false);
}
