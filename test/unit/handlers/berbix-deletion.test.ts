import { GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { Verification } from '../../../lambdas/domain';
import { ddb, givenMeta, givenTokens, resetAws, verification, VID } from '../support/aws';
import { setTestEnv } from '../support/env';
import { context } from '../support/events';
import { FakeBerbix } from '../support/fake-berbix';

type Step = { verificationId: string; outcome: string; retryInSeconds: number };
let handler: (input: { verificationId: string; startedAt: string }, ctx: typeof context) => Promise<Step>;
const berbix = new FakeBerbix();

beforeAll(async () => {
  // The stack's defaults: first wait 30 s, give up after 6 h, a create may come back for 90 s.
  setTestEnv({ BERBIX_API_URL: await berbix.start() });
  ({ handler } = await import('../../../lambdas/handlers/sfn/delete-berbix-transaction'));
});
afterAll(() => berbix.stop());
beforeEach(() => {
  resetAws();
  berbix.reset();
});

const ago = (seconds: number) => new Date(Date.now() - seconds * 1000).toISOString();
const tombstone = (overrides: Partial<Verification> = {}) =>
  verification({
    status: 'deleted',
    deletedAt: ago(5),
    berbixDeletion: 'pending',
    berbixTransactionId: undefined,
    awaiting: undefined,
    ...overrides,
  });
const finished = () =>
  ddb.commandCalls(TransactWriteCommand).map((c) => {
    const [meta, ...rest] = c.args[0].input.TransactItems ?? [];
    return { values: meta?.Update?.ExpressionAttributeValues, deletes: rest.map((r) => r.Delete?.Key?.sk) };
  });
const noTokens = () => ddb.on(GetCommand, { Key: { pk: `V#${VID}`, sk: 'TOKENS' } }).resolves({});
const unavailable = { status: 503, headers: { 'retry-after': '0' }, body: { code: 503, message: 'down' } };
const run = (startedAt = ago(30)) => handler({ verificationId: VID, startedAt }, context);

describe('the Berbix deletion task', () => {
  it('deletes the transaction with the kept tokens, records done and drops the tokens', async () => {
    givenMeta(tombstone());
    givenTokens();
    berbix.on('DELETE /v0/transactions', { status: 204 });
    await expect(run()).resolves.toEqual({ verificationId: VID, outcome: 'done', retryInSeconds: 0 });
    expect(berbix.calls('DELETE /v0/transactions')[0]?.authorization).toBe('Bearer access-token-secret');
    expect(finished()).toEqual([
      { values: expect.objectContaining({ ':result': 'done' }), deletes: ['TOKENS'] },
    ]);
  });

  it('waits longer each time Berbix is unavailable: as long as it has been trying, from 30 s to 30 min', async () => {
    givenMeta(tombstone());
    givenTokens();
    berbix.on('DELETE /v0/transactions', unavailable);
    expect(await run(ago(1))).toMatchObject({ outcome: 'retry', retryInSeconds: 30 });
    expect((await run(ago(100))).retryInSeconds).toBeGreaterThanOrEqual(100);
    expect(await run(ago(4 * 3600))).toMatchObject({ outcome: 'retry', retryInSeconds: 1800 });
    expect(finished()).toEqual([]);
  });

  it('gives up once the next try would come after six hours, keeping the tokens for a re-run', async () => {
    givenMeta(tombstone());
    givenTokens();
    berbix.on('DELETE /v0/transactions', {
      status: 503,
      headers: { 'retry-after': '0' },
      body: { code: 503 },
    });
    expect(await run(ago(6 * 3600 - 60))).toMatchObject({ outcome: 'failed' });
    expect(finished()).toEqual([
      {
        values: expect.objectContaining({ ':result': 'failed', ':reason': 'retries_exhausted' }),
        deletes: [],
      },
    ]);
  });

  it('records a refusal for good as failed, with its reason', async () => {
    givenMeta(tombstone());
    givenTokens();
    berbix.on('DELETE /v0/transactions', { status: 403, body: { code: 403, message: 'forbidden' } });
    expect(await run()).toMatchObject({ outcome: 'failed' });
    expect(finished()[0]?.values).toMatchObject({ ':result': 'failed', ':reason': 'berbix_auth_403' });
  });

  it('waits for the tokens of a create still in flight, then records that nothing was created', async () => {
    givenMeta(tombstone({ deletedAt: ago(80) }));
    noTokens();
    expect(await run()).toEqual({ verificationId: VID, outcome: 'retry', retryInSeconds: 10 });
    expect(finished()).toEqual([]);

    givenMeta(tombstone({ deletedAt: ago(91) }));
    expect(await run()).toMatchObject({ outcome: 'done' });
    expect(finished()[0]?.values).toMatchObject({ ':result': 'done' });
    expect(berbix.requests).toHaveLength(0);
  });

  it('has nothing to do for a deletion that already ended, or a verification that is not deleted', async () => {
    noTokens();
    givenMeta(tombstone({ berbixDeletion: 'done' }));
    expect(await run()).toMatchObject({ outcome: 'done' });
    givenMeta(verification());
    expect(await run()).toMatchObject({ outcome: 'done' });
    expect(ddb.commandCalls(GetCommand, { Key: { pk: `V#${VID}`, sk: 'TOKENS' } })).toHaveLength(1);
    expect(berbix.requests).toHaveLength(0);
    expect(finished()).toEqual([]);
  });
});
