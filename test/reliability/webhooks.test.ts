import {
  awaiting,
  backendToken,
  createVerification,
  hasStatus,
  newUser,
  upload,
  waitForVerification,
  type Verification,
} from '../integration/support/api';
import { berbixTransactionId, itemsOf } from '../integration/support/aws';
import { image } from '../integration/support/images';
import { callsFor } from '../integration/support/sandbox';
import {
  deleteVerification,
  deliverWebhook,
  eventually,
  expectNothingLeft,
  signedDelivery,
  webhookDeliveriesStored,
} from './support/deletion';

async function completed(prefix: string): Promise<{ v: Verification; token: string; transactionId: number }> {
  const { token } = await newUser(prefix);
  const v = await createVerification(token);
  await upload(v.id, token, 'document_front', image('driversLicenseFront'));
  await waitForVerification(v.id, token, awaiting('upload_document_back'));
  await upload(v.id, token, 'document_back', image('driversLicenseBack'));
  await waitForVerification(v.id, token, hasStatus('completed'));
  // The execution goes on after `completed` (the event, then the images' deletion): once it has
  // ended, what a test compares afterwards is what the webhook did and nothing else.
  const settled = await eventually(
    () => itemsOf(v.id),
    (items) => items.META?.imagesDeletedAt !== undefined,
  );
  expect(settled.META?.imagesDeletedAt).toBeDefined();
  return { v, token, transactionId: await berbixTransactionId(v.id) };
}

/** How often the pipeline asked Berbix for the transaction's result. */
const fetches = async (transactionId: number) =>
  (await callsFor(transactionId)).filter((c) => c.method === 'GET' && c.path === '/v0/transactions').length;

describe('Berbix webhooks', () => {
  it('handles a delivery once: replayed inside its signature window, it changes nothing and asks Berbix nothing', async () => {
    const { v, transactionId } = await completed('webhook-replay-');
    const before = await fetches(transactionId);
    // A reviewer's decision as Berbix would announce it (the action differs from the cached one).
    const delivery = signedDelivery({
      event: 'verification_status',
      transaction_id: transactionId,
      action: 'reject',
    });
    const remembered = await webhookDeliveriesStored();
    expect(await deliverWebhook(delivery)).toBe(200);
    expect(await fetches(transactionId)).toBe(before + 1);
    expect(await webhookDeliveriesStored()).toBe(remembered + 1);
    const cached = await itemsOf(v.id);

    for (let i = 0; i < 3; i++) expect(await deliverWebhook(delivery)).toBe(200);
    expect(await fetches(transactionId)).toBe(before + 1);
    expect(await itemsOf(v.id)).toEqual(cached);
  });

  it('refuses forged and stale deliveries with 401 and asks Berbix nothing', async () => {
    const { v, transactionId } = await completed('webhook-forged-');
    const payload = { event: 'verification_status', transaction_id: transactionId, action: 'reject' };
    const before = { fetches: await fetches(transactionId), items: await itemsOf(v.id) };
    const now = Math.floor(Date.now() / 1000);
    const forged = signedDelivery(payload, { secret: 'whsec_guessed' });
    const stale = signedDelivery(payload, { at: now - 301 });
    // Well beyond the 300 s window: at now + 301 (now in whole seconds), a second boundary passed
    // between here and the handler's check made it 300 s ahead, a valid delivery.
    const early = signedDelivery(payload, { at: now + 330 });
    const tampered = { ...signedDelivery(payload), body: JSON.stringify({ ...payload, action: 'accept' }) };
    for (const delivery of [forged, stale, early, tampered]) expect(await deliverWebhook(delivery)).toBe(401);
    expect({ fetches: await fetches(transactionId), items: await itemsOf(v.id) }).toEqual(before);
  });

  it('acknowledges a delivery for a deleted verification, or an unknown transaction, and writes nothing', async () => {
    const prefix = 'webhook-deleted-';
    const { v, token, transactionId } = await completed(prefix);
    expect((await deleteVerification(v.id, await backendToken())).status).toBe(204);
    const tombstone = await expectNothingLeft(v.id, token, prefix);
    const items = await itemsOf(v.id);
    const before = await fetches(transactionId);
    const remembered = await webhookDeliveriesStored();

    const late = { event: 'verification_status', transaction_id: transactionId, action: 'reject' };
    expect(await deliverWebhook(signedDelivery(late))).toBe(200);
    expect(await deliverWebhook(signedDelivery({ ...late, transaction_id: 999_999_999 }))).toBe(200);
    expect(await itemsOf(v.id)).toEqual(items);
    expect(await webhookDeliveriesStored()).toBe(remembered);
    expect(await fetches(transactionId)).toBe(before);
    expect(await waitForVerification(v.id, token, hasStatus('deleted'))).toEqual(tombstone);
  });
});
