/**
 * What a DELETE must leave behind, looked up where it lives: the verification's items in DynamoDB,
 * its objects in S3, the executions of every state machine named after it, and what the Berbix
 * sandbox still holds for the test's users.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  ListStateMachinesCommand,
  SFNClient,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { signWebhook } from '../../../local/sandbox/webhooks';
import { api, getVerification, waitForVerification, type Verification } from '../../integration/support/api';
import { itemsOf, objectsOf } from '../../integration/support/aws';
import { integrationConfig } from '../../integration/support/config';
import { transactionsAtBerbix } from '../../integration/support/sandbox';

let clients: { sfn: SFNClient; db: DynamoDBDocumentClient } | undefined;
function aws() {
  if (clients) return clients;
  const { endpoints, credentials } = integrationConfig();
  const base = { region: credentials.region, credentials };
  clients = {
    sfn: new SFNClient({ ...base, endpoint: endpoints.sfn }),
    db: DynamoDBDocumentClient.from(new DynamoDBClient({ ...base, endpoint: endpoints.dynamodb })),
  };
  return clients;
}
afterAll(() => {
  clients?.sfn.destroy();
  clients?.db.destroy();
  clients = undefined;
});

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `probe` until `until` holds (bounded), and returns what it saw last. */
export async function eventually<T>(
  probe: () => Promise<T>,
  until: (value: T) => boolean,
  timeoutMs = 20_000,
) {
  const deadline = Date.now() + timeoutMs;
  let value = await probe();
  while (!until(value) && Date.now() < deadline) {
    await pause(150);
    value = await probe();
  }
  return value;
}

/** The state machines of the cloud, by name, with whether each is the verification flow. */
async function stateMachines(): Promise<{ arn: string; name: string; verification: boolean }[]> {
  const { stateMachines = [] } = await aws().sfn.send(new ListStateMachinesCommand({}));
  return Promise.all(
    stateMachines.map(async (m) => {
      const { definition = '' } = await aws().sfn.send(
        new DescribeStateMachineCommand({ stateMachineArn: m.stateMachineArn! }),
      );
      return {
        arn: m.stateMachineArn!,
        name: m.name!,
        verification: definition.includes('AwaitDocumentFront'),
      };
    }),
  );
}

const executionArn = (stateMachineArn: string, name: string) =>
  `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;

/** The status of every execution named after the verification (one per state machine that has one). */
export async function executionsOf(id: string): Promise<string[]> {
  const statuses: string[] = [];
  for (const machine of await stateMachines()) {
    try {
      const out = await aws().sfn.send(
        new DescribeExecutionCommand({ executionArn: executionArn(machine.arn, id) }),
      );
      statuses.push(out.status!);
    } catch (error) {
      if ((error as Error).name !== 'ExecutionDoesNotExist') throw error;
    }
  }
  return statuses;
}

/** Stops the verification's execution behind the pipeline's back, as a crash or an operator would. */
export async function stopVerificationExecution(id: string): Promise<void> {
  const machine = (await stateMachines()).find((m) => m.verification)!;
  await aws().sfn.send(new StopExecutionCommand({ executionArn: executionArn(machine.arn, id) }));
}

/** The ids of a user's verifications, straight from the table (a create may not have answered yet). */
export async function verificationIdsOf(customerUid: string): Promise<string[]> {
  const { Items = [] } = await aws().db.send(
    new ScanCommand({
      TableName: integrationConfig().tableName,
      FilterExpression: 'sk = :meta AND customerUid = :uid',
      ExpressionAttributeValues: { ':meta': 'META', ':uid': customerUid },
    }),
  );
  return Items.map((item) => String(item.id));
}

/** How many webhook deliveries the pipeline remembers (its replay guard). */
export async function webhookDeliveriesStored(): Promise<number> {
  const { Items = [] } = await aws().db.send(
    new ScanCommand({
      TableName: integrationConfig().tableName,
      FilterExpression: 'begins_with(pk, :webhook)',
      ExpressionAttributeValues: { ':webhook': 'WEBHOOK#' },
    }),
  );
  return Items.length;
}

/** META fields that hold personal data, flow state or a link to Berbix: none may stay on a tombstone. */
const LIVE_FIELDS = [
  'idCountry',
  'idType',
  'berbixTransactionId',
  'awaiting',
  'resultSummary',
  'failureReason',
  'lastSubmittedKey',
  'claimedObjects',
];

/**
 * Everything a DELETE promises, once its Berbix deletion is done: a tombstone and nothing else in
 * DynamoDB, no object under the prefix, no execution running, and every Berbix transaction of the
 * users whose sub starts with `prefix` deleted, holding nothing.
 */
export async function expectNothingLeft(id: string, token: string, prefix: string): Promise<Verification> {
  const tombstone = await waitForVerification(
    id,
    token,
    (v) => v.status === 'deleted' && v.berbix_deletion === 'done',
  );
  expect(tombstone).toMatchObject({ issues: [], issue_details: {} });
  expect(tombstone.result).toBeUndefined();
  expect(tombstone.failure_reason).toBeUndefined();
  expect(await objectsOf(id)).toEqual([]);
  const items = await itemsOf(id);
  expect(Object.keys(items)).toEqual(['META']);
  expect(LIVE_FIELDS.filter((field) => field in items.META!)).toEqual([]);
  expect(items.META).toMatchObject({ acceptedKeys: {} });
  const executions = await eventually(
    () => executionsOf(id),
    (s) => !s.includes('RUNNING'),
  );
  expect(executions).not.toContain('RUNNING');
  const atBerbix = await transactionsAtBerbix(prefix);
  expect(atBerbix.length).toBeGreaterThan(0);
  for (const t of atBerbix) {
    expect({ id: t.transactionId, deleted: t.deletedAt !== undefined, holds: t.holds }).toEqual({
      id: t.transactionId,
      deleted: true,
      holds: { email: false, phone: false, front: false, back: false, scan: false },
    });
  }
  return tombstone;
}

/** DELETE as the customer's backend. */
export async function deleteVerification(id: string, backend: string) {
  return api<Verification>('DELETE', `/verifications/${id}`, { token: backend });
}

/** A webhook delivery signed the way Berbix signs one, with the cloud's webhook secret. */
export function signedDelivery(
  payload: Record<string, unknown>,
  { secret = integrationConfig().webhookSecret, at = Math.floor(Date.now() / 1000) } = {},
) {
  const body = JSON.stringify(payload);
  return { body, signature: signWebhook(secret, at, body) };
}

export async function deliverWebhook(delivery: { body: string; signature: string }) {
  const res = await fetch(`${integrationConfig().apiUrl}/webhooks/berbix`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-berbix-signature': delivery.signature },
    body: delivery.body,
  });
  return res.status;
}

/** A call straight to the sandbox's Berbix API with a transaction's access token (Berbix's dashboard, in effect). */
export async function atBerbix(method: 'DELETE' | 'PATCH', accessToken: string, json?: unknown) {
  const res = await fetch(`${integrationConfig().sandboxUrl}/v0/transactions`, {
    method,
    headers: {
      authorization: `Bearer ${accessToken}`,
      ...(json === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: json === undefined ? undefined : JSON.stringify(json),
  });
  if (!res.ok) throw new Error(`Berbix ${method} answered ${res.status}`);
}

/**
 * Tokens the sandbox issues from now on live `seconds` (3600 by default). Below the client's
 * refresh margin (60 s), every Berbix call of the pipeline starts with a refresh: a call the test
 * can see in the sandbox's log before the call it wants to hold open is sent.
 */
export async function setTokenTtl(seconds: number): Promise<void> {
  const res = await fetch(`${integrationConfig().sandboxUrl}/_sandbox/config`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ tokenTtlSeconds: seconds }),
  });
  if (!res.ok) throw new Error(`sandbox config answered ${res.status}`);
}

/** The access token the pipeline keeps for a verification (TOKENS item). */
export async function accessTokenOf(id: string): Promise<string> {
  const token = (await itemsOf(id)).TOKENS?.accessToken;
  if (typeof token !== 'string') throw new Error(`no tokens stored for ${id}`);
  return token;
}

export { getVerification };
