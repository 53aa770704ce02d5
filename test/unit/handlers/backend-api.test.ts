import { DeleteObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { StopExecutionCommand } from '@aws-sdk/client-sfn';
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { computeWebhookSignature } from '../../../lambdas/berbix';
import {
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
import { setTestEnv } from '../support/env';
import { apiEvent, BACKEND, CLIENT, context, parse } from '../support/events';
import { FakeBerbix } from '../support/fake-berbix';

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
  it('stops the execution, deletes at Berbix, removes images and personal data, and leaves a tombstone', async () => {
    givenMeta(verification({ status: 'completed', nextStep: 'done' }));
    givenTokens();
    const key = `uploads/${VID}/document_front/1-0123456789abcdef.jpg`;
    s3.on(ListObjectsV2Command).resolves({ Contents: [{ Key: key }], IsTruncated: false });
    berbix.on('DELETE /v0/transactions', { status: 204 });

    const res = await call('delete-verification', BACKEND);
    expect(res.statusCode).toBe(204);
    expect(sfn.commandCalls(StopExecutionCommand)[0]!.args[0].input.executionArn).toBe(
      `arn:aws:states:us-east-1:000000000000:execution:Verification:${VID}`,
    );
    expect(berbix.calls('DELETE /v0/transactions')[0]?.authorization).toBe('Bearer access-token-secret');
    expect(s3.commandCalls(ListObjectsV2Command)[0]!.args[0].input.Prefix).toBe(`uploads/${VID}/`);
    expect(s3.commandCalls(DeleteObjectCommand).map((c) => c.args[0].input.Key)).toEqual([key]);
    expect(
      ddb
        .commandCalls(DeleteCommand)
        .map((c) => c.args[0].input.Key?.sk)
        .sort(),
    ).toEqual(['CREATE', 'RESULT', 'TOKENS']);
    const tombstone = ddb.commandCalls(UpdateCommand).at(-1)!.args[0].input;
    expect(tombstone.ExpressionAttributeValues).toMatchObject({ ':deleted': 'deleted' });
    expect(tombstone.UpdateExpression).toContain('REMOVE awaiting, resultSummary, berbixTransactionId');
  });

  it('keeps everything for a retry when Berbix cannot delete', async () => {
    givenMeta(verification({ status: 'completed' }));
    givenTokens();
    berbix.on('DELETE /v0/transactions', { status: 400, body: { code: 400, message: 'no' } });
    const res = await call('delete-verification', BACKEND);
    expect(res.statusCode).toBe(502);
    expect(errorOf(res).code).toBe('berbix_unavailable');
    expect(ddb.commandCalls(DeleteCommand)).toHaveLength(0);
  });

  it('treats a transaction Berbix already deleted as deleted', async () => {
    givenMeta(verification({ status: 'completed' }));
    givenTokens();
    s3.on(ListObjectsV2Command).resolves({ Contents: [] });
    berbix.on('DELETE /v0/transactions', { status: 410, body: { code: 410, message: 'gone' } });
    expect((await call('delete-verification', BACKEND)).statusCode).toBe(204);
  });

  it('is backend-only and idempotent', async () => {
    givenMeta(verification({ status: 'deleted' }));
    expect((await call('delete-verification', CLIENT)).statusCode).toBe(403);
    expect((await call('delete-verification', BACKEND)).statusCode).toBe(204);
    expect(berbix.requests).toHaveLength(0);
  });
});

describe('POST /webhooks/berbix', () => {
  const payload = JSON.stringify({ transaction_id: 4242, customer_uid: 'user-1', action: 'reject' });
  const signed = (body: string, secret = WEBHOOK_SECRET) =>
    apiEvent({
      rawBody: body,
      headers: { 'x-berbix-signature': computeWebhookSignature(secret, Math.floor(Date.now() / 1000), body) },
    });

  it('refuses a missing or wrong signature with 401', async () => {
    for (const event of [apiEvent({ rawBody: payload }), signed(payload, 'other-secret')]) {
      const res = await handlers['berbix-webhook']!(event, context);
      expect(res.statusCode).toBe(401);
      expect(errorOf(res).code).toBe('invalid_signature');
    }
  });

  it('refuses a body changed after signing', async () => {
    const event = signed(payload);
    event.body = payload.replace('reject', 'accept');
    expect((await handlers['berbix-webhook']!(event, context)).statusCode).toBe(401);
  });

  it('refreshes the cached result of a completed verification', async () => {
    ddb.on(QueryCommand).resolves({ Items: [{ pk: `V#${VID}`, sk: 'META', berbixTransactionId: '4242' }] });
    givenMeta(verification({ status: 'completed', resultSummary: { action: 'accept', flags: [] } }));
    givenTokens();
    berbix.on('GET /v0/transactions', { status: 200, body: { ...RESULT, action: 'reject' } });
    const res = await handlers['berbix-webhook']!(signed(payload), context);
    expect(res.statusCode).toBe(200);
    expect(ddb.commandCalls(QueryCommand)[0]!.args[0].input).toMatchObject({
      IndexName: 'byBerbixTransaction',
      ExpressionAttributeValues: { ':tx': '4242' },
    });
    expect(ddb.commandCalls(PutCommand)[0]!.args[0].input.Item).toMatchObject({
      sk: 'RESULT',
      transaction: { action: 'reject' },
    });
    expect(ddb.commandCalls(UpdateCommand)[0]!.args[0].input.ExpressionAttributeValues).toMatchObject({
      ':summary': { action: 'reject', flags: [] },
    });
  });

  it('does not ask Berbix again when the webhook repeats the cached action', async () => {
    ddb.on(QueryCommand).resolves({ Items: [{ pk: `V#${VID}`, sk: 'META', berbixTransactionId: '4242' }] });
    givenMeta(verification({ status: 'completed', resultSummary: { action: 'reject', flags: [] } }));
    expect((await handlers['berbix-webhook']!(signed(payload), context)).statusCode).toBe(200);
    expect(berbix.requests).toHaveLength(0);
  });

  it('acknowledges a transaction it does not know without calling Berbix', async () => {
    ddb.on(QueryCommand).resolves({ Items: [] });
    expect((await handlers['berbix-webhook']!(signed(payload), context)).statusCode).toBe(200);
    expect(berbix.requests).toHaveLength(0);
  });
});
