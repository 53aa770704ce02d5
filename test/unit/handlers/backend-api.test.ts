import { DeleteObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { computeWebhookSignature } from '../../../lambdas/berbix';
import type { Verification } from '../../../lambdas/domain';
import {
  cancelled,
  ddb,
  givenMeta,
  givenTokens,
  resetAws,
  s3,
  sfn,
  verification,
  VID,
  WEBHOOK_SECRET,
} from '../support/aws';
import { setTestEnv, TEST_ENV } from '../support/env';
import { apiEvent, BACKEND, CLIENT, context, parse } from '../support/events';
import { FakeBerbix, tokenReply } from '../support/fake-berbix';

type Handler = (
  event: ReturnType<typeof apiEvent>,
  ctx: typeof context,
) => Promise<{ statusCode: number; body?: string }>;
const handlers: Record<string, Handler> = {};
const berbix = new FakeBerbix();

const RESULT = {
  id: 4242,
  customer_uid: 'user-1',
  action: 'accept',
  flags: [],
  fields: { given_name: { value: 'Ada', confidence: 'high', sources: [] } },
  duplicates: [],
};

beforeAll(async () => {
  setTestEnv({ BERBIX_API_URL: await berbix.start() });
  for (const name of ['get-result', 'delete-verification', 'berbix-webhook']) {
    handlers[name] = (
      (await import(`../../../lambdas/handlers/api/${name}`)) as { handler: Handler }
    ).handler;
  }
});
afterAll(() => berbix.stop());

beforeEach(() => {
  resetAws();
  berbix.reset();
  for (const c of [PutCommand, UpdateCommand, DeleteCommand] as const) ddb.on(c as never).resolves({});
  s3.on(DeleteObjectCommand).resolves({});
  sfn.on(StopExecutionCommand).resolves({});
});

const call = (name: string, input: Parameters<typeof apiEvent>[0]) =>
  handlers[name]!(apiEvent({ id: VID, ...input }), context);
const errorOf = (res: { body?: string }) => parse(res).error as Record<string, unknown>;

describe('GET /verifications/{id}/result', () => {
  it('serves the cached result to the backend without asking Berbix', async () => {
    givenMeta(verification({ status: 'completed', nextStep: 'done' }));
    ddb
      .on(GetCommand, { Key: { pk: `V#${VID}`, sk: 'RESULT' } })
      .resolves({ Item: { transaction: RESULT, fetchedAt: '2026-01-01T00:00:00.000Z' } });
    const res = await call('get-result', BACKEND);
    expect(res.statusCode).toBe(200);
    expect(parse(res)).toEqual({ id: VID, fetched_at: '2026-01-01T00:00:00.000Z', result: RESULT });
    expect(berbix.requests).toHaveLength(0);
  });

  it('refuses an end-user token with 403', async () => {
    givenMeta(verification({ status: 'completed' }));
    const res = await call('get-result', CLIENT);
    expect(res.statusCode).toBe(403);
    expect(errorOf(res).code).toBe('insufficient_scope');
  });

  it('answers 409 not_completed before the verification is done', async () => {
    givenMeta(verification());
    const res = await call('get-result', BACKEND);
    expect(res.statusCode).toBe(409);
    expect(errorOf(res)).toMatchObject({ code: 'not_completed', status: 'awaiting_upload' });
  });
});

describe('DELETE /verifications/{id}', () => {
  const frontKey = `uploads/${VID}/document_front/1-0123456789abcdef.jpg`;
  const tombstone = (overrides: Partial<Verification> = {}) =>
    verification({
      status: 'deleted',
      deletedAt: '2026-01-02T00:00:00.000Z',
      berbixDeletion: 'pending',
      berbixTransactionId: undefined,
      awaiting: undefined,
      ...overrides,
    });
  /** META as each successive read finds it. */
  const metaReads = (...items: Verification[]) => {
    const reads = ddb.on(GetCommand, { Key: { pk: `V#${VID}`, sk: 'META' } });
    for (const item of items.slice(0, -1)) reads.resolvesOnce({ Item: item });
    reads.resolves({ Item: items.at(-1) });
  };
  const transactions = () =>
    ddb.commandCalls(TransactWriteCommand).map((c) => c.args[0].input.TransactItems ?? []);
  const deletionStarts = () =>
    sfn
      .commandCalls(StartExecutionCommand)
      .map((c) => ({ ...c.args[0].input, input: JSON.parse(c.args[0].input.input ?? '{}') }));

  beforeEach(() => {
    s3.on(ListObjectsV2Command).resolves({ Contents: [{ Key: frontKey }], IsTruncated: false });
    sfn.on(StartExecutionCommand).resolves({});
  });

  it('tombstones first, then starts the durable Berbix deletion, stops the execution, deletes the images and deletes at Berbix', async () => {
    const live = verification({ status: 'completed', nextStep: 'done' });
    metaReads(live, live, tombstone(), tombstone({ berbixDeletion: 'done' }));
    givenTokens();
    berbix.on('DELETE /v0/transactions', { status: 204 });

    const res = await call('delete-verification', BACKEND);
    expect(res.statusCode).toBe(204);
    const [tombstoning, finishing] = transactions();
    expect(tombstoning?.[0]?.Update?.ExpressionAttributeValues).toMatchObject({
      ':deleted': 'deleted',
      ':berbixDeletion': 'pending',
    });
    expect(tombstoning?.map((t) => t.Delete?.Key?.sk).filter(Boolean)).toEqual(['RESULT', 'CREATE']);
    const tombstoned = ddb.commandCalls(TransactWriteCommand)[0]!;
    expect(tombstoned.calledBefore(sfn.commandCalls(StartExecutionCommand)[0]!)).toBe(true);
    expect(tombstoned.calledBefore(sfn.commandCalls(StopExecutionCommand)[0]!)).toBe(true);
    expect(deletionStarts()).toEqual([
      expect.objectContaining({
        stateMachineArn: TEST_ENV.BERBIX_DELETION_STATE_MACHINE_ARN,
        name: VID,
        input: { verificationId: VID, retryInSeconds: 30 },
      }),
    ]);
    expect(sfn.commandCalls(StopExecutionCommand)[0]!.args[0].input.executionArn).toBe(
      `arn:aws:states:us-east-1:000000000000:execution:Verification:${VID}`,
    );
    expect(s3.commandCalls(DeleteObjectCommand).map((c) => c.args[0].input.Key)).toEqual([frontKey]);
    expect(berbix.calls('DELETE /v0/transactions')[0]?.authorization).toBe('Bearer access-token-secret');
    // Done at Berbix: recorded, and the tokens kept for it go.
    expect(finishing?.[0]?.Update?.ExpressionAttributeValues).toMatchObject({ ':result': 'done' });
    expect(finishing?.[1]?.Delete?.Key).toEqual({ pk: `V#${VID}`, sk: 'TOKENS' });
  });

  it('answers 202 with berbix_deletion pending while Berbix is unavailable, leaving its retries running', async () => {
    const live = verification({ status: 'awaiting_upload' });
    metaReads(live, live, tombstone());
    givenTokens();
    berbix.on('DELETE /v0/transactions', { status: 502, body: { code: 502, message: 'bad gateway' } });

    const res = await call('delete-verification', BACKEND);
    expect(res.statusCode).toBe(202);
    expect(parse(res)).toMatchObject({ id: VID, status: 'deleted', berbix_deletion: 'pending' });
    expect(berbix.calls('DELETE /v0/transactions').length).toBeGreaterThan(1);
    expect(deletionStarts()).toHaveLength(1);
    expect(transactions()).toHaveLength(1); // the tombstone only: nothing recorded about Berbix
    expect(s3.commandCalls(DeleteObjectCommand)).toHaveLength(1);
  });

  it('refreshes tokens Berbix rejects and deletes with the fresh ones', async () => {
    const live = verification({ status: 'completed' });
    metaReads(live, live, tombstone(), tombstone({ berbixDeletion: 'done' }));
    givenTokens();
    berbix.on(
      'DELETE /v0/transactions',
      { status: 401, body: { code: 401, message: 'expired' } },
      { status: 204 },
    );
    berbix.on('POST /v0/tokens', tokenReply({ access_token: 'fresh-access', refresh_token: undefined }));

    expect((await call('delete-verification', BACKEND)).statusCode).toBe(204);
    expect(berbix.calls('DELETE /v0/transactions').map((r) => r.authorization)).toEqual([
      'Bearer access-token-secret',
      'Bearer fresh-access',
    ]);
    // The fresh tokens are written only while the deletion still needs them.
    const refreshed = transactions().find((items) => items[0]?.Put?.Item?.sk === 'TOKENS');
    expect(refreshed?.[1]?.ConditionCheck?.ConditionExpression).toContain('berbixDeletion = :pending');
  });

  it('records why Berbix refused even a refreshed token and finishes the local deletion with 204', async () => {
    const live = verification({ status: 'completed' });
    const refused = tombstone({ berbixDeletion: 'failed', berbixDeletionReason: 'berbix_auth_401' });
    metaReads(live, live, tombstone(), refused);
    givenTokens();
    berbix.on('DELETE /v0/transactions', { status: 401, body: { code: 401, message: 'unknown token' } });
    berbix.on('POST /v0/tokens', { status: 401, body: { code: 401, message: 'unknown token' } });

    expect((await call('delete-verification', BACKEND)).statusCode).toBe(204);
    const finishing = transactions()[1];
    expect(finishing?.[0]?.Update?.ExpressionAttributeValues).toMatchObject({
      ':result': 'failed',
      ':reason': 'berbix_auth_401',
    });
    expect(finishing?.[1]?.Delete?.Key?.sk).toBe('TOKENS');
    expect(s3.commandCalls(DeleteObjectCommand)).toHaveLength(1);
  });

  it('treats a transaction Berbix already deleted as deleted', async () => {
    const live = verification({ status: 'completed' });
    metaReads(live, live, tombstone(), tombstone({ berbixDeletion: 'done' }));
    givenTokens();
    berbix.on('DELETE /v0/transactions', { status: 410, body: { code: 410, message: 'gone' } });
    expect((await call('delete-verification', BACKEND)).statusCode).toBe(204);
    expect(transactions()[1]?.[0]?.Update?.ExpressionAttributeValues).toMatchObject({ ':result': 'done' });
  });

  it('calls no Berbix and starts no retries for a verification that never reached Berbix', async () => {
    const failed = verification({ status: 'failed', berbixTransactionId: undefined, awaiting: undefined });
    metaReads(failed, failed, tombstone({ berbixDeletion: 'done' }));
    expect((await call('delete-verification', BACKEND)).statusCode).toBe(204);
    expect(
      transactions()[0]
        ?.map((t) => t.Delete?.Key?.sk)
        .filter(Boolean),
    ).toEqual(['RESULT', 'CREATE', 'TOKENS']);
    expect(deletionStarts()).toEqual([]);
    expect(berbix.requests).toHaveLength(0);
  });

  it('is backend-only, and a repeat finishes what a pending deletion left', async () => {
    metaReads(verification({ status: 'deleted', berbixDeletion: 'done' }));
    expect((await call('delete-verification', CLIENT)).statusCode).toBe(403);
    expect((await call('delete-verification', BACKEND)).statusCode).toBe(204);
    expect(berbix.requests).toHaveLength(0);
    expect(transactions()).toEqual([]);

    resetAws();
    metaReads(tombstone(), tombstone(), tombstone({ berbixDeletion: 'done' }));
    givenTokens();
    s3.on(ListObjectsV2Command).resolves({ Contents: [] });
    sfn
      .on(StartExecutionCommand)
      .rejects(Object.assign(new Error('exists'), { name: 'ExecutionAlreadyExists' }));
    sfn.on(StopExecutionCommand).resolves({});
    berbix.on('DELETE /v0/transactions', { status: 204 });
    expect((await call('delete-verification', BACKEND)).statusCode).toBe(204);
    expect(berbix.calls('DELETE /v0/transactions')).toHaveLength(1);
  });
});

describe('POST /webhooks/berbix', () => {
  const payload = JSON.stringify({ transaction_id: 4242, customer_uid: 'user-1', action: 'reject' });
  const now = () => Math.floor(Date.now() / 1000);
  const signed = (body: string, { secret = WEBHOOK_SECRET, at = now() } = {}) =>
    apiEvent({
      rawBody: body,
      headers: { 'x-berbix-signature': computeWebhookSignature(secret, at, body) },
    });
  const deliver = (event: ReturnType<typeof apiEvent>) => handlers['berbix-webhook']!(event, context);
  const knownTransaction = () =>
    ddb.on(QueryCommand).resolves({ Items: [{ pk: `V#${VID}`, sk: 'META', berbixTransactionId: '4242' }] });
  const writes = () =>
    [PutCommand, UpdateCommand, DeleteCommand, TransactWriteCommand].flatMap((c) =>
      ddb.commandCalls(c as never),
    );

  it('refuses a missing, forged or stale signature with 401', async () => {
    for (const event of [
      apiEvent({ rawBody: payload }),
      signed(payload, { secret: 'other-secret' }),
      signed(payload, { at: now() - 301 }),
      signed(payload, { at: now() + 301 }),
    ]) {
      const res = await deliver(event);
      expect(res.statusCode).toBe(401);
      expect(errorOf(res).code).toBe('invalid_signature');
    }
    expect(writes()).toEqual([]);
  });

  it('refuses a body changed after signing', async () => {
    const event = signed(payload);
    event.body = payload.replace('reject', 'accept');
    expect((await deliver(event)).statusCode).toBe(401);
  });

  it('claims the delivery, then refreshes the cached result of a completed verification in one write', async () => {
    knownTransaction();
    givenMeta(verification({ status: 'completed', resultSummary: { action: 'accept', flags: [] } }));
    givenTokens();
    berbix.on('GET /v0/transactions', { status: 200, body: { ...RESULT, action: 'reject' } });
    const event = signed(payload);
    const res = await deliver(event);
    expect(res.statusCode).toBe(200);
    expect(ddb.commandCalls(QueryCommand)[0]!.args[0].input).toMatchObject({
      IndexName: 'byBerbixTransaction',
      ExpressionAttributeValues: { ':tx': '4242' },
    });
    const [claim, refresh] = ddb
      .commandCalls(TransactWriteCommand)
      .map((c) => c.args[0].input.TransactItems!);
    const timestamp = event.headers['x-berbix-signature']!.split(',')[1];
    const deliveryId = createHash('sha256').update(`${timestamp},${payload}`).digest('hex');
    expect(claim?.[0]?.Put).toMatchObject({
      Item: { pk: `WEBHOOK#${deliveryId}`, sk: 'WEBHOOK', ttl: Number(timestamp) + 600 },
      ConditionExpression: 'attribute_not_exists(pk)',
    });
    expect(claim?.[1]?.ConditionCheck?.ExpressionAttributeValues).toEqual({ ':completed': 'completed' });
    expect(refresh?.[0]?.Put?.Item).toMatchObject({ sk: 'RESULT', transaction: { action: 'reject' } });
    expect(refresh?.[1]?.Update?.ExpressionAttributeValues).toMatchObject({
      ':summary': { action: 'reject', flags: [] },
    });
  });

  it('changes nothing and calls Berbix no more for a replayed delivery', async () => {
    knownTransaction();
    givenMeta(verification({ status: 'completed', resultSummary: { action: 'accept', flags: [] } }));
    ddb.on(TransactWriteCommand).rejects(cancelled(['ConditionalCheckFailed', 'None']));
    expect((await deliver(signed(payload))).statusCode).toBe(200);
    expect(berbix.requests).toHaveLength(0);
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(1); // the refused claim only
  });

  it('frees the delivery when Berbix cannot be asked, so that Berbix can deliver it again', async () => {
    knownTransaction();
    givenMeta(verification({ status: 'completed', resultSummary: { action: 'accept', flags: [] } }));
    givenTokens();
    berbix.on('GET /v0/transactions', { status: 500, body: { code: 500, message: 'oops' } });
    const res = await deliver(signed(payload));
    expect(res.statusCode).toBe(502);
    expect(errorOf(res).code).toBe('berbix_unavailable');
    expect(ddb.commandCalls(DeleteCommand)[0]!.args[0].input.Key?.pk).toMatch(/^WEBHOOK#[0-9a-f]{64}$/);
  });

  it('does not ask Berbix again when the webhook repeats the cached action', async () => {
    knownTransaction();
    givenMeta(verification({ status: 'completed', resultSummary: { action: 'reject', flags: [] } }));
    expect((await deliver(signed(payload))).statusCode).toBe(200);
    expect(berbix.requests).toHaveLength(0);
    expect(writes()).toEqual([]);
  });

  it('acknowledges a transaction it does not know, and a deleted verification, without a write or a Berbix call', async () => {
    ddb.on(QueryCommand).resolves({ Items: [] });
    expect((await deliver(signed(payload))).statusCode).toBe(200);
    knownTransaction();
    givenMeta(verification({ status: 'deleted', berbixDeletion: 'pending' }));
    expect((await deliver(signed(payload))).statusCode).toBe(200);
    expect(berbix.requests).toHaveLength(0);
    expect(writes()).toEqual([]);
  });
});
