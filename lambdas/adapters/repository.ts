import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import type { BerbixTokens, BerbixTransaction } from '../berbix';
import {
  allowedPredecessors,
  nextStepFor,
  type DocumentStep,
  type ResultSummary,
  type UploadKey,
  type UploadOutcome,
  type Verification,
  type VerificationStatus,
} from '../domain';

export const BERBIX_TRANSACTION_INDEX = 'byBerbixTransaction';
const IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60;

const metaKey = (id: string) => ({ pk: `V#${id}`, sk: 'META' });
const itemKey = (id: string, sk: 'TOKENS' | 'RESULT' | 'CREATE') => ({ pk: `V#${id}`, sk });
const idempotencyKey = (sub: string, key: string) => ({ pk: `IDEMPOTENCY#${sub}#${key}`, sk: 'IDEMPOTENCY' });

export interface CreateInputs {
  email?: string;
  phone?: string;
}

export interface IdempotencyRecord {
  verificationId: string;
  requestHash: string;
}

/** The Idempotency-Key a create claims, in the same transaction as the verification itself. */
export interface IdempotencyClaim extends IdempotencyRecord {
  sub: string;
  key: string;
}

export type CreateResult = { created: true } | { created: false; existing: IdempotencyRecord | undefined };

export interface CachedResult {
  transaction: BerbixTransaction;
  fetchedAt: string;
}

export interface RepositoryOptions {
  dataRetentionDays: number;
  now?: () => Date;
}

function isConditionFailure(error: unknown): boolean {
  return (
    error instanceof ConditionalCheckFailedException ||
    (error as { name?: string })?.name === 'ConditionalCheckFailedException'
  );
}

/** Why item `index` of a cancelled transaction failed (`ConditionalCheckFailed`, …), if it did. */
function cancellationCode(error: unknown, index: number): string | undefined {
  const canceled =
    error instanceof TransactionCanceledException ||
    (error as { name?: string })?.name === 'TransactionCanceledException';
  if (!canceled) return undefined;
  const code = (error as TransactionCanceledException).CancellationReasons?.[index]?.Code;
  return code === 'None' ? undefined : code;
}

/** Builds `#status IN (:s0, :s1, …)` for the statuses a transition may start from. */
function statusIn(statuses: readonly VerificationStatus[]) {
  const values: Record<string, VerificationStatus> = {};
  statuses.forEach((s, i) => (values[`:from${i}`] = s));
  return { expression: `#status IN (${Object.keys(values).join(', ')})`, values };
}

function toVerification(item: Record<string, unknown> | undefined): Verification | undefined {
  if (!item) return undefined;
  const { pk: _pk, sk: _sk, ttl: _ttl, ...rest } = item;
  return rest as unknown as Verification;
}

/**
 * The single table of verifications (see docs/architecture.md, "DynamoDB"). Every state change
 * that races with another writer is a conditional update.
 */
export class VerificationRepository {
  readonly #db: DynamoDBDocumentClient;
  readonly #table: string;
  readonly #retentionSeconds: number;
  readonly #now: () => Date;

  constructor(db: DynamoDBDocumentClient, tableName: string, options: RepositoryOptions) {
    this.#db = db;
    this.#table = tableName;
    this.#retentionSeconds = options.dataRetentionDays * 24 * 60 * 60;
    this.#now = options.now ?? (() => new Date());
  }

  #timestamp(): string {
    return this.#now().toISOString();
  }

  #ttl(seconds = this.#retentionSeconds): number {
    return Math.floor(this.#now().getTime() / 1000) + seconds;
  }

  /**
   * A conditional update of META: `{item}` (the new item) when it applied, undefined when the
   * condition did not hold (another writer won, or the verification is gone or in another status).
   */
  async #updateMeta(
    id: string,
    update: {
      set: string;
      condition: string;
      values: Record<string, unknown>;
      names?: Record<string, string>;
    },
  ): Promise<{ item: Verification | undefined } | undefined> {
    const uses = (token: string) => `${update.set} ${update.condition}`.includes(token);
    try {
      const out = await this.#db.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: metaKey(id),
          UpdateExpression: update.set,
          ConditionExpression: update.condition,
          // DynamoDB refuses names and values an expression does not use.
          ...(uses('#')
            ? {
                ExpressionAttributeNames: {
                  ...(uses('#status') ? { '#status': 'status' } : {}),
                  ...update.names,
                },
              }
            : {}),
          ExpressionAttributeValues: {
            ...(uses(':now') ? { ':now': this.#timestamp() } : {}),
            ...update.values,
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return { item: toVerification(out.Attributes) };
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
  }

  async get(id: string): Promise<Verification | undefined> {
    const out = await this.#db.send(
      new GetCommand({ TableName: this.#table, Key: metaKey(id), ConsistentRead: true }),
    );
    return toVerification(out.Item);
  }

  /**
   * META, the personal create inputs (when given; deleted once Berbix has them) and the
   * Idempotency-Key claim (when given), in one transaction: a key is never claimed without its
   * verification. When the key is already claimed nothing is written and the earlier record is
   * returned (undefined while a concurrent create of the same key is still being written).
   */
  async create(
    verification: Verification,
    inputs: CreateInputs = {},
    claim?: IdempotencyClaim,
  ): Promise<CreateResult> {
    const hasInputs = inputs.email !== undefined || inputs.phone !== undefined;
    const items: {
      Put: { TableName: string; Item: Record<string, unknown>; ConditionExpression?: string };
    }[] = [
      {
        Put: {
          TableName: this.#table,
          Item: { ...metaKey(verification.id), ...verification },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      ...(hasInputs
        ? [
            {
              Put: {
                TableName: this.#table,
                Item: { ...itemKey(verification.id, 'CREATE'), ...inputs, ttl: this.#ttl() },
              },
            },
          ]
        : []),
    ];
    if (claim) {
      const { sub, key, verificationId, requestHash } = claim;
      items.push({
        Put: {
          TableName: this.#table,
          Item: {
            ...idempotencyKey(sub, key),
            verificationId,
            requestHash,
            ttl: this.#ttl(IDEMPOTENCY_TTL_SECONDS),
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      });
    }
    try {
      await this.#db.send(new TransactWriteCommand({ TransactItems: items }));
      return { created: true };
    } catch (error) {
      const claimReason = claim && cancellationCode(error, items.length - 1);
      if (claimReason !== 'ConditionalCheckFailed' && claimReason !== 'TransactionConflict') throw error;
      return { created: false, existing: await this.#idempotencyRecord(claim!.sub, claim!.key) };
    }
  }

  async #idempotencyRecord(sub: string, key: string): Promise<IdempotencyRecord | undefined> {
    const out = await this.#db.send(
      new GetCommand({ TableName: this.#table, Key: idempotencyKey(sub, key), ConsistentRead: true }),
    );
    const item = out.Item as IdempotencyRecord | undefined;
    return item ? { verificationId: item.verificationId, requestHash: item.requestHash } : undefined;
  }

  async releaseIdempotencyKey(sub: string, key: string): Promise<void> {
    await this.#db.send(new DeleteCommand({ TableName: this.#table, Key: idempotencyKey(sub, key) }));
  }

  async getCreateInputs(id: string): Promise<CreateInputs> {
    const out = await this.#db.send(new GetCommand({ TableName: this.#table, Key: itemKey(id, 'CREATE') }));
    const item = out.Item ?? {};
    return {
      ...(typeof item.email === 'string' ? { email: item.email } : {}),
      ...(typeof item.phone === 'string' ? { phone: item.phone } : {}),
    };
  }

  async getTokens(id: string): Promise<BerbixTokens | undefined> {
    const out = await this.#db.send(
      new GetCommand({ TableName: this.#table, Key: itemKey(id, 'TOKENS'), ConsistentRead: true }),
    );
    if (!out.Item) return undefined;
    const { accessToken, clientToken, refreshToken, expiresAt, transactionId } = out.Item;
    return { accessToken, clientToken, refreshToken, expiresAt, transactionId } as BerbixTokens;
  }

  async putTokens(id: string, tokens: BerbixTokens): Promise<void> {
    const { accessToken, clientToken, refreshToken, expiresAt, transactionId } = tokens;
    await this.#db.send(
      new PutCommand({
        TableName: this.#table,
        Item: {
          ...itemKey(id, 'TOKENS'),
          accessToken,
          clientToken,
          refreshToken,
          expiresAt,
          transactionId,
          ttl: this.#ttl(),
        },
      }),
    );
  }

  /** After Berbix's create: tokens stored, the transaction linked, the personal inputs dropped. */
  async recordTransactionCreated(
    id: string,
    created: { tokens: BerbixTokens; nextStep: Verification['nextStep'] & string },
  ): Promise<boolean> {
    await this.putTokens(id, created.tokens);
    const ok = await this.#updateMeta(id, {
      set: 'SET berbixTransactionId = :tx, nextStep = :next, updatedAt = :now',
      condition: '#status = :creating',
      values: {
        ':tx': String(created.tokens.transactionId),
        ':next': created.nextStep,
        ':creating': 'creating',
      },
    });
    await this.#db.send(new DeleteCommand({ TableName: this.#table, Key: itemKey(id, 'CREATE') }));
    return ok !== undefined;
  }

  /**
   * The state machine waits for `step`: the task token is kept here with the attempt an upload
   * must carry. Returns the updated verification, or undefined if it is gone or closed.
   */
  async startAwaiting(id: string, step: DocumentStep, taskToken: string): Promise<Verification | undefined> {
    const current = await this.get(id);
    if (!current) return undefined;
    const attempt = (current.attempts[step] ?? 0) + 1;
    const from = statusIn(allowedPredecessors('awaiting_upload'));
    const updated = await this.#updateMeta(id, {
      set: 'SET awaiting = :awaiting, #status = :awaitingUpload, nextStep = :next, updatedAt = :now',
      condition: from.expression,
      values: {
        ...from.values,
        ':awaiting': { step, attempt, taskToken, claimed: false },
        ':awaitingUpload': 'awaiting_upload',
        ':next': nextStepFor(step),
      },
    });
    return (
      updated &&
      (updated.item ?? {
        ...current,
        status: 'awaiting_upload',
        awaiting: { step, attempt, taskToken, claimed: false },
      })
    );
  }

  /** Records which id-scan object answers the current wait (a later scan replaces an earlier one). */
  async setAwaitedScanKey(id: string, attempt: number, scanKey: string): Promise<boolean> {
    const updated = await this.#updateMeta(id, {
      set: 'SET awaiting.scanKey = :key, updatedAt = :now',
      condition:
        '#status = :awaitingUpload AND awaiting.attempt = :attempt AND awaiting.claimed = :false AND attribute_exists(awaiting.taskToken)',
      values: { ':key': scanKey, ':awaitingUpload': 'awaiting_upload', ':attempt': attempt, ':false': false },
    });
    return updated !== undefined;
  }

  /**
   * The single claim of an upload: succeeds for exactly one object per wait — the awaited step and
   * attempt (or the recorded id-scan key), not yet claimed, with a task token to resume.
   * Returns the task token to resume, or undefined when the upload is a duplicate, stale or late.
   */
  async claimUpload(upload: UploadKey, key: string): Promise<string | undefined> {
    const isScan = upload.step === 'id_scan';
    const updated = await this.#updateMeta(upload.verificationId, {
      set: 'SET awaiting.claimed = :true, awaiting.uploadKey = :key, #status = :processing, updatedAt = :now',
      condition:
        '#status = :awaitingUpload AND awaiting.attempt = :attempt AND awaiting.claimed = :false AND ' +
        `attribute_exists(awaiting.taskToken) AND ${isScan ? 'awaiting.scanKey = :key' : 'awaiting.step = :step'}`,
      values: {
        ':true': true,
        ':false': false,
        ':key': key,
        ':processing': 'processing',
        ':awaitingUpload': 'awaiting_upload',
        ':attempt': upload.attempt,
        ...(isScan ? {} : { ':step': upload.step }),
      },
    });
    return (
      updated &&
      (updated.item?.awaiting?.taskToken ?? (await this.get(upload.verificationId))?.awaiting?.taskToken)
    );
  }

  /**
   * Records what Berbix (or the local image check) said about the claimed upload `key`. Only the
   * claimed key can be recorded, once: a retried submit finds `lastSubmittedKey` and stops.
   */
  async recordUploadOutcome(
    id: string,
    input: { key: string; step: DocumentStep | 'id_scan'; outcome: UploadOutcome },
  ): Promise<boolean> {
    const { key, step, outcome } = input;
    const accepted = step !== 'id_scan' && outcome.nextStep !== nextStepFor(step);
    const updated = await this.#updateMeta(id, {
      set:
        [
          'SET nextStep = :next, issues = :issues, issueDetails = :details, lastSubmittedKey = :key, updatedAt = :now',
          'attempts.#step = if_not_exists(attempts.#step, :zero) + :one',
          ...(accepted ? ['acceptedKeys.#step = :key'] : []),
        ].join(', ') + ' REMOVE awaiting',
      condition: '#status = :processing AND awaiting.uploadKey = :key',
      names: { '#step': step },
      values: {
        ':next': outcome.nextStep,
        ':issues': outcome.issues,
        ':details': outcome.issueDetails,
        ':key': key,
        ':zero': 0,
        ':one': 1,
        ':processing': 'processing',
      },
    });
    return updated !== undefined;
  }

  async recordFailureReason(id: string, reason: string): Promise<void> {
    await this.#db
      .send(
        new UpdateCommand({
          TableName: this.#table,
          Key: metaKey(id),
          UpdateExpression: 'SET failureReason = :reason, updatedAt = :now',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':reason': reason, ':now': this.#timestamp() },
        }),
      )
      .catch((error) => {
        if (!isConditionFailure(error)) throw error;
      });
  }

  /** Caches Berbix's result and completes the verification; undefined when it can no longer complete. */
  async recordResult(
    id: string,
    transaction: BerbixTransaction,
    summary: ResultSummary,
  ): Promise<Verification | undefined> {
    await this.putResult(id, transaction);
    const from = statusIn(allowedPredecessors('completed'));
    const updated = await this.#updateMeta(id, {
      set: 'SET #status = :completed, resultSummary = :summary, nextStep = :done, completedAt = if_not_exists(completedAt, :now), updatedAt = :now REMOVE awaiting',
      condition: from.expression,
      values: { ...from.values, ':completed': 'completed', ':summary': summary, ':done': 'done' },
    });
    return updated && (updated.item ?? (await this.get(id)));
  }

  async putResult(id: string, transaction: BerbixTransaction): Promise<void> {
    await this.#db.send(
      new PutCommand({
        TableName: this.#table,
        Item: { ...itemKey(id, 'RESULT'), transaction, fetchedAt: this.#timestamp(), ttl: this.#ttl() },
      }),
    );
  }

  /** Refreshes a completed verification's summary after Berbix changed its decision. */
  async updateResultSummary(id: string, summary: ResultSummary): Promise<boolean> {
    const updated = await this.#updateMeta(id, {
      set: 'SET resultSummary = :summary, updatedAt = :now',
      condition: '#status = :completed',
      values: { ':summary': summary, ':completed': 'completed' },
    });
    return updated !== undefined;
  }

  async getResult(id: string): Promise<CachedResult | undefined> {
    const out = await this.#db.send(new GetCommand({ TableName: this.#table, Key: itemKey(id, 'RESULT') }));
    if (!out.Item) return undefined;
    return {
      transaction: out.Item.transaction as BerbixTransaction,
      fetchedAt: out.Item.fetchedAt as string,
    };
  }

  /** Ends a verification as failed or abandoned; the wait is dropped so late uploads resume nothing. */
  async close(id: string, outcome: 'failed' | 'abandoned', reason: string): Promise<boolean> {
    const from = statusIn(allowedPredecessors(outcome).filter((s) => s !== outcome));
    const updated = await this.#updateMeta(id, {
      set: 'SET #status = :outcome, failureReason = if_not_exists(failureReason, :reason), updatedAt = :now REMOVE awaiting',
      condition: from.expression,
      values: { ...from.values, ':outcome': outcome, ':reason': reason },
    });
    return updated !== undefined;
  }

  async markImagesDeleted(id: string): Promise<void> {
    await this.#updateMeta(id, {
      set: 'SET imagesDeletedAt = :now, updatedAt = :now REMOVE acceptedKeys.document_front, acceptedKeys.document_back',
      condition: 'attribute_exists(pk)',
      values: {},
    });
  }

  /**
   * Deletes tokens, the cached result and create inputs, and leaves a `deleted` tombstone that
   * keeps only what ownership and auditing need (id, customer uid, dates).
   */
  async tombstone(id: string): Promise<void> {
    for (const sk of ['TOKENS', 'RESULT', 'CREATE'] as const) {
      await this.#db.send(new DeleteCommand({ TableName: this.#table, Key: itemKey(id, sk) }));
    }
    await this.#updateMeta(id, {
      set:
        'SET #status = :deleted, deletedAt = :now, updatedAt = :now, issues = :none, issueDetails = :empty, acceptedKeys = :empty ' +
        'REMOVE awaiting, resultSummary, berbixTransactionId, lastSubmittedKey, idCountry, idType, failureReason',
      condition: 'attribute_exists(pk)',
      values: { ':deleted': 'deleted', ':none': [], ':empty': {} },
    });
  }

  /** The verification a Berbix transaction belongs to (webhooks), via the `byBerbixTransaction` GSI. */
  async findIdByBerbixTransaction(transactionId: string): Promise<string | undefined> {
    const out = await this.#db.send(
      new QueryCommand({
        TableName: this.#table,
        IndexName: BERBIX_TRANSACTION_INDEX,
        KeyConditionExpression: 'berbixTransactionId = :tx',
        ExpressionAttributeValues: { ':tx': transactionId },
        Limit: 1,
      }),
    );
    const pk = out.Items?.[0]?.pk;
    return typeof pk === 'string' && pk.startsWith('V#') ? pk.slice(2) : undefined;
  }
}
