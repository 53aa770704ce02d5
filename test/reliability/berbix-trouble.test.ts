import {
  awaiting,
  createVerification,
  newUser,
  upload,
  waitForVerification,
} from '../integration/support/api';
import { berbixTransactionId } from '../integration/support/aws';
import { image } from '../integration/support/images';
import { allCalls, callsFor, clearFaults, expireTokens, setFaults } from '../integration/support/sandbox';

describe('Berbix trouble the pipeline rides out', () => {
  afterEach(() => clearFaults());

  it('refreshes Berbix tokens that expire mid-flow and carries on', async () => {
    const { token } = await newUser();
    const v = await createVerification(token);
    const transactionId = await berbixTransactionId(v.id);
    await expireTokens(transactionId);

    await upload(v.id, token, 'document_front', image('driversLicenseFront'));
    await waitForVerification(v.id, token, awaiting('upload_document_back'));
    const calls = await callsFor(transactionId);
    expect(calls.some((c) => c.path === '/v0/images/upload' && c.status === 401)).toBe(true);
    expect(calls.some((c) => c.path === '/v0/tokens' && c.status === 200)).toBe(true);
  });

  it('retries a burst of 503s from Berbix to success', async () => {
    const { token } = await newUser();
    const v = await createVerification(token);
    const before = (await allCalls()).length;
    await setFaults({ burst: { status: 503, count: 2, paths: ['/v0/images/upload'], retryAfterSeconds: 0 } });

    await upload(v.id, token, 'document_front', image('driversLicenseFront'));
    await waitForVerification(v.id, token, awaiting('upload_document_back'));
    const uploads = (await allCalls()).slice(before).filter((c) => c.path === '/v0/images/upload');
    expect(uploads.map((c) => [c.status, c.fault])).toEqual([
      [503, 'burst'],
      [503, 'burst'],
      [200, undefined],
    ]);
    expect(uploads[2]!.transactionId).toBe(await berbixTransactionId(v.id));
  });
});
