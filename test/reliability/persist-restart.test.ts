/**
 * `npm start -- --persist`, stopped and started again: Step Functions executions do not survive
 * (the local emulator keeps them in memory), the tables, objects and the sandbox's transactions do.
 * A verification caught creating, awaiting an upload or processing one must still finish.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  createVerificationClient,
  postUploadForm,
  waitForVerification,
  type Verification,
  type VerificationClient,
} from '../../client';
import { startCloudProcess, type CloudProcess } from '../integration/support/cloud-process';
import { image } from '../integration/support/images';

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'berbix-serverless-persist-'));
const logFile = path.join(os.tmpdir(), `berbix-serverless-persist-${process.pid}.log`);
let cloud: CloudProcess | undefined;

const startCloud = async () => {
  cloud = await startCloudProcess({ port: 0, dataDir, logFile });
  return cloud.config;
};
afterAll(async () => {
  await cloud?.stop();
  rmSync(dataDir, { recursive: true, force: true });
}, 90_000);

async function tokenFor(apiUrl: string, sub: string, scopes = ['verifications/client']): Promise<string> {
  const res = await fetch(`${apiUrl}/_local/tokens`, {
    method: 'POST',
    body: JSON.stringify({ sub, scopes }),
  });
  return ((await res.json()) as { token: string }).token;
}

async function send(client: VerificationClient, id: string, step: 'document_front' | 'document_back') {
  const picture = image(step === 'document_front' ? 'driversLicenseFront' : 'driversLicenseBack');
  const form = await client.createUpload(id, { step, content_type: picture.format });
  if (!form.ok) throw new Error(`no upload form: ${form.status} ${JSON.stringify(form.error)}`);
  const posted = await postUploadForm(
    form.data,
    new Blob([new Uint8Array(picture.bytes)], { type: picture.format }),
  );
  if (!posted.ok) throw new Error(`S3 refused the upload: ${posted.status}`);
}

async function until(client: VerificationClient, id: string, holds: (v: Verification) => boolean) {
  const read = await waitForVerification(client, id, holds, { timeoutMs: 60_000, intervalMs: 200 });
  if (!read.ok) throw new Error(`reading ${id} failed: ${read.status}`);
  return read.data;
}

const waitsFor = (nextStep: string) => (v: Verification) =>
  v.status === 'awaiting_upload' && v.next_step === nextStep;

describe('a persisted local cloud, restarted', () => {
  it('resumes verifications that were creating, awaiting an upload or processing one, and still deletes them', async () => {
    const first = await startCloud();
    let apiUrl = first.apiUrl;
    // Tokens stay valid across the restart (the dev issuer's key is persisted too); clients follow the cloud.
    const tokens = {
      waiting: await tokenFor(apiUrl, 'persist-waiting'),
      processing: await tokenFor(apiUrl, 'persist-frozen-upload'),
      creating: await tokenFor(apiUrl, 'persist-frozen-create'),
      backend: await tokenFor(apiUrl, 'persist-backend', ['verifications/backend']),
    };
    const as = (who: keyof typeof tokens) =>
      createVerificationClient({ apiUrl, getToken: () => tokens[who] });
    const freeze = (prefix: string, path: string) =>
      fetch(`${first.sandboxUrl}/_sandbox/faults`, {
        method: 'PUT',
        body: JSON.stringify({ customerUidPrefix: prefix, latencyMs: 60_000, paths: [path] }),
      });
    const create = async (who: keyof typeof tokens) => {
      const created = await as(who).createVerification({ id_country: 'US', id_type: 'DL' });
      if (!created.ok) throw new Error(`create answered ${created.status}`);
      return created.data;
    };

    // Awaiting the back.
    const waiting = await create('waiting');
    await until(as('waiting'), waiting.id, waitsFor('upload_document_front'));
    await send(as('waiting'), waiting.id, 'document_front');
    await until(as('waiting'), waiting.id, waitsFor('upload_document_back'));

    // Processing: its front is claimed and on its way to a Berbix that takes a minute to answer.
    const processing = await create('processing');
    await until(as('processing'), processing.id, waitsFor('upload_document_front'));
    await freeze('persist-frozen-upload', '/v0/images/upload');
    await send(as('processing'), processing.id, 'document_front');
    await until(as('processing'), processing.id, (v) => v.status === 'processing');

    // Creating: Berbix takes a minute to create the transaction.
    await freeze('persist-frozen-create', '/v0/transactions');
    const creating = await create('creating');
    expect(creating.status).toBe('creating');

    await cloud!.stop();
    apiUrl = (await startCloud()).apiUrl;

    // Each one finishes on the new cloud (no fault survives a restart).
    await send(as('waiting'), waiting.id, 'document_back');
    await until(as('waiting'), waiting.id, (v) => v.status === 'completed');
    await until(as('processing'), processing.id, waitsFor('upload_document_back'));
    await send(as('processing'), processing.id, 'document_back');
    await until(as('processing'), processing.id, (v) => v.status === 'completed');
    await until(as('creating'), creating.id, waitsFor('upload_document_front'));

    // The sandbox still knows the tokens it issued before the restart: DELETE reaches Berbix.
    for (const { id } of [waiting, processing, creating]) {
      expect({ id, status: (await as('backend').deleteVerification(id)).status }).toEqual({
        id,
        status: 204,
      });
    }
  }, 300_000);
});
