import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { ddb, givenMeta, resetAws, verification, VID } from '../support/aws';
import { setTestEnv } from '../support/env';
import { context } from '../support/events';
import { FakeBerbix, tokenReply } from '../support/fake-berbix';

// A deployment that opted in to sending contact details (module config is read at load time).
const berbix = new FakeBerbix();
let handler: (input: { verificationId: string }, ctx: typeof context) => Promise<unknown>;

beforeAll(async () => {
  setTestEnv({ BERBIX_API_URL: await berbix.start(), SEND_CONTACT_DETAILS: 'true' });
  ({ handler } = await import('../../../lambdas/handlers/sfn/create-transaction'));
});
afterAll(() => berbix.stop());

beforeEach(() => {
  resetAws();
  berbix.reset();
  for (const c of [PutCommand, UpdateCommand, DeleteCommand, TransactWriteCommand] as const)
    ddb.on(c as never).resolves({});
});

describe('create-transaction with sendContactDetails', () => {
  it('sends the email and phone given at create, then drops them', async () => {
    givenMeta(verification({ status: 'creating', berbixTransactionId: undefined, nextStep: undefined }));
    ddb
      .on(GetCommand, { Key: { pk: `V#${VID}`, sk: 'CREATE' } })
      .resolves({ Item: { email: 'ada@example.com', phone: '+15550100' } });
    berbix.on('POST /v0/transactions', tokenReply({ first_step: 'upload_document_front' }));

    await handler({ verificationId: VID }, context);
    expect(berbix.calls('POST /v0/transactions')[0]?.body).toMatchObject({
      customer_uid: 'user-1',
      email: 'ada@example.com',
      phone: '+15550100',
    });
    // Dropped in the same transaction that links the Berbix transaction.
    const [write] = ddb.commandCalls(TransactWriteCommand).map((c) => c.args[0].input.TransactItems);
    expect(write?.some((item) => item.Delete?.Key?.sk === 'CREATE')).toBe(true);
  });
});
