/**
 * The CLI process against a small stand-in for the API that answers only what docs/openapi.yaml
 * documents (each answer is checked against it before it is sent): the endings the local cloud
 * cannot produce in seconds (failed, abandoned, a 503), and proof that a bad file sends nothing.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { EXIT } from '../../../cli/errors';
import { presets } from '../../../local/test-images';
import { runCli } from '../../integration/support/cli';
import { loadSpecChecker } from '../../integration/support/spec';

const spec = loadSpecChecker();
const ID = 'vrf_abcdefghijklmnopqrstuvwxyz';
const dir = mkdtempSync(path.join(os.tmpdir(), 'berbix-cli-exit-'));
const front = path.join(dir, 'front.jpg');
writeFileSync(front, presets.driversLicenseFront().bytes);

type Ending = { status: 'failed'; failure_reason: string } | { status: 'abandoned' } | 'unavailable';

/** Plays the API for one verification that ends as `ending` once its front is uploaded. */
async function standIn(ending: Ending) {
  const requests: string[] = [];
  let uploaded = false;
  const verification = (): Record<string, unknown> => ({
    id: ID,
    customer_uid: 'someone',
    status: 'awaiting_upload',
    next_step: 'upload_document_front',
    issues: [],
    issue_details: {},
    attempts: uploaded ? { document_front: 1 } : {},
    created_at: '2030-01-01T00:00:00.000Z',
    updated_at: '2030-01-01T00:00:00.000Z',
    ...((uploaded && ending !== 'unavailable' ? ending : {}) as object),
  });
  const send = (req: IncomingMessage, res: ServerResponse, status: number, body?: unknown) => {
    const text = body === undefined ? '' : JSON.stringify(body);
    const url = req.url!.split('?')[0]!;
    if (!url.startsWith('/s3')) {
      const problems = spec.problems({
        method: req.method!,
        template: spec.templateOf(req.method!, url),
        status,
        contentType: body === undefined ? null : 'application/json',
        text,
      });
      if (problems.length) throw new Error(`the stand-in strays from the spec: ${problems.join('; ')}`);
    }
    res.writeHead(status, body === undefined ? {} : { 'content-type': 'application/json' }).end(text);
  };
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      requests.push(`${req.method} ${req.url}`);
      const route = `${req.method} ${req.url}`;
      if (route === 'POST /verifications')
        return ending === 'unavailable'
          ? send(req, res, 503, { message: 'Service Unavailable' })
          : send(req, res, 201, verification());
      if (route === `POST /verifications/${ID}/uploads`)
        return send(req, res, 201, {
          url: `${base}/s3`,
          fields: {
            key: `uploads/${ID}/document_front/1-0123456789abcdef.jpg`,
            'Content-Type': 'image/jpeg',
          },
          key: `uploads/${ID}/document_front/1-0123456789abcdef.jpg`,
          expires_at: '2030-01-01T00:05:00.000Z',
          max_bytes: 20 * 1024 * 1024,
        });
      if (route === 'POST /s3') {
        uploaded = true;
        return send(req, res, 204);
      }
      if (route === `GET /verifications/${ID}`) return send(req, res, 200, verification());
      send(req, res, 404, { message: 'Not Found' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { base, requests, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

async function verifyAgainst(ending: Ending, extra: string[] = []) {
  const api = await standIn(ending);
  try {
    const run = await runCli(['verify', '--api', api.base, '--token', 'a-token', '--front', front, ...extra]);
    return { ...run, requests: api.requests };
  } finally {
    await api.close();
  }
}

describe('the exit codes of berbix-serverless verify', () => {
  it('ends a failed verification with 3 and its reason', async () => {
    const run = await verifyAgainst({ status: 'failed', failure_reason: 'berbix_rejected' });
    expect(run.stdout).toContain('Failed: berbix_rejected');
    expect(run.code).toBe(EXIT.failed);
  });

  it('ends an abandoned verification with 4, and --json says so in one object', async () => {
    const run = await verifyAgainst({ status: 'abandoned' }, ['--json']);
    expect(run.code).toBe(EXIT.abandoned);
    expect(JSON.parse(run.stdout)).toMatchObject({ id: ID, status: 'abandoned', exit_code: EXIT.abandoned });
    expect(run.stderr).toBe('');
  });

  it('ends with 6 and one line when the API fails or cannot be reached', async () => {
    const failing = await verifyAgainst('unavailable');
    expect(failing.code).toBe(EXIT.unavailable);
    expect(failing.stderr.trim()).toBe(
      'error: Creating the verification: the API failed (503 Service Unavailable)',
    );
    const api = await standIn('unavailable');
    await api.close();
    const unreachable = await runCli(['verify', '--api', api.base, '--token', 't', '--front', front]);
    expect(unreachable.code).toBe(EXIT.unavailable);
    expect(unreachable.stderr.trim()).toBe(`error: No answer from ${api.base}: ECONNREFUSED`);
  });

  it('refuses a bad file before sending anything, even when it is the last one given', async () => {
    const notes = path.join(dir, 'back.jpg');
    writeFileSync(notes, 'not an image');
    const run = await verifyAgainst({ status: 'abandoned' }, ['--back', notes]);
    expect(run.code).toBe(EXIT.usage);
    expect(run.stderr.trim()).toBe(`error: ${notes}: The file is not a JPEG or PNG image.`);
    expect(run.requests).toEqual([]);
  });

  it('takes the API and the token from the environment, and bad usage is 2', async () => {
    const api = await standIn({ status: 'abandoned' });
    try {
      const run = await runCli(['verify', '--front', front], {
        env: { BERBIX_SERVERLESS_API_URL: api.base, BERBIX_SERVERLESS_TOKEN: 't' },
      });
      expect(run.code).toBe(EXIT.abandoned);
      expect(api.requests[0]).toBe('POST /verifications');
    } finally {
      await api.close();
    }
    const usage = await runCli(['verify', '--id-type', 'XX', '--front', front]);
    expect(usage.code).toBe(EXIT.usage);
    expect(usage.stderr).toContain("option '--id-type <type>' argument 'XX' is invalid");
  });
});
