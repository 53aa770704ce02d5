import type {
  CachedResult,
  CreateInputs,
  IdempotencyClaim,
  IdempotencyRecord,
  Repository,
} from '../../../lambdas/adapters/repository';
import type { BerbixTokens, BerbixTransaction } from '../../../lambdas/berbix';
import {
  allowedPredecessors,
  nextStepFor,
  type DocumentStep,
  type ObjectWrite,
  type OpenedWait,
  type ResultSummary,
  type UploadKey,
  type UploadOutcome,
  type Verification,
} from '../../../lambdas/domain';

/** What a tombstone no longer holds (besides issues and accepted keys, emptied). */
const TOMBSTONE_DROPS = [
  'awaiting',
  'resultSummary',
  'berbixTransactionId',
  'lastSubmittedKey',
  'idCountry',
  'idType',
  'failureReason',
  'claimedObjects',
] as const;

/**
 * The repository in memory, for handler and use-case tests that are not about DynamoDB: each
 * method applies the same rule as its conditional write (docs/architecture.md, "DynamoDB"), one
 * call at a time. What the conditions do under races is proven on DynamoDB Local
 * (test/unit/adapters/repository.test.ts), not here.
 */
export class InMemoryRepository implements Repository {
  readonly verifications = new Map<string, Verification>();
  readonly tokens = new Map<string, BerbixTokens>();
  readonly results = new Map<string, CachedResult>();
  readonly createInputs = new Map<string, CreateInputs>();
  readonly idempotency = new Map<string, IdempotencyRecord>();
  readonly webhookDeliveries = new Set<string>();
  readonly #now: () => Date;

  constructor(now: () => Date = () => new Date()) {
    this.#now = now;
  }

  /** Puts a verification as it is (test setup). */
  given(verification: Verification): this {
    this.verifications.set(verification.id, structuredClone(verification));
    return this;
  }

  #stamp(): string {
    return this.#now().toISOString();
  }

  /** Applies `change` to META when `allowed` holds; the new META, or undefined. */
  #update(
    id: string,
    allowed: (v: Verification) => boolean,
    change: (v: Verification) => void,
  ): Verification | undefined {
    const current = this.verifications.get(id);
    if (!current || !allowed(current)) return undefined;
    const next = structuredClone(current);
    change(next);
    next.updatedAt = this.#stamp();
    this.verifications.set(id, next);
    return structuredClone(next);
  }

  #from(to: Parameters<typeof allowedPredecessors>[0]) {
    const statuses = allowedPredecessors(to);
    return (v: Verification) => statuses.includes(v.status);
  }

  async get(id: string): Promise<Verification | undefined> {
    const found = this.verifications.get(id);
    return found && structuredClone(found);
  }

  async create(verification: Verification, inputs: CreateInputs = {}, claim?: IdempotencyClaim) {
    if (claim) {
      const existing = this.idempotency.get(`${claim.sub}#${claim.key}`);
      if (existing) return { created: false as const, existing: { ...existing } };
      this.idempotency.set(`${claim.sub}#${claim.key}`, {
        verificationId: claim.verificationId,
        requestHash: claim.requestHash,
      });
    }
    if (this.verifications.has(verification.id)) throw new Error(`${verification.id} exists`);
    this.given(verification);
    if (inputs.email !== undefined || inputs.phone !== undefined)
      this.createInputs.set(verification.id, { ...inputs });
    return { created: true as const };
  }

  async releaseIdempotencyKey(sub: string, key: string): Promise<void> {
    this.idempotency.delete(`${sub}#${key}`);
  }

  async getCreateInputs(id: string): Promise<CreateInputs> {
    return { ...this.createInputs.get(id) };
  }

  async getTokens(id: string): Promise<BerbixTokens | undefined> {
    const tokens = this.tokens.get(id);
    return tokens && { ...tokens };
  }

  async putTokens(id: string, tokens: BerbixTokens): Promise<void> {
    const v = this.verifications.get(id);
    if (v && (v.status !== 'deleted' || v.berbixDeletion === 'pending')) this.tokens.set(id, { ...tokens });
  }

  async recordTransactionCreated(
    id: string,
    created: { tokens: BerbixTokens; nextStep: Verification['nextStep'] & string; opens?: OpenedWait },
  ): Promise<boolean> {
    const written = this.#update(
      id,
      (v) => v.status === 'creating',
      (v) => {
        v.berbixTransactionId = String(created.tokens.transactionId);
        v.nextStep = created.nextStep;
        if (created.opens) open(v, created.opens);
      },
    );
    if (written) this.tokens.set(id, { ...created.tokens });
    this.createInputs.delete(id);
    return written !== undefined;
  }

  async handOverTokensForDeletion(id: string, tokens: BerbixTokens): Promise<boolean> {
    const v = this.verifications.get(id);
    if (v?.status !== 'deleted' || v.berbixDeletion !== 'pending') return false;
    this.tokens.set(id, { ...tokens });
    return true;
  }

  async startAwaiting(id: string, step: DocumentStep, taskToken: string): Promise<Verification | undefined> {
    const v = this.verifications.get(id);
    const attempt = (v?.attempts[step] ?? 0) + 1;
    if (
      v?.status === 'awaiting_upload' &&
      v.awaiting?.step === step &&
      v.awaiting.attempt === attempt &&
      v.awaiting.taskToken === undefined
    ) {
      return this.#update(
        id,
        () => true,
        (opened) => (opened.awaiting!.taskToken = taskToken),
      );
    }
    return this.#update(id, this.#from('awaiting_upload'), (v) => {
      v.awaiting = { step, attempt: (v.attempts[step] ?? 0) + 1, taskToken, claimed: false };
      v.status = 'awaiting_upload';
      v.nextStep = nextStepFor(step);
    });
  }

  async setAwaitedScanKey(id: string, attempt: number, scanKey: string): Promise<boolean> {
    const waiting = (v: Verification) =>
      v.status === 'awaiting_upload' && v.awaiting?.attempt === attempt && !v.awaiting.claimed;
    return this.#update(id, waiting, (v) => (v.awaiting!.scanKey = scanKey)) !== undefined;
  }

  async claimUpload(upload: UploadKey, key: string, write: ObjectWrite = {}): Promise<string | undefined> {
    const answers = (v: Verification) =>
      v.status === 'awaiting_upload' &&
      v.awaiting?.attempt === upload.attempt &&
      !v.awaiting.claimed &&
      v.awaiting.taskToken !== undefined &&
      (upload.step === 'id_scan' ? v.awaiting.scanKey === key : v.awaiting.step === upload.step);
    const claimed = this.#update(upload.verificationId, answers, (v) => {
      v.awaiting = { ...v.awaiting!, claimed: true, uploadKey: key };
      v.status = 'processing';
      if (write.eTag !== undefined || write.sequencer !== undefined)
        v.claimedObjects = [...(v.claimedObjects ?? []), { key, ...write }];
    });
    return claimed?.awaiting?.taskToken;
  }

  async releaseClaim(id: string, key: string): Promise<boolean> {
    const claimedBy = (v: Verification) =>
      v.status === 'processing' && v.awaiting?.uploadKey === key && v.awaiting.claimed;
    const released = this.#update(id, claimedBy, (v) => {
      const { uploadKey: _uploadKey, ...awaiting } = v.awaiting!;
      v.awaiting = { ...awaiting, claimed: false };
      v.status = 'awaiting_upload';
    });
    return released !== undefined;
  }

  async forgetAcceptedKey(id: string, step: DocumentStep, key: string): Promise<boolean> {
    const holds = (v: Verification) => v.acceptedKeys[step] === key && v.status !== 'deleted';
    return this.#update(id, holds, (v) => delete v.acceptedKeys[step]) !== undefined;
  }

  async recordUploadOutcome(
    id: string,
    input: { key: string; step: DocumentStep | 'id_scan'; outcome: UploadOutcome; opens?: OpenedWait },
  ): Promise<boolean> {
    const { key, step, outcome, opens } = input;
    const claimedBy = (v: Verification) => v.status === 'processing' && v.awaiting?.uploadKey === key;
    const recorded = this.#update(id, claimedBy, (v) => {
      v.nextStep = outcome.nextStep;
      v.issues = outcome.issues;
      v.issueDetails = outcome.issueDetails;
      v.lastSubmittedKey = key;
      v.attempts[step] = (v.attempts[step] ?? 0) + 1;
      if (step !== 'id_scan' && outcome.nextStep !== nextStepFor(step)) v.acceptedKeys[step] = key;
      delete v.awaiting;
      if (opens) open(v, opens);
    });
    return recorded !== undefined;
  }

  async recordResult(
    id: string,
    transaction: BerbixTransaction,
    summary: ResultSummary,
  ): Promise<Verification | undefined> {
    const completed = this.#update(id, this.#from('completed'), (v) => {
      v.status = 'completed';
      v.resultSummary = summary;
      v.nextStep = 'done';
      v.completedAt ??= this.#stamp();
      delete v.awaiting;
    });
    if (completed)
      this.results.set(id, { transaction: structuredClone(transaction), fetchedAt: this.#stamp() });
    return completed;
  }

  async refreshResult(id: string, transaction: BerbixTransaction, summary: ResultSummary): Promise<boolean> {
    const refreshed = this.#update(
      id,
      (v) => v.status === 'completed',
      (v) => (v.resultSummary = summary),
    );
    if (refreshed)
      this.results.set(id, { transaction: structuredClone(transaction), fetchedAt: this.#stamp() });
    return refreshed !== undefined;
  }

  async getResult(id: string): Promise<CachedResult | undefined> {
    const result = this.results.get(id);
    return result && structuredClone(result);
  }

  async close(id: string, outcome: 'failed' | 'abandoned', reason: string): Promise<boolean> {
    const from = (v: Verification) => v.status !== outcome && this.#from(outcome)(v);
    const closed = this.#update(id, from, (v) => {
      v.status = outcome;
      v.failureReason ??= reason;
      delete v.awaiting;
    });
    return closed !== undefined;
  }

  async markImagesDeleted(id: string): Promise<boolean> {
    const marked = this.#update(
      id,
      (v) => v.status !== 'deleted',
      (v) => {
        v.imagesDeletedAt = this.#stamp();
        delete v.acceptedKeys.document_front;
        delete v.acceptedKeys.document_back;
      },
    );
    return marked !== undefined;
  }

  async tombstone(id: string): Promise<Verification | undefined> {
    const current = this.verifications.get(id);
    if (!current || current.status === 'deleted') return current && structuredClone(current);
    const berbixDeletion =
      current.berbixTransactionId !== undefined || current.status === 'creating' ? 'pending' : 'done';
    this.#update(
      id,
      () => true,
      (v) => {
        for (const field of TOMBSTONE_DROPS) delete v[field];
        Object.assign(v, {
          status: 'deleted',
          issues: [],
          issueDetails: {},
          acceptedKeys: {},
          berbixDeletion,
        });
        v.deletedAt = this.#stamp();
      },
    );
    this.results.delete(id);
    this.createInputs.delete(id);
    if (berbixDeletion === 'done') this.tokens.delete(id);
    return this.get(id);
  }

  async finishBerbixDeletion(
    id: string,
    outcome: { result: 'done' } | { result: 'failed'; reason: string; keepTokens?: boolean },
  ): Promise<boolean> {
    const failed = outcome.result === 'failed';
    const allowed = (v: Verification) => v.status === 'deleted' && !(failed && v.berbixDeletion === 'done');
    const finished = this.#update(id, allowed, (v) => {
      v.berbixDeletion = outcome.result;
      if (outcome.result === 'failed') v.berbixDeletionReason = outcome.reason;
      else delete v.berbixDeletionReason;
    });
    if (finished && !(outcome.result === 'failed' && outcome.keepTokens)) this.tokens.delete(id);
    return finished !== undefined;
  }

  async claimWebhookDelivery(
    deliveryId: string,
    verificationId: string,
  ): Promise<'claimed' | 'replayed' | 'not_completed'> {
    if (this.webhookDeliveries.has(deliveryId)) return 'replayed';
    if (this.verifications.get(verificationId)?.status !== 'completed') return 'not_completed';
    this.webhookDeliveries.add(deliveryId);
    return 'claimed';
  }

  async releaseWebhookDelivery(deliveryId: string): Promise<void> {
    this.webhookDeliveries.delete(deliveryId);
  }

  async findIdByBerbixTransaction(transactionId: string): Promise<string | undefined> {
    return [...this.verifications.values()].find((v) => v.berbixTransactionId === transactionId)?.id;
  }
}

/** A wait opened with a record, as the DynamoDB repository writes it. */
function open(v: Verification, opens: OpenedWait): void {
  v.status = 'awaiting_upload';
  v.awaiting = { ...opens, claimed: false };
}
