import type { BerbixClientFactory } from '../adapters/berbix';
import type { Funnel } from '../adapters/metrics';
import type { Repository } from '../adapters/repository';
import type { UploadStore } from '../adapters/storage';
import {
  checkImage,
  FlowFailedError,
  nextStepFor,
  parseUploadKey,
  VerificationGoneError,
  waitOpenedBy,
  type DocumentStep,
  type NextStep,
  type UploadOutcome,
} from '../domain';
import { logger } from '../middleware/logger';
import { prefetch } from './prefetch';
import { uploadOutcome } from './task-errors';
import { tokenSession } from './token-session';

/** Refused before Berbix: the same step again, with the local reason under `bad_upload`. */
const refusedLocally = (step: DocumentStep, reason: string): UploadOutcome => ({
  nextStep: nextStepFor(step),
  issues: ['bad_upload'],
  issueDetails: { bad_upload: { reason, source: 'local' } },
});

/**
 * SubmitUpload: reads the claimed object, checks it locally (an image by its bytes; a scan for
 * content), sends it to Berbix with the client token (refreshed tokens are persisted), and records
 * next_step, issues and attempts. A 409 routes by the step Berbix carries. The verification, the
 * object, the tokens and the Berbix client are read at once; none depends on another.
 */
export async function submitUpload(
  deps: {
    repository: Repository;
    uploads: Pick<UploadStore, 'getBytes' | 'delete'>;
    berbixClient: BerbixClientFactory;
    funnel: Pick<Funnel, 'uploadSubmitted'>;
    config: { maxUploadAttempts: number };
  },
  input: { verificationId: string; key: string },
): Promise<NextStep> {
  const { repository, uploads } = deps;
  const { verificationId, key } = input;
  const upload = parseUploadKey(key);
  const ours = upload !== undefined && upload.verificationId === verificationId;
  const reading = {
    verification: repository.get(verificationId),
    bytes: ours ? prefetch(uploads.getBytes(key)) : undefined,
    tokens: prefetch(repository.getTokens(verificationId)),
    client: prefetch(deps.berbixClient()),
  };
  const verification = await reading.verification;
  if (!verification || verification.status === 'deleted') throw new VerificationGoneError(verificationId);
  if (!upload || !ours || !reading.bytes) throw new FlowFailedError('invalid_upload_key');
  // Retried after the outcome was recorded: answer what was recorded, do not upload twice.
  if (verification.lastSubmittedKey === key && verification.nextStep) return verification.nextStep;
  const awaitedStep = verification.awaiting?.step;
  if (verification.awaiting?.uploadKey !== key || !awaitedStep)
    throw new FlowFailedError('upload_not_claimed');

  const bytes = await reading.bytes;
  let outcome: UploadOutcome;
  let refusedImage = false;
  if (!bytes || bytes.length === 0) {
    outcome = refusedLocally(awaitedStep, bytes ? 'empty' : 'missing');
  } else if (upload.step === 'id_scan') {
    const [tokens, client] = await Promise.all([reading.tokens, reading.client]);
    const session = tokenSession(repository, verificationId, tokens);
    outcome = await uploadOutcome(() =>
      client.uploadIdScan(session, { scanType: 'pdf417', extractedData: bytes }),
    );
  } else {
    const check = await checkImage(bytes);
    if (!check.ok) {
      outcome = refusedLocally(awaitedStep, check.reason);
      refusedImage = true;
    } else {
      const [tokens, client] = await Promise.all([reading.tokens, reading.client]);
      const session = tokenSession(repository, verificationId, tokens);
      const subject = upload.step;
      outcome = await uploadOutcome(() =>
        client.uploadImages(session, [{ subject, format: check.format, data: bytes }]),
      );
    }
  }
  // The next wait opens with the record, counted with this upload: clients see it at once.
  const attempts = { ...verification.attempts, [upload.step]: (verification.attempts[upload.step] ?? 0) + 1 };
  const opens = waitOpenedBy(outcome.nextStep, attempts, deps.config.maxUploadAttempts);
  if (await repository.recordUploadOutcome(verificationId, { key, step: upload.step, outcome, opens })) {
    // Counted once, by the submit that recorded it (a retried task answers from the record).
    const retake = outcome.nextStep === nextStepFor(awaitedStep);
    deps.funnel.uploadSubmitted({
      step: upload.step,
      issues: outcome.issues,
      ...(retake ? { retakeOf: awaitedStep } : {}),
    });
  } else {
    const now = await repository.get(verificationId);
    if (!now || now.status === 'deleted') throw new VerificationGoneError(verificationId);
    if (now.lastSubmittedKey !== key) throw new FlowFailedError('upload_outcome_not_recorded');
  }
  // Not an image we keep; deleted once recorded, so a retried task still finds what it refused.
  if (refusedImage) await uploads.delete(key);
  logger.info('Upload submitted', {
    verificationId,
    step: upload.step,
    attempt: upload.attempt,
    nextStep: outcome.nextStep,
    issues: outcome.issues,
  });
  return outcome.nextStep;
}
