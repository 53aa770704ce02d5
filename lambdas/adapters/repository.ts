import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type { BerbixTokens, BerbixTransaction } from '../berbix';
import {
  allowedPredecessors,
  nextStepFor,
  type BerbixDeletion,
  type DocumentStep,
  type ObjectWrite,
  type OpenedWait,
  type ResultSummary,
  type UploadKey,
  type UploadOutcome,
  type Verification,
  type VerificationStatus,
} from '../domain';
import {
  BERBIX_TRANSACTION_ATTRIBUTE,
  BERBIX_TRANSACTION_INDEX,
  KEY_PREFIX,
  SORT_KEY,
  TABLE_KEY,
  TTL_ATTRIBUTE,
} from '../contract/table';

const IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60;

type VerificationItem = (typeof SORT_KEY)['tokens' | 'result' | 'createInputs'];

const { partition: PK, sort: SK } = TABLE_KEY;
const tableKey = (pk: string, sk: string) => ({ [PK]: pk, [SK]: sk });
const metaKey = (id: string) => tableKey(`${KEY_PREFIX.verification}${id}`, SORT_KEY.meta);
const itemKey = (id: string, sk: VerificationItem) => tableKey(`${KEY_PREFIX.verification}${id}`, sk);
const idempotencyKey = (sub: string, key: string) =>
  tableKey(`${KEY_PREFIX.idempotency}${sub}#${key}`, SORT_KEY.idempotency);
const webhookKey = (deliveryId: string) => tableKey(`${KEY_PREFIX.webhook}${deliveryId}`, SORT_KEY.webhook);

/** The item exists, or (for a put that must create it) does not yet. */
const EXISTS = `attribute_exists(${PK})`;
const IS_NEW = `attribute_not_exists(${PK})`;

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/**
 * The guard of every write that may land after a DELETE: the verification is not a tombstone.
 * TOKENS may still be written while the tombstone's Berbix deletion is pending (it needs them).
 */
const NOT_DELETED = '#status <> :deleted';
const TOKENS_WANTED = `${EXISTS} AND (${NOT_DELETED} OR berbixDeletion = :pending)`;

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

interface TransactionCancellation {
  name?: string;
  CancellationReasons?: ({ Code?: string } | undefined)[];
}

/** Indexes of the items of a cancelled transaction whose condition failed (empty for any other error). */
function refusedItems(error: unknown): number[] {
  const { name, CancellationReasons = [] } = (error ?? {}) as TransactionCancellation;
  if (name !== 'TransactionCanceledException') return [];
  return CancellationReasons.flatMap((r, i) => (r?.Code === 'ConditionalCheckFailed' ? [i] : []));
}

/**
 * Refused only because a transaction touched the same item at the same moment: a transaction
 * cancelled for it, or a single write rejected while another transaction held the item.
 */
function isTransactionConflict(error: unknown): boolean {
  const { name, CancellationReasons = [] } = (error ?? {}) as TransactionCancellation;
  if (name === 'TransactionConflictException') return true;
  return (
    name === 'TransactionCanceledException' &&
    refusedItems(error).length === 0 &&
    CancellationReasons.some((r) => r?.Code === 'TransactionConflict')
  );
}

function isConditionFailure(error: unknown): boolean {
  return (
    error instanceof ConditionalCheckFailedException ||
    (error as { name?: string })?.name === 'ConditionalCheckFailedException' ||
    refusedItems(error).length > 0
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

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Sends a write, again after a moment when it collided with a transaction on the same item (the
 * SDK does not retry those): guarded writes now meet transactions on META, and a collision is not
 * a reason to fail a verification.
 */
async function sendThroughConflicts<T>(send: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await send();
    } catch (error) {
      if (!isTransactionConflict(error) || attempt >= 4) throw error;
      await pause(25 * 2 ** attempt);
    }
  }
}

/** Builds `#status IN (:s0, :s1, …)` for the statuses a transition may start from. */
function statusIn(statuses: readonly VerificationStatus[]) {
  const values: Record<string, VerificationStatus> = {};
  statuses.forEach((s, i) => (values[`:from${i}`] = s));
  return { expression: `#status IN (${Object.keys(values).join(', ')})`, values };
}

interface MetaUpdate {
  /** The update expression; none for a bare condition check in a transaction. */
  set?: string;
  condition: string;
  values: Record<string, unknown>;
  names?: Record<string, string>;
}

function toVerification(item: Record<string, unknown> | undefined): Verification | undefined {
  if (!item) return undefined;
  const { [PK]: _pk, [SK]: _sk, [TTL_ATTRIBUTE]: _ttl, ...rest } = item;
  return rest as unknown as Verification;
}

/** What use cases call: the repository's methods, whether on DynamoDB or in memory (tests). */
export type Repository = Pick<VerificationRepository, keyof VerificationRepository>;

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

  /** The parts of a conditional write of META (`set` may be empty for a condition check). */
  #metaExpression(id: string, update: MetaUpdate) {
    const uses = (token: string) => `${update.set ?? ''} ${update.condition}`.includes(token);
    const values = {
      ...(uses(':now') ? { ':now': this.#timestamp() } : {}),
      ...(uses(':deleted') ? { ':deleted': 'deleted' } : {}),
      ...(uses(':pending') ? { ':pending': 'pending' } : {}),
      ...update.values,
    };
    return {
      TableName: this.#table,
      Key: metaKey(id),
      ...(update.set ? { UpdateExpression: update.set } : {}),
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
      ...(Object.keys(values).length > 0 ? { ExpressionAttributeValues: values } : {}),
    };
  }

  /**
   * A conditional update of META: `{item}` (the new item) when it applied, undefined when the
   * condition did not hold (another writer won, or the verification is gone or in another status).
   */
  async #updateMeta(
    id: string,
    update: MetaUpdate & { set: string },
  ): Promise<{ item: Verification | undefined } | undefined> {
    try {
      const out = await sendThroughConflicts(() =>
        this.#db.send(
          new UpdateCommand({
            ...this.#metaExpression(id, update),
            UpdateExpression: update.set,
            ReturnValues: 'ALL_NEW',
          }),
        ),
      );
      return { item: toVerification(out.Attributes) };
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
  }

  /** META as one item of a transaction: an update, or a bare condition check. */
  #metaItem(id: string, update: MetaUpdate): TransactItem {
    const { UpdateExpression, ...rest } = this.#metaExpression(id, update);
    return UpdateExpression ? { Update: { ...rest, UpdateExpression } } : { ConditionCheck: rest };
  }

  /**
   * Writes several items atomically. Returns `{written: false, refused}` (indexes of the items
   * whose condition failed) instead of throwing; a collision with a concurrent transaction on the
   * same items is tried again.
   */
  async #transact(items: TransactItem[]): Promise<{ written: true } | { written: false; refused: number[] }> {
    try {
      await sendThroughConflicts(() => this.#db.send(new TransactWriteCommand({ TransactItems: items })));
      return { written: true };
    } catch (error) {
      const refused = refusedItems(error);
      if (refused.length > 0) return { written: false, refused };
      throw error;
    }
  }

  #tokensItem(id: string, tokens: BerbixTokens): TransactItem {
    const { accessToken, clientToken, refreshToken, expiresAt, transactionId } = tokens;
    return {
      Put: {
        TableName: this.#table,
        Item: {
          ...itemKey(id, SORT_KEY.tokens),
          accessToken,
          clientToken,
          refreshToken,
          expiresAt,
          transactionId,
          [TTL_ATTRIBUTE]: this.#ttl(),
        },
      },
    };
  }

  #resultItem(id: string, transaction: BerbixTransaction): TransactItem {
    return {
      Put: {
        TableName: this.#table,
        Item: {
          ...itemKey(id, SORT_KEY.result),
          transaction,
          fetchedAt: this.#timestamp(),
          [TTL_ATTRIBUTE]: this.#ttl(),
        },
      },
    };
  }

  #deleteItem(id: string, sk: VerificationItem): TransactItem {
    return { Delete: { TableName: this.#table, Key: itemKey(id, sk) } };
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
          ConditionExpression: IS_NEW,
        },
      },
      ...(hasInputs
        ? [
            {
              Put: {
                TableName: this.#table,
                Item: {
                  ...itemKey(verification.id, SORT_KEY.createInputs),
                  ...inputs,
                  [TTL_ATTRIBUTE]: this.#ttl(),
                },
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
            [TTL_ATTRIBUTE]: this.#ttl(IDEMPOTENCY_TTL_SECONDS),
          },
          ConditionExpression: IS_NEW,
        },
      });
    }
    try {
      await this.#db.send(new TransactWriteCommand({ TransactItems: items }));
      return { created: true };
    } catch (error) {
      const claimReason = claim && cancellationCode(error, items.length - 1);
      if (claimReason === 'ConditionalCheckFailed' || claimReason === 'TransactionConflict')
        return { created: false, existing: await this.#idempotencyRecord(claim!.sub, claim!.key) };
      // The id is new and random: only this write, applied once already and sent again by the
      // SDK after its answer was lost, can have made it. It is ours.
      if (!claim && cancellationCode(error, 0) === 'ConditionalCheckFailed') return { created: true };
      throw error;
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
    const out = await this.#db.send(
      new GetCommand({ TableName: this.#table, Key: itemKey(id, SORT_KEY.createInputs) }),
    );
    const item = out.Item ?? {};
    return {
      ...(typeof item.email === 'string' ? { email: item.email } : {}),
      ...(typeof item.phone === 'string' ? { phone: item.phone } : {}),
    };
  }

  async getTokens(id: string): Promise<BerbixTokens | undefined> {
    const out = await this.#db.send(
      new GetCommand({ TableName: this.#table, Key: itemKey(id, SORT_KEY.tokens), ConsistentRead: true }),
    );
    if (!out.Item) return undefined;
    const { accessToken, clientToken, refreshToken, expiresAt, transactionId } = out.Item;
    return { accessToken, clientToken, refreshToken, expiresAt, transactionId } as BerbixTokens;
  }

  /**
   * Refreshed tokens. Refused (silently) once the verification is deleted, unless its Berbix
   * deletion is still pending and needs them: a late task must not bring TOKENS back.
   */
  async putTokens(id: string, tokens: BerbixTokens): Promise<void> {
    await this.#transact([
      this.#tokensItem(id, tokens),
      this.#metaItem(id, { condition: TOKENS_WANTED, values: {} }),
    ]);
  }

  /**
   * After Berbix's create: tokens stored, the transaction linked, the personal inputs dropped and
   * the first wait opened (`opens`: `awaiting_upload`, no task token yet), in one transaction;
   * nothing is stored when the verification left `creating` (deleted meanwhile).
   */
  async recordTransactionCreated(
    id: string,
    created: { tokens: BerbixTokens; nextStep: Verification['nextStep'] & string; opens?: OpenedWait },
  ): Promise<boolean> {
    const { written } = await this.#transact([
      this.#tokensItem(id, created.tokens),
      this.#metaItem(id, {
        set:
          'SET berbixTransactionId = :tx, nextStep = :next, updatedAt = :now' +
          (created.opens ? ', #status = :awaitingUpload, awaiting = :awaiting' : ''),
        condition: '#status = :creating',
        values: {
          ':tx': String(created.tokens.transactionId),
          ':next': created.nextStep,
          ':creating': 'creating',
          ...openedWaitValues(created.opens),
        },
      }),
      this.#deleteItem(id, SORT_KEY.createInputs),
    ]);
    if (!written)
      await this.#db.send(
        new DeleteCommand({ TableName: this.#table, Key: itemKey(id, SORT_KEY.createInputs) }),
      );
    return written;
  }

  /**
   * A transaction Berbix created for a verification deleted meanwhile: its tokens are kept for the
   * pending Berbix deletion only. False when no deletion waits for them.
   */
  async handOverTokensForDeletion(id: string, tokens: BerbixTokens): Promise<boolean> {
    const { written } = await this.#transact([
      this.#tokensItem(id, tokens),
      this.#metaItem(id, { condition: '#status = :deleted AND berbixDeletion = :pending', values: {} }),
    ]);
    return written;
  }

  /**
   * The state machine waits for `step`: the task token is kept here with the attempt an upload
   * must carry (counted from `read` when the caller has just read the verification, sparing a
   * read before the write). A wait the record opened gets its token only; any other is written
   * whole. Returns the updated verification, or undefined if it is gone or closed.
   */
  async startAwaiting(
    id: string,
    step: DocumentStep,
    taskToken: string,
    read?: Verification,
  ): Promise<Verification | undefined> {
    const current = read ?? (await this.get(id));
    if (!current) return undefined;
    const attempt = (current.attempts[step] ?? 0) + 1;
    const opened = current.awaiting;
    if (
      current.status === 'awaiting_upload' &&
      opened?.step === step &&
      opened.attempt === attempt &&
      opened.taskToken === undefined
    ) {
      // Opened by the record of Berbix's answer: only the task token is added, so an id scan
      // stored meanwhile stays. Nothing is claimed before a token exists (claimUpload needs one).
      const armed = await this.#updateMeta(id, {
        set: 'SET awaiting.taskToken = :token, updatedAt = :now',
        condition:
          '#status = :awaitingUpload AND awaiting.step = :step AND awaiting.attempt = :attempt AND attribute_not_exists(awaiting.taskToken)',
        values: {
          ':token': taskToken,
          ':awaitingUpload': 'awaiting_upload',
          ':step': step,
          ':attempt': attempt,
        },
      });
      return armed && (armed.item ?? { ...current, awaiting: { ...opened, taskToken } });
    }
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
      condition: '#status = :awaitingUpload AND awaiting.attempt = :attempt AND awaiting.claimed = :false',
      values: { ':key': scanKey, ':awaitingUpload': 'awaiting_upload', ':attempt': attempt, ':false': false },
    });
    return updated !== undefined;
  }

  /**
   * The single claim of an upload: succeeds for exactly one object per wait — the awaited step and
   * attempt (or the recorded id-scan key), not yet claimed, with a task token to resume. The write
   * (ETag, sequencer) is recorded so a later re-post under the key can be told apart.
   * Returns the task token to resume, or undefined when the upload is a duplicate, stale or late.
   */
  async claimUpload(upload: UploadKey, key: string, write: ObjectWrite = {}): Promise<string | undefined> {
    const isScan = upload.step === 'id_scan';
    const recorded = write.eTag !== undefined || write.sequencer !== undefined;
    const updated = await this.#updateMeta(upload.verificationId, {
      set:
        'SET awaiting.claimed = :true, awaiting.uploadKey = :key, #status = :processing, updatedAt = :now' +
        (recorded
          ? ', claimedObjects = list_append(if_not_exists(claimedObjects, :noObjects), :claimed)'
          : ''),
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
        ...(recorded ? { ':noObjects': [], ':claimed': [{ key, ...write }] } : {}),
      },
    });
    return (
      updated &&
      (updated.item?.awaiting?.taskToken ?? (await this.get(upload.verificationId))?.awaiting?.taskToken)
    );
  }

  /**
   * Gives a claimed upload's wait back (`awaiting_upload`, unclaimed) after its resume found the
   * task gone, so the verification is not left `processing`; false when it moved on meanwhile.
   */
  async releaseClaim(id: string, key: string): Promise<boolean> {
    const updated = await this.#updateMeta(id, {
      set: 'SET #status = :awaitingUpload, awaiting.claimed = :false, updatedAt = :now REMOVE awaiting.uploadKey',
      condition: '#status = :processing AND awaiting.uploadKey = :key AND awaiting.claimed = :true',
      values: {
        ':awaitingUpload': 'awaiting_upload',
        ':processing': 'processing',
        ':key': key,
        ':true': true,
        ':false': false,
      },
    });
    return updated !== undefined;
  }

  /** A re-post replaced the accepted object of `step`: it is no longer there to reuse. */
  async forgetAcceptedKey(id: string, step: DocumentStep, key: string): Promise<boolean> {
    const updated = await this.#updateMeta(id, {
      set: 'REMOVE acceptedKeys.#step SET updatedAt = :now',
      condition: `acceptedKeys.#step = :key AND ${NOT_DELETED}`,
      names: { '#step': step },
      values: { ':key': key },
    });
    return updated !== undefined;
  }

  /**
   * Records what Berbix (or the local image check) said about the claimed upload `key`, and opens
   * the next wait when there is one (`opens`; otherwise it stays `processing`). Only the claimed
   * key can be recorded, once: a retried submit finds `lastSubmittedKey` and stops.
   */
  async recordUploadOutcome(
    id: string,
    input: { key: string; step: DocumentStep | 'id_scan'; outcome: UploadOutcome; opens?: OpenedWait },
  ): Promise<boolean> {
    const { key, step, outcome, opens } = input;
    const accepted = step !== 'id_scan' && outcome.nextStep !== nextStepFor(step);
    const updated = await this.#updateMeta(id, {
      set:
        [
          'SET nextStep = :next, issues = :issues, issueDetails = :details, lastSubmittedKey = :key, updatedAt = :now',
          'attempts.#step = if_not_exists(attempts.#step, :zero) + :one',
          ...(accepted ? ['acceptedKeys.#step = :key'] : []),
          ...(opens ? ['#status = :awaitingUpload, awaiting = :awaiting'] : []),
        ].join(', ') + (opens ? '' : ' REMOVE awaiting'),
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
        ...openedWaitValues(opens),
      },
    });
    return updated !== undefined;
  }

  /**
   * Caches Berbix's result and completes the verification, atomically; undefined (and nothing
   * written) when it can no longer complete, e.g. deleted meanwhile. Given the verification as the
   * caller read it (`seen`), the completed one is built from it instead of read again.
   */
  async recordResult(
    id: string,
    transaction: BerbixTransaction,
    summary: ResultSummary,
    seen?: Verification,
  ): Promise<Verification | undefined> {
    const from = statusIn(allowedPredecessors('completed'));
    const now = this.#timestamp();
    const { written } = await this.#transact([
      this.#resultItem(id, transaction),
      this.#metaItem(id, {
        set: 'SET #status = :completed, resultSummary = :summary, nextStep = :done, completedAt = if_not_exists(completedAt, :now), updatedAt = :now REMOVE awaiting',
        condition: from.expression,
        values: {
          ...from.values,
          ':completed': 'completed',
          ':summary': summary,
          ':done': 'done',
          ':now': now,
        },
      }),
    ]);
    if (!written) return undefined;
    if (!seen) return this.get(id);
    const { awaiting: _awaiting, ...rest } = seen;
    return {
      ...rest,
      status: 'completed',
      resultSummary: summary,
      nextStep: 'done',
      completedAt: seen.completedAt ?? now,
      updatedAt: now,
    };
  }

  /**
   * Replaces a completed verification's cached result and summary after Berbix changed its
   * decision; false (nothing written) once it is no longer completed.
   */
  async refreshResult(id: string, transaction: BerbixTransaction, summary: ResultSummary): Promise<boolean> {
    const { written } = await this.#transact([
      this.#resultItem(id, transaction),
      this.#metaItem(id, {
        set: 'SET resultSummary = :summary, updatedAt = :now',
        condition: '#status = :completed',
        values: { ':summary': summary, ':completed': 'completed' },
      }),
    ]);
    return written;
  }

  async getResult(id: string): Promise<CachedResult | undefined> {
    const out = await this.#db.send(
      new GetCommand({ TableName: this.#table, Key: itemKey(id, SORT_KEY.result) }),
    );
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

  /** From now on every object that arrives for the verification is deleted; false on a tombstone. */
  async markImagesDeleted(id: string): Promise<boolean> {
    const updated = await this.#updateMeta(id, {
      set: 'SET imagesDeletedAt = :now, updatedAt = :now REMOVE acceptedKeys.document_front, acceptedKeys.document_back',
      condition: `${EXISTS} AND ${NOT_DELETED}`,
      values: {},
    });
    return updated !== undefined;
  }

  /**
   * Turns the verification into a `deleted` tombstone that keeps only what ownership and auditing
   * need (id, customer uid, dates, attempts) and deletes the cached result and create inputs with
   * it, atomically. Its Berbix deletion is `pending` when a transaction exists or may still be
   * created (status `creating`), and the TOKENS item stays for that deletion only; otherwise it is
   * `done` and the tokens go too. Returns the tombstone (the existing one if already deleted).
   */
  async tombstone(id: string): Promise<Verification | undefined> {
    for (let attempt = 1; ; attempt++) {
      const current = await this.get(id);
      if (!current || current.status === 'deleted') return current;
      const berbixDeletion: BerbixDeletion =
        current.berbixTransactionId !== undefined || current.status === 'creating' ? 'pending' : 'done';
      const { written } = await this.#transact([
        this.#metaItem(id, {
          set:
            'SET #status = :deleted, deletedAt = :now, updatedAt = :now, issues = :none, issueDetails = :empty, acceptedKeys = :empty, berbixDeletion = :berbixDeletion ' +
            'REMOVE awaiting, resultSummary, berbixTransactionId, lastSubmittedKey, idCountry, idType, failureReason, claimedObjects',
          // `done` holds only while no transaction appears: a create finishing meanwhile makes it pending.
          condition:
            berbixDeletion === 'pending'
              ? `${EXISTS} AND ${NOT_DELETED}`
              : '#status = :seen AND attribute_not_exists(berbixTransactionId)',
          values: {
            ':none': [],
            ':empty': {},
            ':berbixDeletion': berbixDeletion,
            ...(berbixDeletion === 'pending' ? {} : { ':seen': current.status }),
          },
        }),
        this.#deleteItem(id, SORT_KEY.result),
        this.#deleteItem(id, SORT_KEY.createInputs),
        ...(berbixDeletion === 'done' ? [this.#deleteItem(id, SORT_KEY.tokens)] : []),
      ]);
      if (written) return this.get(id);
      if (attempt >= 5) throw new Error('The verification kept changing while it was being deleted');
    }
  }

  /**
   * The end of a tombstone's Berbix deletion. `done` drops the tokens; `failed` records a reason
   * code and drops them too unless `keepTokens` (so an operator can run the deletion again).
   * A `failed` never replaces a `done`.
   */
  async finishBerbixDeletion(
    id: string,
    outcome: { result: 'done' } | { result: 'failed'; reason: string; keepTokens?: boolean },
  ): Promise<boolean> {
    const failed = outcome.result === 'failed';
    const { written } = await this.#transact([
      this.#metaItem(id, {
        set: failed
          ? 'SET berbixDeletion = :result, berbixDeletionReason = :reason, updatedAt = :now'
          : 'SET berbixDeletion = :result, updatedAt = :now REMOVE berbixDeletionReason',
        condition: failed
          ? '#status = :deleted AND (attribute_not_exists(berbixDeletion) OR berbixDeletion <> :done)'
          : '#status = :deleted',
        values: {
          ':result': outcome.result,
          ...(failed ? { ':reason': outcome.reason, ':done': 'done' } : {}),
        },
      }),
      ...(failed && outcome.keepTokens ? [] : [this.#deleteItem(id, SORT_KEY.tokens)]),
    ]);
    return written;
  }

  /**
   * Claims one webhook delivery (by its id, a hash of the signed timestamp and body) for a
   * verification that is still completed: `replayed` when that delivery was claimed before,
   * `not_completed` (nothing written) when the verification is deleted or was never completed.
   */
  async claimWebhookDelivery(
    deliveryId: string,
    verificationId: string,
    expiresAtSeconds: number,
  ): Promise<'claimed' | 'replayed' | 'not_completed'> {
    const outcome = await this.#transact([
      {
        Put: {
          TableName: this.#table,
          Item: { ...webhookKey(deliveryId), [TTL_ATTRIBUTE]: expiresAtSeconds },
          ConditionExpression: IS_NEW,
        },
      },
      this.#metaItem(verificationId, {
        condition: '#status = :completed',
        values: { ':completed': 'completed' },
      }),
    ]);
    if (outcome.written) return 'claimed';
    return outcome.refused.includes(0) ? 'replayed' : 'not_completed';
  }

  /** Frees a claimed delivery whose handling failed, so Berbix's retry of it is handled. */
  async releaseWebhookDelivery(deliveryId: string): Promise<void> {
    await this.#db.send(new DeleteCommand({ TableName: this.#table, Key: webhookKey(deliveryId) }));
  }

  /** The verification a Berbix transaction belongs to (webhooks), via the `byBerbixTransaction` GSI. */
  async findIdByBerbixTransaction(transactionId: string): Promise<string | undefined> {
    const out = await this.#db.send(
      new QueryCommand({
        TableName: this.#table,
        IndexName: BERBIX_TRANSACTION_INDEX,
        KeyConditionExpression: `${BERBIX_TRANSACTION_ATTRIBUTE} = :tx`,
        ExpressionAttributeValues: { ':tx': transactionId },
        Limit: 1,
      }),
    );
    const pk = out.Items?.[0]?.[PK];
    return typeof pk === 'string' && pk.startsWith(KEY_PREFIX.verification)
      ? pk.slice(KEY_PREFIX.verification.length)
      : undefined;
  }
}

/** The values of a wait opened with a record (`:awaitingUpload`, `:awaiting`), none without one. */
function openedWaitValues(opens: OpenedWait | undefined): Record<string, unknown> {
  return opens ? { ':awaitingUpload': 'awaiting_upload', ':awaiting': { ...opens, claimed: false } } : {};
}
