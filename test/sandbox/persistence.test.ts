import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateCa, startSandbox, type CertificateAuthority, type Sandbox } from '../../local/sandbox';
import { presets } from '../../local/test-images';
import { SandboxClient, type Tokens } from './helpers';

let dir: string;
let file: string;
const running: Sandbox[] = [];
// One CA for every start: generating its key is the slow part of starting a sandbox.
let ca: CertificateAuthority;
beforeAll(() => {
  ca = generateCa();
});

/** A sandbox on the test's data file; closing it is a restart of the same sandbox. */
async function sandboxOnFile(): Promise<SandboxClient> {
  const sandbox = await startSandbox({ dataFile: file, ca });
  running.push(sandbox);
  return new SandboxClient(sandbox);
}
async function restart(client: SandboxClient): Promise<SandboxClient> {
  await client.sandbox.close();
  return sandboxOnFile();
}

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'sandbox-persist-'));
  file = path.join(dir, 'sandbox.json');
});
afterEach(async () => {
  for (const sandbox of running.splice(0)) await sandbox.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('a sandbox that persists to a data file', () => {
  it('keeps a transaction, its step, its accepted image and its tokens across a restart', async () => {
    let client = await sandboxOnFile();
    const tokens = await client.create({ idType: 'DL', idCountry: 'US' });
    await client.upload(tokens, 'document_front', presets.driversLicenseFront().bytes);

    client = await restart(client);
    const result = await client.transaction(tokens);
    expect(result.status).toBe(200);
    expect(result.body).toMatchObject({ id: tokens.transaction_id, customer_uid: 'user-1' });
    expect((result.body.images as Record<string, unknown>).front).toBeDefined();
    const back = await client.upload(tokens, 'document_back', presets.driversLicenseBack().bytes);
    expect(back).toMatchObject({ status: 200, body: { next_step: 'done', issues: [] } });
    // The result is built from the front read before the restart and the back read after it.
    const done = await client.transaction(tokens);
    expect(done.body).toMatchObject({ action: expect.any(String), fields: { given_name: { value: 'Ada' } } });
  });

  it('still refreshes the tokens and deletes the transaction after a restart, and remembers the deletion', async () => {
    let client = await sandboxOnFile();
    const tokens = await client.create();
    client = await restart(client);

    const refreshed = await client.call('POST', '/v0/tokens', {
      auth: client.basic,
      body: { refresh_token: tokens.refresh_token, grant_type: 'refresh_token' },
    });
    expect(refreshed.status).toBe(200);
    const fresh = refreshed.body as unknown as Tokens;
    expect(
      await client.call('DELETE', '/v0/transactions', { auth: `Bearer ${fresh.access_token}` }),
    ).toMatchObject({
      status: 204,
    });

    client = await restart(client);
    expect((await client.transaction(fresh)).status).toBe(410);
  });

  it('keeps expired tokens expired', async () => {
    let client = await sandboxOnFile();
    const tokens = await client.create();
    client.sandbox.expireTokens(tokens.transaction_id);
    client = await restart(client);
    expect((await client.transaction(tokens)).status).toBe(401);
  });

  it('starts empty without a file, and forgets everything without one', async () => {
    const client = await sandboxOnFile();
    const tokens = await client.create();
    const inMemory = await startSandbox({ ca });
    running.push(inMemory);
    expect((await new SandboxClient(inMemory).transaction(tokens)).status).toBe(401);
  });

  it('ignores a data file written by another version of the sandbox', async () => {
    writeFileSync(file, JSON.stringify({ version: 0, transactions: [{ id: 1 }], tokens: [] }));
    const client = await sandboxOnFile();
    expect((await client.create()).transaction_id).toEqual(expect.any(Number));
  });
});
