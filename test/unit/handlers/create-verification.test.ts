import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import {
  ProvisionedThroughputExceededException,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { VerificationRepository } from '../../../lambdas/adapters/repository';
import { Workflow } from '../../../lambdas/adapters/workflow';
import {
  CREATE_ANSWER_RESERVE_MS,
  CREATE_POLL_MAX_MS,
  createVerification,
} from '../../../lambdas/use-cases/create-verification';
import type { AuthContext } from '../../../lambdas/middleware';
import { ddb, resetAws, sfn, verification } from '../support/aws';
import { setTestEnv, TEST_ENV } from '../support/env';
import { apiEvent, BACKEND, CLIENT, context, parse } from '../support/events';

type Handler = (
  event: ReturnType<typeof apiEvent>,
  ctx: typeof context,
) => Promise<{ statusCode: number; body?: string; headers?: Record<string, string> }>;
let handler: Handler;

beforeAll(async () => {
  setTestEnv({ CREATE_WAIT_MS: '1000' });
  ({ handler } = (await import('../../../lambdas/handlers/api/create-verification')) as unknown as {
    handler: Handler;
  });
});

beforeEach(() => {
  resetAws();
  ddb.on(TransactWriteCommand).resolves({});
  ddb.on(PutCommand).resolves({});
  ddb.on(UpdateCommand).resolves({});
  sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn' });
});

/** DynamoDB's answer when the transaction's Idempotency-Key item (the last one) already exists. */
const claimTaken = () =>
  new TransactionCanceledException({
    message: 'Transaction cancelled',
    $metadata: {},
    CancellationReasons: [{ Code: 'None' }, { Code: 'ConditionalCheckFailed' }],
  });

/** META as the state machine leaves it: `creating` until Berbix answered. */
function metaAfterCreate(status: 'creating' | 'awaiting_upload') {
  ddb.on(GetCommand).callsFake((input: { Key: { pk: string; sk: string } }) => {
    if (input.Key.sk !== 'META') return {};
    const id = input.Key.pk.slice(2);
    return { Item: { pk: input.Key.pk, sk: 'META', ...verification({ id, status }) } };
  });
}

describe('POST /verifications', () => {
  it('creates the verification for the caller, starts the execution and answers 201 once Berbix created it', async () => {
    metaAfterCreate('awaiting_upload');
    const res = await handler(apiEvent({ ...CLIENT, body: { id_country: 'US', id_type: 'DL' } }), context);
    expect(res.statusCode).toBe(201);
    const body = parse(res);
    expect(body.id).toMatch(/^vrf_[a-z2-7]{26}$/);
    expect(body.status).toBe('awaiting_upload');
    expect(res.headers?.location).toBe(`/verifications/${body.id as string}`);

    const items = ddb
      .commandCalls(TransactWriteCommand)[0]!
      .args[0].input.TransactItems!.map((t) => t.Put!.Item!);
    expect(items[0]).toMatchObject({
      sk: 'META',
      customerUid: 'user-1',
      status: 'creating',
      idCountry: 'US',
      idType: 'DL',
    });
    // No personal create inputs, no Idempotency-Key: META alone.
    expect(items).toHaveLength(1);

    const start = sfn.commandCalls(StartExecutionCommand)[0]!.args[0].input;
    expect(start.name).toBe(body.id);
    expect(JSON.parse(start.input!)).toEqual({
      verificationId: body.id,
      abandonAfterSeconds: 86400,
      imageRetentionSeconds: 0,
    });
  });

  it('answers 202 with status creating when Berbix takes longer than the bounded wait', async () => {
    metaAfterCreate('creating');
    const res = await handler(apiEvent({ ...CLIENT, body: {} }), context);
    expect(res.statusCode).toBe(202);
    expect(parse(res).status).toBe('creating');
  });

  it('refuses customer_uid from an end user', async () => {
    const res = await handler(apiEvent({ ...CLIENT, body: { customer_uid: 'someone-else' } }), context);
    expect(res.statusCode).toBe(403);
    expect(parse(res)).toEqual({ error: { code: 'customer_uid_not_allowed', message: expect.any(String) } });
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('lets the backend create a verification for a customer_uid', async () => {
    metaAfterCreate('awaiting_upload');
    await handler(apiEvent({ ...BACKEND, body: { customer_uid: 'customer-77' } }), context);
    const meta = ddb.commandCalls(TransactWriteCommand)[0]!.args[0].input.TransactItems![0]!.Put!.Item!;
    expect(meta.customerUid).toBe('customer-77');
  });

  it('answers 400 invalid_request with details for a bad body', async () => {
    const res = await handler(
      apiEvent({ ...CLIENT, body: { id_type: 'XX', id_country: 'usa', extra: 1 } }),
      context,
    );
    expect(res.statusCode).toBe(400);
    const error = parse(res).error as { code: string; details: Array<{ path: string }> };
    expect(error.code).toBe('invalid_request');
    expect(error.details.map((d) => d.path).sort()).toEqual(
      expect.arrayContaining(['id_country', 'id_type']),
    );
  });

  it('answers 400 invalid_request for a body that is not JSON', async () => {
    const res = await handler(apiEvent({ ...CLIENT, rawBody: '{nope' }), context);
    expect(res.statusCode).toBe(400);
    expect((parse(res).error as { code: string }).code).toBe('invalid_request');
  });

  it('answers 401 without a subject and 403 without a verifications scope', async () => {
    expect((await handler(apiEvent({ scope: 'verifications/client', body: {} }), context)).statusCode).toBe(
      401,
    );
    const res = await handler(apiEvent({ sub: 'u', scope: 'openid', body: {} }), context);
    expect(res.statusCode).toBe(403);
    expect((parse(res).error as { code: string }).code).toBe('insufficient_scope');
  });

  it('refuses email and phone with 400 invalid_request naming them, and writes nothing', async () => {
    const res = await handler(
      apiEvent({ ...CLIENT, body: { email: 'ada@example.com', phone: '+1 555 0100' } }),
      context,
    );
    expect(res.statusCode).toBe(400);
    const error = parse(res).error as { code: string; details: Array<{ path: string; message: string }> };
    expect(error.code).toBe('invalid_request');
    expect(error.details.map((d) => d.path)).toEqual(['email', 'phone']);
    expect(JSON.stringify(error)).not.toContain('ada@example.com');
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(0);
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('claims an Idempotency-Key in the same write as the verification, and replays it without a second execution', async () => {
    metaAfterCreate('awaiting_upload');
    const first = await handler(
      apiEvent({ ...CLIENT, body: { id_type: 'P' }, headers: { 'idempotency-key': 'key-1' } }),
      context,
    );
    const [meta, claim] = ddb
      .commandCalls(TransactWriteCommand)[0]!
      .args[0].input.TransactItems!.map((t) => t.Put!);
    expect(meta!.Item).toMatchObject({ sk: 'META', id: parse(first).id });
    expect(claim!.Item).toMatchObject({
      pk: 'IDEMPOTENCY#user-1#key-1',
      sk: 'IDEMPOTENCY',
      verificationId: parse(first).id,
    });
    expect(claim!.ConditionExpression).toBe('attribute_not_exists(pk)');

    ddb.on(TransactWriteCommand).rejects(claimTaken());
    ddb
      .on(GetCommand, { Key: { pk: 'IDEMPOTENCY#user-1#key-1', sk: 'IDEMPOTENCY' } })
      .resolves({ Item: claim!.Item });
    const again = await handler(
      apiEvent({ ...CLIENT, body: { id_type: 'P' }, headers: { 'idempotency-key': 'key-1' } }),
      context,
    );
    expect(again.statusCode).toBe(201);
    expect(parse(again).id).toBe(parse(first).id);
    expect(again.headers?.['idempotent-replayed']).toBe('true');
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(1);
  });

  it('starts the execution when a create is tried again after its write went through but its answer was lost', async () => {
    // The first create's write reaches DynamoDB but its answer times out: 503, no execution.
    ddb
      .on(TransactWriteCommand)
      .rejects(Object.assign(new Error('socket hang up'), { name: 'TimeoutError' }));
    const request = () => apiEvent({ ...CLIENT, body: {}, headers: { 'idempotency-key': 'key-1' } });
    expect((await handler(request(), context)).statusCode).toBe(503);
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
    const [meta, claim] = ddb
      .commandCalls(TransactWriteCommand)[0]!
      .args[0].input.TransactItems!.map((t) => t.Put!.Item!);

    // Tried again with the same key: the claim and the verification (still creating) are there.
    ddb.on(TransactWriteCommand).rejects(claimTaken());
    ddb.on(GetCommand).callsFake((input: { Key: { sk: string } }) => ({
      Item: input.Key.sk === 'META' ? meta : claim,
    }));
    const again = await handler(request(), { ...context, getRemainingTimeInMillis: () => 1_200 });
    expect(again.statusCode).toBe(202);
    expect(parse(again)).toMatchObject({ id: meta!.id, status: 'creating' });
    const started = sfn.commandCalls(StartExecutionCommand);
    expect(started).toHaveLength(1);
    expect(started[0]!.args[0].input).toMatchObject({ name: meta!.id });
  });

  it('answers 422 when an Idempotency-Key is reused with a different body', async () => {
    ddb.on(TransactWriteCommand).rejects(claimTaken());
    ddb
      .on(GetCommand)
      .resolves({ Item: { verificationId: 'vrf_abcdefghijklmnopqrstuvwxyz', requestHash: 'other' } });
    const res = await handler(
      apiEvent({ ...CLIENT, body: {}, headers: { 'idempotency-key': 'key-1' } }),
      context,
    );
    expect(res.statusCode).toBe(422);
    expect((parse(res).error as { code: string }).code).toBe('idempotency_key_reused');
  });

  it('answers 500 and leaves the Idempotency-Key unclaimed when the create write fails', async () => {
    ddb.on(TransactWriteCommand).rejects(Object.assign(new Error('boom'), { name: 'InternalServerError' }));
    const res = await handler(
      apiEvent({ ...CLIENT, body: {}, headers: { 'idempotency-key': 'key-2' } }),
      context,
    );
    expect(res.statusCode).toBe(500);
    // Nothing but the one transaction was written: no claim outlives the failed create.
    expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('answers 503 service_unavailable with Retry-After, leaving nothing made, when DynamoDB is throttling', async () => {
    ddb
      .on(TransactWriteCommand)
      .rejects(new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} }));
    const res = await handler(
      apiEvent({ ...CLIENT, body: {}, headers: { 'idempotency-key': 'key-3' } }),
      context,
    );
    expect(res.statusCode).toBe(503);
    expect(res.headers).toMatchObject({ 'retry-after': '1' });
    expect(parse(res)).toEqual({
      error: { code: 'service_unavailable', message: 'The service is busy; try again shortly' },
    });
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('answers 202 creating, not an error, when reading for the transaction times out after the create', async () => {
    ddb.on(GetCommand).rejects(Object.assign(new Error('socket hang up'), { name: 'TimeoutError' }));
    const res = await handler(apiEvent({ ...CLIENT, body: {} }), context);
    expect(res.statusCode).toBe(202);
    expect(parse(res)).toMatchObject({ status: 'creating' });
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(1);
  });

  it('marks the verification failed and frees the key when the execution cannot start', async () => {
    sfn.on(StartExecutionCommand).rejects(new Error('throttled'));
    const res = await handler(
      apiEvent({ ...CLIENT, body: {}, headers: { 'idempotency-key': 'k' } }),
      context,
    );
    expect(res.statusCode).toBe(500);
    expect(parse(res)).toEqual({ error: { code: 'internal_error', message: 'Internal error' } });
    expect(ddb.commandCalls(UpdateCommand)[0]!.args[0].input.ExpressionAttributeValues).toMatchObject({
      ':outcome': 'failed',
    });
  });

  it('keeps email and phone for Berbix when the deployment opted in to sending them', async () => {
    metaAfterCreate('awaiting_upload');
    const db = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
    const res = await createVerification(
      {
        repository: new VerificationRepository(db, 'verifications', { dataRetentionDays: 30 }),
        workflow: new Workflow(new SFNClient({ region: 'us-east-1' }), TEST_ENV.STATE_MACHINE_ARN),
        funnel: { started: () => undefined, failed: () => undefined },
        config: {
          createWaitMs: 0,
          abandonAfterSeconds: 60,
          imageRetentionSeconds: 0,
          sendContactDetails: true,
        },
      },
      {
        auth: { sub: 'user-1', isBackend: false } as AuthContext,
        body: { email: 'ada@example.com', phone: '+15550100' },
        idempotencyKey: undefined,
      },
    );
    // Still `creating`: the handler answers 202.
    expect(res.verification.status).toBe('creating');
    const items = ddb
      .commandCalls(TransactWriteCommand)[0]!
      .args[0].input.TransactItems!.map((t) => t.Put!.Item!);
    expect(items[0]).not.toHaveProperty('email');
    expect(items[1]).toMatchObject({ sk: 'CREATE', email: 'ada@example.com', phone: '+15550100' });
  });

  describe('waiting for the Berbix transaction', () => {
    /** Deps on a fake clock that only the waits move, and a META that is `creating` for `reads` reads. */
    function onClock(creatingReads: number, createWaitMs = 8000, remainingAtWaitMs = Infinity, readMs = 0) {
      let clock = Date.UTC(2026, 0, 1);
      const sleeps: number[] = [];
      let reads = 0;
      ddb.on(GetCommand).callsFake((input: { Key: { pk: string } }) => {
        reads += 1;
        clock += readMs;
        const status = reads <= creatingReads ? 'creating' : 'awaiting_upload';
        const id = input.Key.pk.slice(2);
        return { Item: { pk: input.Key.pk, sk: 'META', ...verification({ id, status }) } };
      });
      const db = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
      const deps = {
        repository: new VerificationRepository(db, 'verifications', { dataRetentionDays: 30 }),
        workflow: new Workflow(new SFNClient({ region: 'us-east-1' }), TEST_ENV.STATE_MACHINE_ARN),
        config: {
          createWaitMs,
          abandonAfterSeconds: 60,
          imageRetentionSeconds: 0,
          sendContactDetails: false,
        },
        funnel: { started: () => undefined, failed: () => undefined },
        now: () => new Date(clock),
        sleep: async (ms: number) => {
          sleeps.push(ms);
          clock += ms;
        },
      };
      const waitStarted = clock;
      const create = () =>
        createVerification(deps, {
          auth: { sub: 'user-1', isBackend: false } as AuthContext,
          body: {},
          idempotencyKey: undefined,
          remainingMs: () => remainingAtWaitMs - (clock - waitStarted),
        });
      return { create, sleeps, reads: () => reads };
    }

    it('reads again after 20 ms, not a fixed 200 ms, and answers (201) on the read that finds the transaction', async () => {
      const { create, sleeps, reads } = onClock(3);
      const res = await create();
      // No longer `creating`: the handler answers 201.
      expect(res.verification.status).toBe('awaiting_upload');
      expect(reads()).toBe(4);
      expect(sleeps).toEqual([20, 20, 20, 20]);
    });

    it('ends the wait early enough to answer (202) when the writes before it used most of the invocation', async () => {
      // 3 s left when the wait begins (slow writes and StartExecution on a loaded table).
      const { create, sleeps } = onClock(Infinity, 8000, 3000);
      const res = await create();
      expect(res.verification.status).toBe('creating');
      expect(sleeps.reduce((a, b) => a + b, 0)).toBe(3000 - CREATE_ANSWER_RESERVE_MS);
    });

    it('begins no read that, as slow as the slowest so far, would end after the wait', async () => {
      // Each read takes 1.5 s (a loaded table); 5 s are left when the wait begins.
      const { create, reads } = onClock(Infinity, 8000, 5000, 1500);
      const res = await create();
      expect(res.verification.status).toBe('creating');
      // Reads end at 1.52, 3.04 s; a third would end at 4.56 s, past the 4 s the wait may take.
      expect(reads()).toBe(2);
    });

    it('slows down as the wait grows, never beyond 200 ms between reads, and answers (202) at the bound', async () => {
      const { create, sleeps, reads } = onClock(Infinity, 8000);
      const res = await create();
      // Still `creating`: the handler answers 202.
      expect(res.verification.status).toBe('creating');
      expect(sleeps.reduce((a, b) => a + b, 0)).toBe(8000);
      expect(Math.max(...sleeps)).toBe(CREATE_POLL_MAX_MS);
      // A sixteenth of the time waited: about twice the reads of a fixed 200 ms poll over 8 s, not more.
      expect(reads()).toBeLessThanOrEqual((2 * 8000) / CREATE_POLL_MAX_MS + 10);
    });
  });
});
