/** Failures in a real Chromium: each gets a clear screen with a way forward, never a blank page. */
import type { Page, Request, Response } from 'playwright-core';
import {
  api,
  BACKEND_SCOPE,
  CLIENT_SCOPE,
  upload,
  waitForVerification,
  awaiting,
} from '../integration/support/api';
import { launchBrowser, openWebClient, type OpenedPage, type TestBrowser } from './support/browser';
import { chooseDocument, expectStep, image, onScreen, pickPhoto, sendPhoto, usePhoto } from './support/flow';

// A whole flow with cold functions on a busy 2-core machine can take most of a minute.
jest.setTimeout(120_000);

let browser: TestBrowser;
let opened: OpenedPage | undefined;

beforeAll(async () => {
  browser = await launchBrowser();
});
afterEach(async () => {
  await opened?.context.close();
  opened = undefined;
});
afterAll(async () => {
  await browser?.close();
});

async function mint(sub: string, scopes: string[], expiresIn = 3600): Promise<string> {
  const res = await api<{ token: string }>('POST', '/_local/tokens', {
    json: { sub, scopes, expires_in: expiresIn },
  });
  return res.body.token;
}

/** The verification id and the page's own bearer token, as they cross the wire. */
function watchVerification(page: Page): { id?: string; token?: string } {
  const seen: { id?: string; token?: string } = {};
  page.on('request', (r: Request) => {
    const auth = r.headers().authorization;
    if (auth) seen.token = auth.replace(/^Bearer /, '');
  });
  page.on('response', (r: Response) => {
    if (r.request().method() === 'POST' && new URL(r.url()).pathname === '/verifications')
      void r.json().then((v: { id: string }) => (seen.id = v.id));
  });
  return seen;
}

test('an expired token gets a clear message, and trying again continues with a new one', async () => {
  opened = await openWebClient(browser);
  const { page } = opened;
  const expired = await mint('web-expired', [CLIENT_SCOPE], 1);
  await new Promise((r) => setTimeout(r, 2100)); // a token that expires in a second, a second later
  await page.route(
    '**/_local/tokens',
    (route) =>
      route.fulfill({
        status: 201,
        contentType: 'application/json',
        body: JSON.stringify({ token: expired }),
      }),
    { times: 1 },
  );
  await chooseDocument(page, { country: 'US', type: "Driver's licence" });
  await expectStep(page, /your session has expired/i);
  await onScreen(page, 'Try again to continue with a new session.').waitFor();
  await page.getByRole('button', { name: 'Try again' }).click();
  await expectStep(page, /photograph the front/i);
});

test('an unreachable API gets a clear message, and trying again once online carries on', async () => {
  opened = await openWebClient(browser);
  const { page, context } = opened;
  await chooseDocument(page, { country: 'US', type: "Driver's licence" });
  await pickPhoto(page, 'front', image('driversLicenseFront'));
  await context.setOffline(true);
  await usePhoto(page, 'front');
  await expectStep(page, /can't reach the verification service/i);
  await onScreen(page, 'Check your internet connection, then try again.').waitFor();
  await context.setOffline(false);
  await page.getByRole('button', { name: 'Try again' }).click();
  await expectStep(page, /photograph the back/i);
});

test('a verification closed in the meantime says so and offers to start again', async () => {
  opened = await openWebClient(browser);
  const { page } = opened;
  const seen = watchVerification(page);
  await chooseDocument(page, { country: 'US', type: "Driver's licence" });
  await pickPhoto(page, 'front', image('driversLicenseFront'));
  const deleted = await api('DELETE', `/verifications/${seen.id}`, {
    token: await mint('web-backend', [BACKEND_SCOPE]),
  });
  expect([202, 204]).toContain(deleted.status); // 202 while Berbix's copy is still being deleted
  await usePhoto(page, 'front');
  await expectStep(page, /this verification was closed/i);
  await page.getByRole('button', { name: 'Start again' }).click();
  await expectStep(page, /verify your identity/i);
});

test('an upload out of order (the front sent meanwhile from elsewhere) carries on with the step Berbix asks for', async () => {
  opened = await openWebClient(browser);
  const { page } = opened;
  const seen = watchVerification(page);
  await chooseDocument(page, { country: 'US', type: "Driver's licence" });
  await pickPhoto(page, 'front', image('driversLicenseFront'));
  // Another device of the same person sends the front first.
  const front = image('driversLicenseFront');
  await upload(seen.id!, seen.token!, 'document_front', front);
  await waitForVerification(seen.id!, seen.token!, awaiting('upload_document_back'));
  await usePhoto(page, 'front');
  await expectStep(page, /photograph the back/i);
  await sendPhoto(page, 'back', image('driversLicenseBack'));
  await expectStep(page, /you are done/i);
});
