/**
 * The verifications table as both sides see it: its keys, its TTL attribute and its one index
 * (docs/architecture.md, "DynamoDB"). Every item is `pk` + `sk`; a verification's items share
 * `V#<id>`.
 */
export const TABLE_KEY = { partition: 'pk', sort: 'sk' } as const;

/** Epoch seconds after which DynamoDB deletes the item (tokens, results, personal inputs). */
export const TTL_ATTRIBUTE = 'ttl';

/** Partition key prefixes, one per kind of item. */
export const KEY_PREFIX = {
  verification: 'V#',
  idempotency: 'IDEMPOTENCY#',
  webhook: 'WEBHOOK#',
} as const;

/** Sort keys: the items of a verification, and the single item of the other kinds. */
export const SORT_KEY = {
  meta: 'META',
  tokens: 'TOKENS',
  result: 'RESULT',
  createInputs: 'CREATE',
  idempotency: 'IDEMPOTENCY',
  webhook: 'WEBHOOK',
} as const;

/** The GSI that maps a Berbix transaction id back to its verification (webhooks); keys only. */
export const BERBIX_TRANSACTION_INDEX = 'byBerbixTransaction';

/** The index's partition key: META's `berbixTransactionId` (a string). */
export const BERBIX_TRANSACTION_ATTRIBUTE = 'berbixTransactionId';

/**
 * The attributes `grantReadResults` lets a reader get: the keys and the cached Berbix result of a
 * `RESULT` item (`pk` = `V#<verification id>`, `sk` = `RESULT`; the repository writes
 * `transaction` and `fetchedAt`). Nothing else of the table (tokens, contact details, the
 * verification's own record) is readable with that grant.
 */
export const RESULT_ATTRIBUTES = [TABLE_KEY.partition, TABLE_KEY.sort, 'transaction', 'fetchedAt'] as const;
