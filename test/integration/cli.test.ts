/** `berbix-serverless` as a real process against the local cloud, as an integrator would run it. */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { coachingFor } from '../../client';
import { EXIT } from '../../cli/errors';
import { writeDiscoveryFile } from '../../cli/local-cloud';
import { quickStartCommands } from '../../cli/quick-start';
import { presets, SAMPLE_AAMVA } from '../../local/test-images';
import { api, backendToken, getVerification, mintToken, type Verification } from './support/api';
import { cliEnv, COLOUR, PROJECT_DIR, runCli, runCliInTerminal } from './support/cli';
import { integrationConfig } from './support/config';

const dir = mkdtempSync(path.join(os.tmpdir(), 'berbix-cli-'));
const images = path.join(dir, 'images');
const file = (name: string, bytes: Uint8Array | string) => {
  const p = path.join(dir, name);
  writeFileSync(p, bytes);
  return p;
};
const front = file('front.jpg', presets.driversLicenseFront().bytes);
const back = file('back.jpg', presets.driversLicenseBack().bytes);
const blurry = file('blurry.jpg', presets.blurryFront().bytes);
const passport = file('passport.png', presets.passport().bytes);

const apiFlag = () => ['--api', integrationConfig().apiUrl];
const idIn = (output: string) => /vrf_[a-z2-7]{26}/.exec(output)?.[0] ?? '';

async function verificationNamedIn(output: string): Promise<Verification> {
  const read = await getVerification(idIn(output), await backendToken());
  expect(read.status).toBe(200);
  return read.body;
}

describe('berbix-serverless against the local cloud', () => {
  it("runs the banner's quick start pasted as one block: a driver's licence whose blurry front is retaken from the second --front", async () => {
    // Exactly what `npm start` prints, into a folder of this test, against this test's cloud.
    const block = quickStartCommands(images).join('\n');
    const shell = spawn('bash', ['-c', block], {
      cwd: PROJECT_DIR,
      env: cliEnv({ BERBIX_SERVERLESS_API_URL: integrationConfig().apiUrl }),
    });
    let stdout = '';
    let stderr = '';
    shell.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    shell.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise<number | null>((resolve) => shell.once('close', resolve));

    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toContain('Berbix asks for the front again:');
    expect(stdout).toContain(coachingFor('text_unreadable'));
    expect(stdout).toMatch(/Front accepted; Berbix asks for the back/);
    // The action is Berbix's (the sandbox flags a possible duplicate of another test's person).
    expect(stdout).toMatch(/Completed: action (accept|review)/);
    expect(stdout).not.toContain('eyJ'); // no token is ever printed
    const done = await verificationNamedIn(stdout);
    expect(done).toMatchObject({ status: 'completed', attempts: { document_front: 2, document_back: 1 } });
  });

  it('finds the local cloud and mints its own token with neither --api nor --token, and finishes a passport by sending its front again', async () => {
    const project = mkdtempSync(path.join(os.tmpdir(), 'berbix-cli-project-'));
    writeDiscoveryFile(project, integrationConfig().apiUrl);
    const run = await runCli(['verify', '--front', passport], { cwd: project });
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain('sending the front again as the back');
    expect(run.code).toBe(EXIT.ok);
    const done = await verificationNamedIn(run.stdout);
    expect(done).toMatchObject({ status: 'completed', attempts: { document_front: 1, document_back: 1 } });
  });

  it('completes from a barcode scan, and falls back to photos when the scan cannot be read', async () => {
    const scan = await runCli([
      'verify',
      ...apiFlag(),
      '--scan',
      file('scan.txt', Buffer.from(SAMPLE_AAMVA, 'latin1')),
    ]);
    expect(scan.stdout).toContain('Barcode scan accepted');
    expect(scan.code).toBe(EXIT.ok);

    const garbled = file('garbled.b64', Buffer.from('not an AAMVA barcode').toString('base64'));
    const fallback = await runCli([
      'verify',
      ...apiFlag(),
      '--scan',
      garbled,
      '--front',
      front,
      '--back',
      back,
    ]);
    expect(fallback.stdout).toContain('falling back to photos of the front');
    expect(fallback.code).toBe(EXIT.ok);
    expect(await verificationNamedIn(fallback.stdout)).toMatchObject({
      status: 'completed',
      attempts: { id_scan: 1, document_front: 1, document_back: 1 },
    });
  });

  it('prints one JSON object with --json, and the commands for one verification work on it', async () => {
    const run = await runCli([
      'verify',
      ...apiFlag(),
      '--json',
      '--id-type',
      'dl',
      '--id-country',
      'us',
      '--front',
      front,
      '--back',
      back,
    ]);
    expect(run.code).toBe(EXIT.ok);
    expect(run.stderr).toBe('');
    const report = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(report).toMatchObject({
      status: 'completed',
      next_step: 'done',
      issues: [],
      exit_code: 0,
      result: { action: expect.any(String), flags: expect.any(Array), fields: { family_name: 'high' } },
    });
    const id = String(report.id);

    const status = await runCli(['status', id, ...apiFlag(), '--json']);
    expect(JSON.parse(status.stdout)).toMatchObject({ id, status: 'completed' });

    const token = await runCli(['token', '--backend', '--sub', 'cli-test-backend', ...apiFlag()]);
    expect(token.stdout.trim()).toMatch(/^eyJ[\w-]+\.[\w-]+\.[\w-]+$/);
    const result = await runCli(['result', id, ...apiFlag(), '--token', token.stdout.trim()]);
    expect(result.stdout).toMatch(/family_name\s+Lovelace/);
    expect(result.stdout).not.toContain(token.stdout.trim());

    const unconfirmed = await runCli(['delete', id, ...apiFlag()]);
    expect(unconfirmed.code).toBe(EXIT.usage);
    expect(unconfirmed.stderr).toContain('pass --yes');
    const deleted = await runCli(['delete', id, '--yes', ...apiFlag()]);
    expect(deleted.code).toBe(EXIT.ok);
    expect((await getVerification(id, await backendToken())).body.status).toBe('deleted');
  });

  it('refuses a wrong token with exit code 5 and one line that does not repeat it', async () => {
    const run = await runCli(['verify', ...apiFlag(), '--token', 'not-a-jwt-at-all', '--front', front]);
    expect(run.code).toBe(EXIT.auth);
    expect(run.stderr.trim().split('\n')).toEqual([
      'error: Creating the verification: the API refused the token (401 Unauthorized); it is missing, expired, or not issued for this API',
    ]);
    expect(run.stdout + run.stderr).not.toContain('not-a-jwt-at-all');

    // A valid end-user token may not read results: the gateway's scope check.
    const user = await mintToken('cli-test-user');
    const result = await runCli(['result', 'vrf_aaaaaaaaaaaaaaaaaaaaaaaaaa', ...apiFlag(), '--token', user]);
    expect(result.code).toBe(EXIT.auth);
    expect(result.stderr).toContain('the token lacks the scope for this (403 Forbidden)');
  });

  it('stops with exit code 2 when a retake is asked and no file is left, without a terminal', async () => {
    const run = await runCli(['verify', ...apiFlag(), '--id-type', 'DL', '--front', blurry]);
    expect(run.code).toBe(EXIT.usage);
    expect(run.stderr).toContain('Berbix asks for the front again and no --front file is left');
    expect(await verificationNamedIn(run.stderr)).toMatchObject({
      status: 'awaiting_upload',
      next_step: 'upload_document_front',
    });
  });

  it('asks for a path in a terminal when a retake is asked and no file is left, without colours under NO_COLOR', async () => {
    const terminal = runCliInTerminal(
      ['verify', ...apiFlag(), '--id-type', 'DL', '--front', blurry, '--back', back],
      {
        env: { NO_COLOR: '1' },
      },
    );
    await terminal.waitFor('Path to another image of the front: ');
    expect(terminal.text()).toContain(coachingFor('text_unreadable'));
    terminal.type(path.join(dir, 'missing.jpg'));
    await terminal.waitFor('missing.jpg: no such file');
    terminal.type(front);
    expect(await terminal.exited).toBe(EXIT.ok);
    expect(terminal.text()).toContain('Completed: action ');
    // A spinner and a progress bar were drawn, in no colour.
    expect(terminal.raw()).toContain('Uploading the back (back.jpg) [');
    expect(terminal.raw()).not.toMatch(COLOUR);
  });

  it('ends with exit code 4 when the verification is deleted while it waits for the back', async () => {
    const terminal = runCliInTerminal(['verify', ...apiFlag(), '--id-type', 'DL', '--front', front]);
    await terminal.waitFor('image of the back');
    const id = idIn(terminal.text());
    const deleted = await api('DELETE', `/verifications/${id}`, { token: await backendToken() });
    expect(deleted.status).toBeLessThan(300);
    terminal.type(back);
    expect(await terminal.exited).toBe(EXIT.abandoned);
    expect(terminal.text()).toContain('Deleted before it completed');
  });
});
